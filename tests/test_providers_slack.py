"""Slack status Atom/RSS: one entry per incident, its latest note only.

The feeds follow trimmed excerpts of slack-status.com/feed/atom and /feed/rss quoted in public
projects' tests (2025-12, 2026-01): entry id = link = `slack-status.com/<YYYY-MM>/<id>`,
`-08:00` dates, a plain `<summary>` with `&amp;nbsp;` escaped twice. No full capture was found.
"""

from __future__ import annotations

from datetime import UTC, datetime

from statusstream.feedstate import FeedState
from statusstream.parsing import parse_feed
from statusstream.tracker import Source, plan
from tests.providers_helpers import FEED_URL, atom, events, rss

LINK = "https://slack-status.com/2026-01/6f029c99f2b77bcd"
HEAD = '<link rel="alternate" type="text/html" href="https://slack-status.com" />'


def feed(title: str, summary: str, updated: str) -> bytes:
    return atom(
        [
            {
                "id": LINK,
                "published": "2026-01-30T07:52:19-08:00",
                "updated": updated,
                f'link rel="alternate" type="text/html" href="{LINK}"': "",
                "title": title,
                "summary": summary,
            }
        ],
        head=HEAD,
        title="Slack System Status",
    )


def test_the_kind_prefix_leaves_the_title() -> None:
    """`Incident:` / `Outage:` / `Notice:` give the kind and leave the title."""
    (event,) = events(
        feed("Incident: Trouble connecting", "We're investigating.", "2026-01-30T08:00:00-08:00")
    )
    assert (event.provider, event.title, event.kind) == ("slack", "Trouble connecting", "incident")
    assert event.incident == LINK
    assert (event.time, event.published) == ("2026-01-30T16:00:00Z", "2026-01-30T15:52:19Z")
    notice = events(
        feed("Notice: Scheduled maintenance", "Planned work.", "2026-01-30T08:00:00-08:00")
    )
    assert (notice[0].title, notice[0].kind) == ("Scheduled maintenance", "maintenance")


def test_status_only_where_the_note_says_it_plainly() -> None:
    """`This issue is now resolved` is resolved; a note that names no state has a null status."""
    resolved = events(
        feed(
            "Outage: Calls",
            "This issue is now resolved.&amp;nbsp;Thanks.",
            "2026-02-02T09:53:54-08:00",
        )
    )
    assert resolved[0].status == "resolved"
    assert resolved[0].message == "This issue is now resolved. Thanks."
    assert (
        events(feed("Outage: Calls", "Some calls drop.", "2026-02-02T09:53:54-08:00"))[0].status
        is None
    )


def test_a_new_note_is_a_changed_updated_date() -> None:
    """The next note shows as a new `<updated>`: one `update` event; the same date is none."""
    source = Source("Slack", FEED_URL, "slack")
    state = FeedState()
    observed = datetime(2026, 2, 3, tzinfo=UTC)
    first = parse_feed(feed("Incident: X", "We're investigating.", "2026-01-30T08:00:00-08:00"))
    for keys in plan(state, first.updates, source, observed, None).silent:
        state.record(*keys)
    state.mark_baselined()
    later = parse_feed(feed("Incident: X", "It is now resolved.", "2026-02-02T09:53:54-08:00"))
    pending = plan(state, later.updates, source, observed, None).pending
    assert [(p.event.status, p.event.change) for p in pending] == [("resolved", "update")]


def test_the_rss_form_is_recognised_by_its_links() -> None:
    """The RSS feed (`slack-status.com/<YYYY-MM>/<id>` links) is Slack too."""
    body = rss([{"title": "Incident: X", "link": LINK, "guid": LINK, "description": "y"}])
    assert parse_feed(body).provider == "slack"


def test_the_rss_form_gives_one_event_per_incident_item() -> None:
    """An RSS item (plain description, `-0800` date, link = guid) is one incident event."""
    body = rss(
        [
            {
                "title": "Incident: Trouble loading threads",
                "description": "From 7:12 AM to 4:50 PM PST some users could not load threads.",
                "pubDate": "Thu, 18 Dec 2025 08:44:51 -0800",
                "link": LINK,
                "guid": LINK,
            }
        ],
        channel="<link>https://slack-status.com</link>",
        title="Slack System Status",
    )
    (event,) = events(body)
    assert (event.provider, event.kind, event.title) == (
        "slack",
        "incident",
        "Trouble loading threads",
    )
    assert (event.incident, event.time, event.status) == (LINK, "2025-12-18T16:44:51Z", None)
