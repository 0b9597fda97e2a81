"""Instatus `history.rss` / `history.atom`: every update of an item, from its real layout.

A real Instatus item (Northflank's, Koyeb's, Gamma's pages, 2026) carries two bodies. Its
`<description>` is plain text: `Type:`, `Duration:`, `Affected Components: A, B`, then each
update as `Sep 25, 15:15:00 GMT+0 - Investigating - text`, oldest first, without the year.
Its `<content:encoded>` repeats that as HTML whose component names are empty (`, , `) and
whose update blocks are HTML-escaped a second time. The feeds below are written here to that
structure; the text is not Instatus's.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest

from statusstream.feedstate import FeedState
from statusstream.parsing import parse_feed
from statusstream.tracker import Source, plan
from tests.providers_helpers import atom, cdata, events, rss

PAGE = "https://status.example.test/incident/cmf0example0000abcdefghij"
WORK = "https://status.example.test/maintenance/cmf0example0000klmnopqrst"
HOME = "<link>https://status.example.test</link>"

Update = tuple[str, str, str]  # ("Sep 25, 15:15:00 GMT+0", "Investigating", "text")


def description(updates: list[Update], components: str, kind: str = "Incident") -> str:
    """The plain-text body: a header block, then the updates one after the other."""
    stamped = " ".join(f"{when} - {label} - {text}" for when, label, text in updates)
    return (
        f"\n    Type: {kind}\n    Duration: 46 minutes\n\n"
        f"    Affected Components: {components}\n    {stamped} \n  "
    )


def content(updates: list[Update], components: str, kind: str = "Incident") -> str:
    """The HTML body: names left empty, each update block escaped once more."""
    blocks = []
    for when, label, text in updates:
        month, rest = when.split(" ", 1)
        day, rest = rest.split(", ", 1)
        clock, zone = rest.split(" ", 1)
        blocks.append(
            f"<p><small>{month} <var data-var='date'> {day}</var>, "
            f"<var data-var='time'>{clock}</var> {zone}</small><br>"
            f"<strong>{label}</strong> -\n  {text}.</p>\n"
        )
    empty = ", " * components.count(", ") + " "
    return (
        f"<p><strong>Type:</strong> {kind}</p>\n"
        "<p><strong>Duration:</strong> 46 minutes</p>\n"
        f"<p><strong>Affected Components:</strong> {empty}</p>\n" + html.escape("".join(blocks))
    )


def item(
    updates: list[Update],
    pub_date: str,
    *,
    components: str = "API, Dashboard, Builds",
    kind: str = "Incident",
    link: str = PAGE,
    plain: bool = True,
) -> dict[str, str]:
    fields = {"title": "Builds are slow"}
    if plain:
        fields["description"] = html.escape(description(updates, components, kind))
    fields["content:encoded"] = cdata(content(updates, components, kind))
    fields |= {"pubDate": pub_date, "link": link, "guid": link}
    return fields


UPDATES: list[Update] = [
    ("Sep 25, 15:15:00 GMT+0", "Investigating", "We are looking into slow builds."),
    ("Sep 25, 15:42:39 GMT+0", "Monitoring", "A fix is out.\n\nWe are watching it."),
    ("Sep 25, 16:01:05 GMT+0", "Resolved", "This incident has been resolved."),
]
FEED = rss([item(UPDATES, "Fri, 25 Sep 2026 15:15:00 +0000")], channel=HOME, title="Example")


def test_each_update_is_an_event_with_its_status_time_and_text() -> None:
    """One event per update: its status, its own UTC time with seconds, its own message."""
    found = events(FEED)
    assert [(e.time, e.status, e.change) for e in found] == [
        ("2026-09-25T15:15:00Z", "investigating", "new"),
        ("2026-09-25T15:42:39Z", "monitoring", "update"),
        ("2026-09-25T16:01:05Z", "resolved", "update"),
    ]
    assert [e.message for e in found] == [
        "We are looking into slow builds.",
        "A fix is out. We are watching it.",
        "This incident has been resolved.",
    ]
    assert {(e.provider, e.incident, e.kind, e.title) for e in found} == {
        ("instatus", PAGE, "incident", "Builds are slow")
    }
    assert {e.published for e in found} == {"2026-09-25T15:15:00Z"}


def test_components_come_from_the_plain_text_not_the_empty_html_list() -> None:
    """The names come from the description's `Affected Components:`, not the HTML's `, , `."""
    assert {e.components for e in events(FEED)} == {("API", "Dashboard", "Builds")}


def test_a_single_component_and_updates_across_lines() -> None:
    """One name ends at its line; updates may follow each other on separate lines."""
    body = description(UPDATES[:1], "Northflank App") + "\n" + "Sep 25, 16:01:05 GMT+0 - "
    body += "Resolved - Done."
    found = events(
        rss(
            [
                {
                    "title": "SSO login degraded",
                    "description": html.escape(body),
                    "pubDate": "Fri, 25 Sep 2026 15:15:00 +0000",
                    "link": PAGE,
                    "guid": PAGE,
                }
            ]
        )
    )
    assert [(e.status, e.message, e.components) for e in found] == [
        ("investigating", "We are looking into slow builds.", ("Northflank App",)),
        ("resolved", "Done.", ("Northflank App",)),
    ]


def test_without_the_plain_text_the_html_blocks_are_read() -> None:
    """Only `<content:encoded>`: the twice-escaped blocks still give each update, no components."""
    found = events(rss([item(UPDATES, "Fri, 25 Sep 2026 15:15:00 +0000", plain=False)]))
    assert [(e.time, e.status, e.message) for e in found] == [
        ("2026-09-25T15:15:00Z", "investigating", "We are looking into slow builds."),
        ("2026-09-25T15:42:39Z", "monitoring", "A fix is out. We are watching it."),
        ("2026-09-25T16:01:05Z", "resolved", "This incident has been resolved."),
    ]
    assert {e.components for e in found} == {()}


def test_the_year_comes_from_the_item_date_and_the_offset_is_honoured() -> None:
    """A Dec 31 incident resolved on Jan 1 spans two years; `GMT+2` is two hours ahead of UTC."""
    updates = [
        ("Dec 31, 23:50:00 GMT+2", "Investigating", "Looking."),
        ("Jan 1, 00:20:30 GMT+2", "Resolved", "Fixed."),
    ]
    found = events(rss([item(updates, "Thu, 31 Dec 2026 21:50:00 +0000")]))
    assert [e.time for e in found] == ["2026-12-31T21:50:00Z", "2026-12-31T22:20:30Z"]
    later = [("Jan 1, 02:10:00 GMT+0", "Resolved", "Fixed.")]
    found = events(rss([item([updates[0], *later], "Thu, 31 Dec 2026 21:50:00 +0000")]))
    assert found[-1].time == "2027-01-01T02:10:00Z"


def test_updates_out_of_time_order_come_out_oldest_first() -> None:
    """The text does not always list updates in time order; events are sorted by time."""
    shuffled = [UPDATES[1], UPDATES[0], UPDATES[2]]
    found = events(rss([item(shuffled, "Fri, 25 Sep 2026 15:15:00 +0000")]))
    assert [e.status for e in found] == ["investigating", "monitoring", "resolved"]


def test_a_maintenance_and_its_own_states() -> None:
    """`Type: Maintenance` is a maintenance; `Not started yet`, `In progress` map to the states."""
    updates = [
        ("Oct 2, 08:00:00 GMT+0", "Not started yet", "Planned database upgrade."),
        ("Oct 3, 02:00:00 GMT+0", "In progress", "Upgrading."),
        ("Oct 3, 03:00:00 GMT+0", "Completed", "Done."),
    ]
    found = events(
        rss([item(updates, "Fri, 02 Oct 2026 08:00:00 +0000", kind="Maintenance", link=WORK)])
    )
    assert [(e.status, e.kind) for e in found] == [
        ("scheduled", "maintenance"),
        ("in_progress", "maintenance"),
        ("completed", "maintenance"),
    ]


def test_a_repoll_emits_nothing_and_a_new_update_one_event() -> None:
    """Updates are identified by status and time: the same feed twice is quiet, a new one is one."""
    source = Source("Example", "https://status.example.test/history.rss", "instatus")
    state = FeedState()
    observed = datetime(2026, 9, 26, tzinfo=UTC)
    first = parse_feed(rss([item(UPDATES[:2], "Fri, 25 Sep 2026 15:15:00 +0000")]))
    for keys in plan(state, first.updates, source, observed, None).silent:
        state.record(*keys)
    state.mark_baselined()
    assert plan(state, first.updates, source, observed, None).pending == ()
    later = parse_feed(FEED)
    pending = plan(state, later.updates, source, observed, None).pending
    assert [(p.event.status, p.event.change) for p in pending] == [("resolved", "update")]


@pytest.mark.parametrize(
    "link", [PAGE, "https://status.example.test/cm0abc", "https://example.instatus.com/x"]
)
def test_detected_from_the_body_or_the_links(link: str) -> None:
    """The stamped `GMT+0` updates after `Type:` identify the format, whatever the link."""
    body = rss([item(UPDATES, "Fri, 25 Sep 2026 15:15:00 +0000", link=link)])
    assert parse_feed(body).provider == "instatus"


def test_the_atom_form_with_blocks_escaped_once_is_instatus_not_statuspage() -> None:
    """Statuspage-like `<small>` blocks with `GMT+0` seconds after `Type:` are read as Instatus."""
    markup = html.unescape(content(UPDATES, "API, Dashboard, Builds")).replace(
        "<strong>Affected Components:</strong> , ,  ",
        "<strong>Affected Components:</strong> API, Dashboard, Builds",
    )
    body = atom(
        [
            {
                "id": "tag:status.example.test,2005:Incident/cmf0example",
                "title": "Builds are slow",
                "published": "2026-09-25T15:15:00.000+00:00",
                "updated": "2026-09-25T16:01:05.000+00:00",
                f'link href="{PAGE}"': "",
                'content type="html"': html.escape(markup),
            }
        ]
    )
    found = events(body)
    assert {e.provider for e in found} == {"instatus"}
    assert [(e.time, e.status) for e in found] == [
        ("2026-09-25T15:15:00Z", "investigating"),
        ("2026-09-25T15:42:39Z", "monitoring"),
        ("2026-09-25T16:01:05Z", "resolved"),
    ]
    assert {e.components for e in found} == {("API", "Dashboard", "Builds")}


# -- the short layout (a `Status: X` line and an `Affected services` list, one item an update)


SHORT = "https://example.instatus.com/incident/cl4a8n3070721qtmzvts760c4"
SHORT_WORK = "https://example.instatus.com/maintenance/cl4a8nlv50918qtmzdlw60ivu"


def short(title: str, markup: str, pub_date: str, link: str = SHORT) -> dict[str, str]:
    return {
        "title": cdata(title),
        "link": link,
        "guid": link,
        "pubDate": pub_date,
        "description": cdata(markup),
    }


def test_a_status_line_and_a_component_list_are_read() -> None:
    """`Status: X<br/>` is the status; `Affected services <ul>` the components; neither is text."""
    markup = (
        "Status: Investigating<br/>Requests are degraded.<br/><br/>"
        "Affected services<ul><li>Audio API</li><li>Chat API</li></ul>"
    )
    (event,) = events(rss([short("Audio API degraded", markup, "Sun, 26 Jul 2026 02:46:53 GMT")]))
    assert (event.provider, event.status, event.kind) == ("instatus", "investigating", "incident")
    assert event.message == "Requests are degraded."
    assert event.components == ("Audio API", "Chat API")
    assert event.incident == SHORT


def test_updates_as_items_of_one_incident_are_new_then_update() -> None:
    """Two items linking one incident page are one incident; a changed text is an update."""
    title = "Audio API degraded"
    body = rss(
        [
            short(title, "Status: Resolved<br/>Resolved.", "Sun, 26 Jul 2026 02:47:40 GMT"),
            short(title, "Status: Investigating<br/>Degraded.", "Sun, 26 Jul 2026 02:46:53 GMT"),
        ]
    )
    assert [(e.status, e.change) for e in events(body)] == [
        ("investigating", "new"),
        ("resolved", "update"),
    ]


def test_maintenance_states_and_pages() -> None:
    """`NOTSTARTEDYET` is scheduled and a `/maintenance/` page makes a maintenance."""
    body = rss(
        [
            short(
                "[NOTSTARTEDYET] Database upgrade",
                "Planned.",
                "Sat, 11 Jun 2022 18:55:54 GMT",
                SHORT_WORK,
            )
        ]
    )
    (event,) = events(body)
    assert (event.status, event.kind, event.title) == (
        "scheduled",
        "maintenance",
        "Database upgrade",
    )


def test_without_a_stated_status_the_status_is_null() -> None:
    """Text that does not lead with a state gives a null status."""
    (event,) = events(
        rss([short("Slow API", "Some requests are slow.", "Sat, 11 Jun 2022 18:55:50 GMT")])
    )
    assert event.status is None


def test_detected_from_instatus_links() -> None:
    """`/incident/<id>` pages on an instatus.com host identify the format."""
    body = rss([short("x", "y", "Sat, 11 Jun 2022 18:55:50 GMT")])
    assert parse_feed(body).provider == "instatus"
