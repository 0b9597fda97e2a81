"""Cachet RSS: the event feed and the classic per-incident feed.

No capture of a live Cachet feed was found; the feeds here follow the templates that render
them in Cachet's own repository (cachethq/core `resources/views/slack-rss.blade.php`, in its
two published forms, and `rss.blade.php`).
"""

from __future__ import annotations

from statusstream.parsing import parse_feed
from tests.providers_helpers import cdata, events, rss

PAGE = "https://status.example.test/incidents/42"


def event_item(fragment: str, title: str, status: str, text: str, pub_date: str) -> dict[str, str]:
    markup = (
        f"Database slow<br/><br/>Status: {status}<br/><br/>{text}"
        "<br/><br/>⚠️ Affected components: API, Dashboard"
    )
    return {
        "title": cdata(title),
        "link": f"{PAGE}#{fragment}",
        "guid": f"{PAGE}#{fragment}",
        "pubDate": pub_date,
        "description": cdata(markup),
        "content:encoded": cdata(markup),
    }


EVENTS = rss(
    [
        event_item(
            "update-7",
            "✅ Example - Incident resolved",
            "Fixed",
            "All good.",
            "Mon, 02 Mar 2026 11:00:00 +0000",
        ),
        event_item(
            "update-6",
            "🚨 Example - Incident update",
            "Watching",
            "Recovering.",
            "Mon, 02 Mar 2026 10:30:00 +0000",
        ),
        event_item(
            "reported",
            "🚨 Example - New incident",
            "Investigating",
            "Slow queries.",
            "Mon, 02 Mar 2026 10:00:00 +0000",
        ),
    ],
    channel="<link>https://status.example.test</link><generator>Cachet</generator>",
    title="Example status",
)


def test_event_items_group_by_incident_with_cachet_states_mapped() -> None:
    """One incident's event items: new, then updates; `Watching` is monitoring, `Fixed` resolved."""
    found = events(EVENTS)
    assert [(e.time, e.status, e.change) for e in found] == [
        ("2026-03-02T10:00:00Z", "investigating", "new"),
        ("2026-03-02T10:30:00Z", "monitoring", "update"),
        ("2026-03-02T11:00:00Z", "resolved", "update"),
    ]
    assert {(e.incident, e.title, e.provider) for e in found} == {(PAGE, "Database slow", "cachet")}
    assert {e.components for e in found} == {("API", "Dashboard")}
    assert found[0].message == "Slow queries."


def test_the_classic_feed_is_one_incident_per_item_without_status() -> None:
    """Classic items (UUID guids, `/incidents/<id>` links) are incidents with a null status."""
    body = rss(
        [
            {
                "title": "Database slow",
                "link": PAGE,
                "guid": "9b2f3c4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
                "pubDate": "Mon, 02 Mar 2026 10:00:00 +0000",
                "description": cdata("<p>Slow queries on the primary.</p>"),
            }
        ]
    )
    (event,) = events(body)
    assert (event.provider, event.status, event.kind) == ("cachet", None, "incident")
    assert event.incident == PAGE
    assert event.message == "Slow queries on the primary."


def test_detected_from_the_generator_or_the_event_links() -> None:
    """`<generator>Cachet</generator>` or `#update-<n>` / `#reported` incident links."""
    assert parse_feed(EVENTS).provider == "cachet"


# -- the other form of the event template: `[Status] name`, the state after the message -----


def labelled_item(fragment: str, status: str, text: str, pub_date: str) -> dict[str, str]:
    markup = (
        f"<p>{text}</p><br/><br/><strong>Status:</strong> {status}"
        "<br/><strong>Affected components:</strong> API, Dashboard"
    )
    return {
        "title": cdata(f"[{status}] Database slow"),
        "link": f"{PAGE}#{fragment}",
        "guid": f"{PAGE}#{fragment}",
        "pubDate": pub_date,
        "description": cdata(markup),
        "content:encoded": cdata(markup),
    }


LABELLED = rss(
    [
        labelled_item("update-7", "Fixed", "All good.", "Mon, 02 Mar 2026 11:00:00 +0000"),
        labelled_item("update-6", "Updated", "Still slow.", "Mon, 02 Mar 2026 10:40:00 +0000"),
        labelled_item("update-5", "Watching", "Recovering.", "Mon, 02 Mar 2026 10:30:00 +0000"),
        labelled_item("reported", "Reported", "Slow queries.", "Mon, 02 Mar 2026 10:00:00 +0000"),
    ],
    channel="<link>https://status.example.test</link><generator>Cachet</generator>",
    title="Example incident updates",
)


def test_the_labelled_event_form_gives_status_title_message_and_components() -> None:
    """`[Watching] name` + `<strong>Status:</strong> Watching`: monitoring, title `name`;
    `Updated` is an update and `Reported` (the incident's first event) stays as written."""
    found = events(LABELLED)
    assert [(e.status, e.change, e.message) for e in found] == [
        ("reported", "new", "Slow queries."),
        ("monitoring", "update", "Recovering."),
        ("update", "update", "Still slow."),
        ("resolved", "update", "All good."),
    ]
    assert {(e.incident, e.title, e.provider) for e in found} == {(PAGE, "Database slow", "cachet")}
    assert {e.components for e in found} == {("API", "Dashboard")}
