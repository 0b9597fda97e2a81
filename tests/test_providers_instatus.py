"""Instatus RSS (documented states, layout read defensively)."""

from __future__ import annotations

from statusstream.parsing import parse_feed
from tests.providers_helpers import cdata, events, rss

PAGE = "https://example.instatus.com/incident/cl4a8n3070721qtmzvts760c4"
WORK = "https://example.instatus.com/maintenance/cl4a8nlv50918qtmzdlw60ivu"


def item(title: str, markup: str, pub_date: str, link: str = PAGE) -> dict[str, str]:
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
    (event,) = events(rss([item("Audio API degraded", markup, "Sun, 26 Jul 2026 02:46:53 GMT")]))
    assert (event.provider, event.status, event.kind) == ("instatus", "investigating", "incident")
    assert event.message == "Requests are degraded."
    assert event.components == ("Audio API", "Chat API")
    assert event.incident == PAGE


def test_updates_as_items_of_one_incident_are_new_then_update() -> None:
    """Two items linking one incident page are one incident; a changed text is an update."""
    title = "Audio API degraded"
    body = rss(
        [
            item(title, "Status: Resolved<br/>Resolved.", "Sun, 26 Jul 2026 02:47:40 GMT"),
            item(title, "Status: Investigating<br/>Degraded.", "Sun, 26 Jul 2026 02:46:53 GMT"),
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
            item(
                "[NOTSTARTEDYET] Database upgrade",
                "Planned.",
                "Sat, 11 Jun 2022 18:55:54 GMT",
                WORK,
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
        rss([item("Slow API", "Some requests are slow.", "Sat, 11 Jun 2022 18:55:50 GMT")])
    )
    assert event.status is None


def test_detected_from_instatus_links() -> None:
    """`/incident/<id>` pages on an instatus.com host identify the format."""
    body = rss([item("x", "y", "Sat, 11 Jun 2022 18:55:50 GMT")])
    assert parse_feed(body).provider == "instatus"
