"""Atlassian Statuspage `history.rss` / `history.atom` (and LambStatus, which copies it)."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime

import pytest

from statusstream.events import Event
from statusstream.feedstate import FeedState
from statusstream.model import Update
from statusstream.parsing import parse_feed
from statusstream.tracker import Source, plan
from tests.providers_helpers import (
    FEED_URL,
    assert_golden,
    atom,
    events,
    real_feed,
    real_names,
    rss,
    without_observed,
)

PAGE = "https://status.example.test"


def item(code: str, title: str, pub_date: str, *paragraphs: str) -> dict[str, str]:
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
            item(
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
            item(
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
            item(
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
            item(
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
            item(
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
            item(
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
        body = rss([item("rw", "Maintenance", "Tue, 21 Jan 2020 20:59:00 +0000", markup)])
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
    body_rss = rss([item("pair", "Pair", "Tue, 03 Feb 2026 16:10:00 +0000", markup)])
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
