"""Any other RSS/Atom feed: item = incident, a changed title or text = update."""

from __future__ import annotations

from datetime import UTC, datetime

from statusstream import tracker
from statusstream.feedstate import FeedState
from statusstream.parsing import parse_feed
from statusstream.tracker import Source, plan
from tests.providers_helpers import FEED_URL, atom, events, rss

HOME = "<link>https://blog.example.test/</link>"


def item(title: str, text: str, link: str, guid: str = "", when: str = "") -> dict[str, str]:
    fields = {"title": title, "description": text, "link": link}
    if guid:
        fields["guid"] = guid
    fields["pubDate"] = when or "Mon, 02 Mar 2026 10:00:00 +0000"
    return fields


def test_plain_leading_status_words_become_the_status() -> None:
    """`Resolved:` / `[Resolved]` leading the title or text is the status and leaves it."""
    body = rss(
        [
            item("[Resolved] Mail delays", "Mail flows again.", "https://e.test/a"),
            item("Login errors", "Investigating: we are looking.", "https://e.test/b"),
            item("New dashboard", "We shipped a dashboard.", "https://e.test/c"),
        ],
        channel=HOME,
    )
    found = {e.title: e for e in events(body)}
    assert (found["Mail delays"].status, found["Mail delays"].message) == (
        "resolved",
        "Mail flows again.",
    )
    assert (found["Login errors"].status, found["Login errors"].message) == (
        "investigating",
        "we are looking.",
    )
    assert found["New dashboard"].status is None
    assert {(e.provider, e.kind, e.change, e.components) for e in found.values()} == {
        ("generic", None, "new", ())
    }


def test_a_word_that_is_no_status_stays_in_the_title() -> None:
    """`API: slow responses` keeps its prefix: `API` is not a status."""
    body = rss([item("API: slow responses", "Slow.", "https://e.test/a")], channel=HOME)
    (event,) = events(body)
    assert (event.title, event.status) == ("API: slow responses", None)


def test_the_incident_is_the_items_own_page_else_its_guid() -> None:
    """Distinct item pages key incidents; a page shared by all items gives way to the guid."""
    own = rss([item("A", "a", "https://e.test/a", guid="g-a")], channel=HOME)
    assert events(own)[0].incident == "https://e.test/a"
    shared = rss(
        [
            item("A", "a", "https://e.test/status", guid="g-a"),
            item("B", "b", "https://e.test/status", guid="g-b"),
        ],
        channel=HOME,
    )
    assert sorted(e.incident or "" for e in events(shared)) == ["g-a", "g-b"]


def test_a_changed_title_or_text_is_an_update_and_a_rerender_is_not() -> None:
    """Changed words are an `update`; changed white space and markup alone emit nothing."""
    source = Source("Blog", FEED_URL, "generic")
    state = FeedState()
    observed = datetime(2026, 3, 2, tzinfo=UTC)
    first = parse_feed(
        rss([item("Outage", "&lt;p&gt;We are on it.&lt;/p&gt;", "https://e.test/a")])
    )
    for keys in plan(state, first.updates, source, observed, None).silent:
        state.record(*keys)
    state.mark_baselined()
    rerendered = parse_feed(rss([item("Outage", "We  are on\nit.", "https://e.test/a")]))
    assert plan(state, rerendered.updates, source, observed, None).pending == ()
    changed = parse_feed(rss([item("Outage", "Fixed now.", "https://e.test/a")]))
    pending = plan(state, changed.updates, source, observed, None).pending
    assert [(p.event.change, p.event.message) for p in pending] == [("update", "Fixed now.")]


def test_atom_entries_use_updated_for_time_and_published_as_given() -> None:
    """An Atom entry's time is `<updated>`; `published` is its `<published>`."""
    body = atom(
        [
            {
                "id": "urn:e:1",
                'link href="https://e.test/1"': "",
                "title": "Maintenance window",
                "published": "2026-03-01T08:00:00Z",
                "updated": "2026-03-02T09:30:00Z",
                "summary": "Completed: all done.",
            }
        ]
    )
    (event,) = events(body)
    assert (event.time, event.published) == ("2026-03-02T09:30:00Z", "2026-03-01T08:00:00Z")
    assert (event.status, event.kind) == ("completed", "maintenance")


def baselined(feed: bytes, source: Source, observed: datetime) -> FeedState:
    """A state that has seen `feed` once, recorded as the poller records a first sight."""
    state = FeedState()
    for keys in plan(state, parse_feed(feed).updates, source, observed, None).silent:
        state.record(*keys)
    state.mark_baselined()
    return state


def test_a_new_status_with_the_same_text_is_an_update() -> None:
    """`[Investigating] X` then `[Resolved] X`, the text unchanged: the status is news."""
    source = Source("Blog", FEED_URL, "generic")
    observed = datetime(2026, 3, 2, tzinfo=UTC)
    link = "https://e.test/a"
    state = baselined(rss([item("[Investigating] Mail delays", "Delays.", link)]), source, observed)
    resolved = parse_feed(rss([item("[Resolved] Mail delays", "Delays.", link)]))
    pending = plan(state, resolved.updates, source, observed, None).pending
    assert [(p.event.change, p.event.status) for p in pending] == [("update", "resolved")]


def test_incidents_recorded_before_statuses_were_keyed_stay_quiet_then_follow_them() -> None:
    """A state from before: its updates are known by their old key (nothing is emitted again),
    are recorded under the new one, and the next change of status is news."""
    source = Source("Blog", FEED_URL, "generic")
    observed = datetime(2026, 3, 2, tzinfo=UTC)
    link = "https://e.test/a"
    investigating = parse_feed(rss([item("[Investigating] Mail delays", "Delays.", link)]))
    state = FeedState()
    for keyed in tracker.key_updates(investigating.updates, FEED_URL):
        assert keyed.legacy_key is not None
        state.record(keyed.incident_key, keyed.legacy_key)  # as the old key recorded it
    state.mark_baselined()
    again = plan(state, investigating.updates, source, observed, None)
    assert again.pending == ()
    for keys in again.silent:
        state.record(*keys)
    resolved = parse_feed(rss([item("[Resolved] Mail delays", "Delays.", link)]))
    pending = plan(state, resolved.updates, source, observed, None).pending
    assert [(p.event.change, p.event.status) for p in pending] == [("update", "resolved")]
