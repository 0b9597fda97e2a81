"""Atlassian Statuspage `history.rss` / `history.atom` (and LambStatus, which copies it)."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta
from html import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statusstream.events import Event
from statusstream.feedstate import FeedState
from statusstream.model import Document, Item, Update
from statusstream.parsing import parse_feed
from statusstream.providers import statuspage
from statusstream.tracker import Source, plan
from tests.providers_helpers import FEED_URL, assert_golden, atom, events, rss, without_observed
from tests.real_feeds import real_feed, real_names

PAGE = "https://status.example.test"


def rss_item(code: str, title: str, pub_date: str, *paragraphs: str) -> dict[str, str]:
    """An RSS item the way Statuspage writes it: entity-escaped HTML, updates newest first."""
    link = f"{PAGE}/incidents/{code}"
    return {
        "title": title,
        "description": html.escape("".join(paragraphs)),
        "pubDate": pub_date,
        "link": link,
        "guid": link,
    }


def update(when: str, label: str, text: str) -> str:
    month, day, clock = when.split()
    return (
        f"<p><small>{month} <var data-var='date'>{day}</var>, "
        f"<var data-var='time'>{clock.split('-')[0]}</var> {clock.split('-')[1]}</small><br>"
        f"<strong>{label}</strong> - {text}</p>"
    )


def test_updates_come_oldest_first_with_status_time_and_components() -> None:
    """One item's updates become events oldest first: statuses, UTC times, components."""
    body = rss(
        [
            rss_item(
                "abc",
                "API errors",
                "Tue, 03 Feb 2026 16:40:00 +0000",
                update("Feb 3 16:40-UTC", "Resolved", "All good."),
                update("Feb 3 16:20-UTC", "Identified", "Found it."),
                update("Feb 3 16:10-UTC", "Investigating", "Looking into errors."),
                "<p>This incident affected: API, Webhooks (EU, US).</p>",
            )
        ]
    )
    found = events(body)
    assert [(e.time, e.status, e.change) for e in found] == [
        ("2026-02-03T16:10:00Z", "investigating", "new"),
        ("2026-02-03T16:20:00Z", "identified", "update"),
        ("2026-02-03T16:40:00Z", "resolved", "update"),
    ]
    first = found[0]
    assert first.provider == "statuspage"
    assert first.incident == f"{PAGE}/incidents/abc"
    assert first.components == ("API", "Webhooks (EU, US)")
    assert first.kind == "incident"
    assert first.message == "Looking into errors."
    assert first.published == "2026-02-03T16:10:00Z"


def test_the_year_comes_from_the_item_date_across_new_year() -> None:
    """`Dec 31` in an item dated January is last year's; `Jan 1` this year's."""
    body = rss(
        [
            rss_item(
                "ny",
                "New year",
                "Thu, 01 Jan 2026 00:30:00 +0000",
                update("Jan 1 00:30-UTC", "Resolved", "Fixed."),
                update("Dec 31 23:50-UTC", "Investigating", "Looking."),
            )
        ]
    )
    assert [e.time for e in events(body)] == ["2025-12-31T23:50:00Z", "2026-01-01T00:30:00Z"]


def test_a_pst_label_printed_all_year_is_read_in_summer_time() -> None:
    """Old pages print `PST` in August; the item's own `-0700` date says it is PDT."""
    body = rss(
        [
            rss_item(
                "old",
                "Push delays",
                "Mon, 12 Aug 2013 16:49:00 -0700",
                update("Aug 12 16:49-PST", "Resolved", "Fixed."),
            )
        ]
    )
    assert [e.time for e in events(body)] == ["2013-08-12T23:49:00Z"]


def test_labels_that_follow_the_season_are_trusted() -> None:
    """An item with both PDT and PST labels spans the change of time: each label counts."""
    body = rss(
        [
            rss_item(
                "dst",
                "Long incident",
                "Sat, 02 Nov 2019 18:00:00 -0700",
                update("Nov 4 10:00-PST", "Resolved", "Done."),
                update("Nov 2 18:00-PDT", "Investigating", "Looking."),
            )
        ]
    )
    assert [e.time for e in events(body)] == ["2019-11-03T01:00:00Z", "2019-11-04T18:00:00Z"]


def test_a_scheduled_event_header_is_neither_an_update_nor_a_status() -> None:
    """`THIS IS A SCHEDULED EVENT` and `<strong>Impact</strong>` make a maintenance, no updates."""
    body = rss(
        [
            rss_item(
                "mnt",
                "Network maintenance",
                "Thu, 09 Jan 2020 14:00:00 +0000",
                "<p><strong>THIS IS A SCHEDULED EVENT Jan <var>9</var>, 14:00 UTC</strong></p>",
                update(
                    "Dec 12 21:28-UTC",
                    "Scheduled",
                    "Work ahead.<br /><br /><strong>Impact</strong><br />A brief outage.",
                ),
            )
        ]
    )
    (only,) = events(body)
    assert (only.status, only.kind, only.time) == (
        "scheduled",
        "maintenance",
        "2019-12-12T21:28:00Z",
    )
    assert only.message == "Work ahead. Impact A brief outage."


def test_two_updates_with_one_status_in_one_minute_are_two_events() -> None:
    """Statuspage stamps to the minute: the rank tells two same-minute updates apart."""
    body = rss(
        [
            rss_item(
                "twice",
                "Webhooks",
                "Sat, 13 May 2017 06:41:00 +0000",
                update("May 13 06:40-UTC", "Investigating", "Still looking."),
                update("May 13 06:40-UTC", "Investigating", "Looking."),
            )
        ]
    )
    assert [e.message for e in events(body)] == ["Looking.", "Still looking."]


def test_a_rewritten_old_update_emits_nothing() -> None:
    """Changing the text of an update already emitted changes nothing (same status and time)."""

    def notice(text: str) -> list[Update]:
        markup = update("Jan 21 20:59-UTC", "Scheduled", text)
        body = rss([rss_item("rw", "Maintenance", "Tue, 21 Jan 2020 20:59:00 +0000", markup)])
        return parse_feed(body).updates

    source = Source("test", FEED_URL, "statuspage")
    state = FeedState()
    observed = datetime(2020, 1, 22, tzinfo=UTC)
    for keys in plan(state, notice("A few minutes of latency."), source, observed, None).silent:
        state.record(*keys)
    state.mark_baselined()
    rewritten = notice("Several minutes of packet loss.")
    assert plan(state, rewritten, source, observed, None).pending == ()


def test_rss_and_atom_of_one_page_give_the_same_events() -> None:
    """Atom's tag: ids do not matter: both forms key incidents by the incident page."""
    markup = update("Feb 3 16:10-UTC", "Investigating", "Looking.")
    body_rss = rss([rss_item("pair", "Pair", "Tue, 03 Feb 2026 16:10:00 +0000", markup)])
    body_atom = atom(
        [
            {
                "id": "tag:status.example.test,2005:Incident/1",
                "published": "2026-02-03T16:10:00Z",
                "updated": "2026-02-04T09:00:00Z",
                f'link rel="alternate" type="text/html" href="{PAGE}/incidents/pair"': "",
                "title": "Pair",
                'content type="html"': html.escape(markup),
            }
        ]
    )
    assert without_observed(events(body_rss)) == without_observed(events(body_atom))


# -- real feeds -------------------------------------------------------------------------------

PAIRS = ["githubstatus-2026-02-05", "claude-2026-02-04", "streamyard-2024-06"]
PAIRS += ["digitalocean-2020-01-05"]


@pytest.mark.parametrize("name", real_names("statuspage-") + real_names("other-lambstatus-"))
def test_real_feed_events_match_the_golden_file(name: str) -> None:
    """The events of each real Statuspage feed are the reviewed ones in tests/golden/."""
    assert_golden(name)


@pytest.mark.parametrize("page", PAIRS)
def test_real_rss_and_atom_twins_give_identical_events(page: str) -> None:
    """The RSS and Atom forms of one page at one moment give the same events, field by field."""
    from_rss = events(real_feed(f"statuspage-{page}.rss"))
    from_atom = events(real_feed(f"statuspage-{page}.atom"))
    assert from_rss
    assert without_observed(from_rss) == without_observed(from_atom)


SEQUENCE = ["2020-01-05", "2020-01-11", "2020-01-21", "2020-01-23T0200", "2020-01-23T2139"]
_HEADER = re.compile(r"<small>(.*?)</small>\s*<br\s*/?>\s*<strong>(.*?)</strong>", re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def triples(body: bytes) -> dict[tuple[str, str, str], str]:
    """(incident link, label, date as written) -> text, read straight from the XML."""
    found = {}
    for element in ElementTree.fromstring(body).iter("item"):
        link = element.findtext("link") or ""
        markup = element.findtext("description") or ""
        headers = list(_HEADER.finditer(markup))
        for index, header in enumerate(headers):
            end = headers[index + 1].start() if index + 1 < len(headers) else len(markup)
            when = " ".join(_TAGS.sub("", header[1]).split())
            text = " ".join(html.unescape(_TAGS.sub(" ", markup[header.end() : end])).split())
            found[(link, header[2].strip(), when)] = text
    return found


def as_triple(incident: str, status: str, time: str) -> tuple[str, str, str]:
    moment = datetime.strptime(time, "%Y-%m-%dT%H:%M:%SZ")
    label = {"in_progress": "In progress"}.get(status, status.capitalize())
    return (incident, label, f"{moment:%b} {moment.day}, {moment:%H:%M} UTC")


DIGITALOCEAN = Source("DigitalOcean", "https://status.digitalocean.com/history.rss", "statuspage")


def poll(state: FeedState, body: bytes, day: int) -> tuple[list[Event], int | None]:
    """One poll as the poller commits it: silent keys, then each event, then pruning."""
    planned = plan(
        state, parse_feed(body).updates, DIGITALOCEAN, datetime(2020, 2, 1, tzinfo=UTC), None
    )
    for keys in planned.silent:
        state.record(*keys)
    state.mark_baselined()
    for pending in planned.pending:
        state.record(pending.incident_key, pending.update_key)
    state.prune(set(planned.present), day)
    return [pending.event for pending in planned.pending], planned.baseline


def test_digitalocean_polling_sequence_emits_exactly_what_each_snapshot_adds() -> None:
    """Five real polls in a row: a silent baseline, then only the updates each poll added."""
    state = FeedState()
    seen_incidents: set[str] = set()
    previous: dict[tuple[str, str, str], str] = {}
    for number, snapshot in enumerate(SEQUENCE):
        body = real_feed(f"statuspage-digitalocean-{snapshot}.rss")
        current = triples(body)
        found, baseline = poll(state, body, 18300 + number)
        if number == 0:
            assert (found, baseline) == ([], 25)
        else:
            added = set(current) - set(previous)
            assert added
            assert {as_triple(e.incident or "", e.status or "", e.time) for e in found} == added
            opened: set[str] = set()
            for event in found:
                fresh = event.incident not in seen_incidents and event.incident not in opened
                assert event.change == ("new" if fresh else "update")
                opened.add(event.incident or "")
        seen_incidents |= {link for link, _, _ in current}
        previous = current


def test_digitalocean_rewritten_maintenance_notice_is_not_an_update() -> None:
    """AMS3's `Scheduled` text changed between two polls; its identity, and so nothing, did not."""
    before = real_feed("statuspage-digitalocean-2020-01-21.rss")
    after = real_feed("statuspage-digitalocean-2020-01-23T0200.rss")
    ams3 = "https://status.digitalocean.com/incidents/x0xytvsvky35"
    key = (ams3, "Scheduled", "Jan 21, 20:59 UTC")
    assert triples(before)[key] != triples(after)[key]  # the page really rewrote it
    state = FeedState()
    poll(state, before, 18300)
    found, _ = poll(state, after, 18301)
    assert [e.status for e in found if e.incident == ams3] == ["completed"]


# -- descriptions -> updates, on small hand-written items -------------------------------------


LINK = "https://status.example.test/incidents/abc123"


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def header(when: str, label: str, text: str, *, var: bool = True) -> str:
    """One update paragraph; `when` is `Mon D, HH:MM ZONE` as Statuspage prints it."""
    if var:
        month, rest = when.split(" ", 1)
        day, rest = rest.split(", ", 1)
        clock, zone = rest.split(" ", 1)
        when = (
            f"{month} <var data-var='date'>{day:>2}</var>, "
            f"<var data-var='time'>{clock}</var> {zone}"
        )
    return f"<p><small>{when}</small><br><strong>{label}</strong> - {text}</p>"


def item(
    *paragraphs: str,
    published: datetime | None = None,
    date_text: str | None = None,
    title: str = "Elevated API errors",
) -> Item:
    return Item(
        id=LINK,
        title=title,
        link=LINK,
        published=published,
        updated=None,
        date_text=date_text,
        html="".join(paragraphs),
    )


def times(found_item: Item) -> list[tuple[str | None, datetime | None]]:
    return [(update.status, update.time) for update in statuspage.item_updates(found_item)]


def test_updates_come_out_oldest_first() -> None:
    """The description lists updates newest first; they come out oldest first."""
    found = statuspage.item_updates(
        item(
            header("Nov 3, 16:05 UTC", "Resolved", "All good."),
            header("Nov 3, 15:10 UTC", "Monitoring", "A fix is out."),
            header("Nov 3, 14:32 UTC", "Investigating", "We are looking."),
            published=at("2025-11-03 14:32"),
        )
    )
    assert [(u.status, u.time, u.message) for u in found] == [
        ("investigating", at("2025-11-03 14:32"), "We are looking."),
        ("monitoring", at("2025-11-03 15:10"), "A fix is out."),
        ("resolved", at("2025-11-03 16:05"), "All good."),
    ]
    assert {u.published for u in found} == {at("2025-11-03 14:32")}
    assert {(u.incident, u.link, u.title, u.kind) for u in found} == {
        (LINK, LINK, "Elevated API errors", "incident")
    }
    assert all(u.structured and u.components == () for u in found)


def test_same_minute_updates_keep_document_order_reversed() -> None:
    """Among updates stamped to the same minute, the one lower in the description is older."""
    found = statuspage.item_updates(
        item(
            header("Feb 8, 09:00 UTC", "Resolved", "Resolved."),
            header("Feb 8, 09:00 UTC", "Update", "Recovered."),
            header("Feb 8, 08:29 UTC", "Investigating", "Looking."),
            published=at("2025-02-08 08:29"),
        )
    )
    assert [u.status for u in found] == ["investigating", "update", "resolved"]


def test_year_comes_from_the_item_date() -> None:
    """An update's year is the one nearest the item's date."""
    assert times(
        item(header("Feb 3, 19:28 UTC", "Resolved", "x"), published=at("2019-02-03 19:28"))
    ) == [("resolved", at("2019-02-03 19:28"))]


def test_december_update_in_a_january_item() -> None:
    """An incident that began on Dec 31 and ended on Jan 1 spans the two years."""
    found = item(
        header("Jan 1, 01:00 UTC", "Resolved", "Fixed."),
        header("Dec 31, 23:00 UTC", "Investigating", "Looking."),
        published=at("2025-01-01 01:00"),
    )
    assert times(found) == [
        ("investigating", at("2024-12-31 23:00")),
        ("resolved", at("2025-01-01 01:00")),
    ]


def test_january_update_in_a_december_dated_item() -> None:
    """An item dated Dec 31 with an update on Jan 1 puts that update in the next year."""
    found = item(
        header("Jan 1, 00:10 UTC", "Resolved", "Fixed."),
        header("Dec 31, 23:40 UTC", "Investigating", "Looking."),
        published=at("2024-12-31 23:40"),
    )
    assert times(found) == [
        ("investigating", at("2024-12-31 23:40")),
        ("resolved", at("2025-01-01 00:10")),
    ]


def test_pacific_times_are_converted_to_utc() -> None:
    """PST is UTC-8 and PDT UTC-7, also within one incident across the change of clocks."""
    found = item(
        header("Nov 2, 03:00 PST", "Resolved", "Fixed."),
        header("Nov 1, 23:00 PDT", "Investigating", "Looking."),
        published=at("2025-11-02 06:00"),
        date_text="Sun, 02 Nov 2025 03:00:00 -0800",
    )
    assert times(found) == [
        ("investigating", at("2025-11-02 06:00")),
        ("resolved", at("2025-11-02 11:00")),
    ]


def test_winter_pst_and_utc_labels() -> None:
    """A PST label in winter is eight hours behind UTC; a UTC label is taken as it is."""
    pst = item(header("Jan 1, 09:09 PST", "Resolved", "x"), published=at("2014-01-01 17:09"))
    assert times(pst) == [("resolved", at("2014-01-01 17:09"))]
    utc = item(
        header("Jan 1, 09:09 UTC", "Resolved", "x"),
        published=at("2014-01-01 09:09"),
        date_text="Wed, 01 Jan 2014 01:09:00 -0800",
    )
    assert times(utc) == [("resolved", at("2014-01-01 09:09"))]


def test_unknown_zone_falls_back_to_the_item_date_offset() -> None:
    """A zone it does not know (or none) is read in the offset of the item's own date."""
    for when in ("Feb 3, 10:00 XYZ", "Feb 3, 10:00"):
        found = item(
            header(when, "Investigating", "x", var=False),
            published=at("2025-02-03 18:00"),
            date_text="Mon, 03 Feb 2025 10:00:00 -0800",
        )
        assert times(found) == [("investigating", at("2025-02-03 18:00"))], when


def test_unknown_zone_without_an_item_offset_is_utc() -> None:
    """With no offset to fall back on, an unknown zone is read as UTC."""
    found = item(
        header("Feb 3, 10:00 XYZ", "Investigating", "x", var=False),
        published=at("2025-02-03 10:00"),
        date_text="2025-02-03T10:00:00Z",
    )
    assert times(found) == [("investigating", at("2025-02-03 10:00"))]


def test_old_markup_without_var() -> None:
    """The old markup (no <var> around date and time, two spaces before a day) still parses."""
    found = statuspage.item_updates(
        item(
            "<p><small>Jan  1, 09:09 UTC</small><br><strong>Resolved</strong> - Restored.</p>"
            "<p><small>Jan  1, 08:17 UTC</small><br><strong>Investigating</strong> - Errors.</p>",
            published=at("2014-01-01 09:09"),
        )
    )
    assert [(u.status, u.time, u.message) for u in found] == [
        ("investigating", at("2014-01-01 08:17"), "Errors."),
        ("resolved", at("2014-01-01 09:09"), "Restored."),
    ]


def test_strong_inside_a_message_is_not_a_label() -> None:
    """Bold text in a message stays in that message and starts no update."""
    found = statuspage.item_updates(
        item(
            header("Nov 3, 15:00 UTC", "Update", "Use <strong>v2</strong> <b>now</b>."),
            header("Nov 3, 14:32 UTC", "Investigating", "<strong>Important:</strong> errors."),
            published=at("2025-11-03 14:32"),
        )
    )
    assert [(u.status, u.message) for u in found] == [
        ("investigating", "Important: errors."),
        ("update", "Use v2 now."),
    ]


def test_small_inside_a_message_is_not_a_header() -> None:
    """Small print in a message stays in that message and hides no later update."""
    found = statuspage.item_updates(
        item(
            header("Nov 3, 15:00 UTC", "Resolved", "Fixed <small>(see notes)</small> now."),
            header(
                "Nov 3, 14:32 UTC",
                "Investigating",
                "Note: <small>Nov 4</small> <strong>x</strong> y",
            ),
            published=at("2025-11-03 14:32"),
        )
    )
    assert [(u.status, u.time, u.message) for u in found] == [
        ("investigating", at("2025-11-03 14:32"), "Note: Nov 4 x y"),
        ("resolved", at("2025-11-03 15:00"), "Fixed (see notes) now."),
    ]


def test_message_text_is_plain() -> None:
    """Messages lose their markup, decode entities and fold white space; an en dash separates."""
    found = statuspage.item_updates(
        item(
            "<p><small>Nov 3, 14:32 UTC</small><br><strong>Investigating</strong> &#8211; "
            "Errors in <a href='x'>EU</a> &amp;\n  US.<br>More soon.</p>",
            published=at("2025-11-03 14:32"),
        )
    )
    assert [u.message for u in found] == ["Errors in EU & US. More soon."]


def test_labels_are_normalised() -> None:
    """Labels become lower-case statuses with underscores (`In progress` -> `in_progress`)."""
    found = item(
        header("Nov 4, 04:00 UTC", "Completed", "Done."),
        header("Nov 4, 02:00 UTC", "In progress", "Working."),
        header("Nov 3, 10:00 UTC", "Scheduled", "Planned."),
        published=at("2025-11-03 10:00"),
    )
    assert [u.status for u in statuspage.item_updates(found)] == [
        "scheduled",
        "in_progress",
        "completed",
    ]
    assert {u.kind for u in statuspage.item_updates(found)} == {"maintenance"}


def test_scheduled_event_header_is_ignored_and_makes_a_maintenance() -> None:
    """The `THIS IS A SCHEDULED EVENT` line is no update and no message, and marks maintenance."""
    found = statuspage.item_updates(
        item(
            "<p><strong>THIS IS A SCHEDULED EVENT Nov <var data-var='date'>25</var>, "
            "<var data-var='time'>20:00</var> PST - Nov <var data-var='date'>26</var>, "
            "<var data-var='time'>00:00</var> PST</strong></p>",
            header("Oct 6, 11:27 PDT", "Update", "Moved by a day."),
            published=at("2025-10-06 18:27"),
            date_text="Mon, 06 Oct 2025 11:27:00 -0700",
            title="SMS carrier maintenance",
        )
    )
    assert [(u.status, u.time, u.message, u.kind) for u in found] == [
        ("update", at("2025-10-06 18:27"), "Moved by a day.", "maintenance")
    ]


def test_affected_components_are_split_and_removed_from_the_message() -> None:
    """`This incident affected: A, Group (B, C).` gives components and leaves the text."""
    found = statuspage.item_updates(
        item(
            header("Nov 3, 15:00 UTC", "Resolved", "Fixed."),
            header("Nov 3, 14:32 UTC", "Investigating", "Looking."),
            "<p>This incident affected: API, Group (B, C), Web &amp; Mobile.</p>",
            published=at("2025-11-03 14:32"),
        )
    )
    assert {u.components for u in found} == {("API", "Group (B, C)", "Web & Mobile")}
    assert [u.message for u in found] == ["Looking.", "Fixed."]


def test_maintenance_affected_components() -> None:
    """`This scheduled maintenance affected:` is read the same way."""
    found = statuspage.item_updates(
        item(
            header("Nov 3, 10:00 UTC", "Scheduled", "Planned."),
            "<p>This scheduled maintenance affected: Database.</p>",
            published=at("2025-11-03 10:00"),
        )
    )
    assert [(u.components, u.message) for u in found] == [(("Database",), "Planned.")]


def test_split_components_keeps_groups_whole() -> None:
    """Commas inside parentheses do not split; the final full stop and duplicates go."""
    assert statuspage.split_components("A, Group (B, C), A, D (E (F, G)).") == (
        "A",
        "Group (B, C)",
        "D (E (F, G))",
    )
    assert statuspage.split_components("") == ()


def test_an_item_without_updates_gives_nothing() -> None:
    """An item whose description has no update headers yields no updates."""
    assert (
        statuspage.item_updates(item("<p>Just some text.</p>", published=at("2025-11-03 10:00")))
        == []
    )


def test_title_is_cleaned() -> None:
    """Controls and extra white space in the item title are removed."""
    found = statuspage.item_updates(
        item(
            header("Nov 3, 10:00 UTC", "Resolved", "x"),
            published=at("2025-11-03 10:00"),
            title=" A\x1b\n B ",
        )
    )
    assert found[0].title == "A B"


def document(*items: Item) -> Document:
    return Document(title="Example", link=None, generator=None, ttl_minutes=None, items=items)


def test_detect_recognises_statuspage_descriptions() -> None:
    """Detection looks for the `<small>date</small><strong>Label</strong>` update header."""
    ours = item(header("Nov 3, 10:00 UTC", "Resolved", "x"), published=at("2025-11-03 10:00"))
    other = item("<p>We are investigating <strong>errors</strong>.</p>")
    assert statuspage.detect(document(other, ours))
    assert not statuspage.detect(document(other))
    assert not statuspage.detect(document())


def test_extract_takes_every_item() -> None:
    """`extract` gives the updates of every item, each oldest first."""
    first = item(header("Nov 3, 10:00 UTC", "Resolved", "one"), published=at("2025-11-03 10:00"))
    second = item(
        header("Nov 4, 10:00 UTC", "Investigating", "two"), published=at("2025-11-04 10:00")
    )
    assert [u.message for u in statuspage.extract(document(first, second))] == ["one", "two"]


def test_a_small_rss_feed_end_to_end() -> None:
    """A small hand-written history.rss parses to statuspage updates with the item's year."""
    description = header("Dec 31, 23:50 UTC", "Resolved", "Fixed &amp; done.") + header(
        "Dec 31, 23:10 UTC", "Investigating", "Looking."
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Example Status - Incident History</title><link>https://status.example.test</link>"
        "<item><title>API errors</title>"
        f"<description>{escape(description)}</description>"
        "<pubDate>Tue, 31 Dec 2024 23:10:00 +0000</pubDate>"
        f"<link>{LINK}</link><guid>{LINK}</guid></item>"
        "</channel></rss>"
    ).encode()
    parsed = parse_feed(body)
    assert parsed.provider == "statuspage"
    assert parsed.title == "Example Status - Incident History"
    assert [(u.status, u.time, u.message, u.incident) for u in parsed.updates] == [
        ("investigating", at("2024-12-31 23:10"), "Looking.", LINK),
        ("resolved", at("2024-12-31 23:50"), "Fixed & done.", LINK),
    ]


PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<small>", "</small>", "<br>", "<strong>", "</strong>", "Resolved",
        " - ", "Feb 29, 10:00 UTC", "Dec 31, 23:59 PST", "Jan  1, 00:00", "13:99", "XYZ",
        "<var data-var='date'>", "</var>", "This incident affected: A, (B, C).",
        "THIS IS A SCHEDULED EVENT", "&amp;", "&#8211;", "\x1b", "\u202e",
    ]
)  # fmt: skip


@given(
    st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=30).map("".join),
    st.one_of(
        st.none(), st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))
    ),
    st.one_of(st.none(), st.sampled_from(["Mon, 03 Feb 2025 10:00:00 -0800", "2025-02-03", ""])),
)
def test_any_description_gives_well_formed_updates(
    markup: str, published: datetime | None, date_text: str | None
) -> None:
    """Whatever the description, updates come out oldest first, timed in UTC, or not at all."""
    found = statuspage.item_updates(item(markup, published=published, date_text=date_text))
    assert [u.time for u in found] == sorted(u.time for u in found if u.time is not None)
    for update in found:
        assert update.time is not None and update.time.utcoffset() == timedelta(0)
        assert update.published == found[0].time
        assert update.status and update.status == update.status.lower()
