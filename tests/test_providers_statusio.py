"""Status.io RSS (documented form only): one item per incident, updates oldest first."""

from __future__ import annotations

from statusstream.parsing import parse_feed
from tests.providers_helpers import cdata, events, rss

PAGE = "https://status.io/pages/incident/533c6539221ae15e3f000031/6a216c468614df05b0372d0d"
MAINTENANCE = (
    "https://status.io/pages/maintenance/533c6539221ae15e3f000031/6a0ec04beac9dc05ffa1f136"
)


def item(title: str, link: str, pub_date: str, *updates: tuple[str, str, str]) -> dict[str, str]:
    markup = "".join(
        f"<small>{when}</small><br /><b>{label}</b> - {text}<br /><br />"
        for when, label, text in updates
    )
    return {
        "title": cdata(title),
        "description": cdata(markup),
        "link": link,
        'guid isPermaLink="false"': link.rsplit("/", 1)[-1],
        "pubDate": pub_date,
    }


FEED = rss(
    [
        item(
            "Image push webhooks not firing",
            PAGE,
            "Thu, 04 Jun 2026 13:43:08 GMT",
            ("June 4, 2026 05:15 PDT", "Investigating", "We are aware of the issue."),
            ("June 4, 2026 06:43 PDT", "Resolved", "The issue is now resolved."),
        ),
        item(
            "Scheduled Database Maintenance",
            MAINTENANCE,
            "Thu, 28 May 2026 16:00:05 GMT",
            ("May 28, 2026 07:00 PDT", "Active", "Maintenance is now underway."),
            ("May 28, 2026 09:00 PDT", "Completed", "Maintenance has been completed."),
        ),
    ],
    title="Docker Systems Status Page",
)


def test_each_timestamped_block_is_an_update() -> None:
    """`<small>date</small><br /><b>Label</b> - text` blocks become updates in the page's zone."""
    found = [e for e in events(FEED) if e.incident == PAGE]
    assert [(e.time, e.status, e.change, e.kind) for e in found] == [
        ("2026-06-04T12:15:00Z", "investigating", "new", "incident"),
        ("2026-06-04T13:43:00Z", "resolved", "update", "incident"),
    ]
    assert found[0].message == "We are aware of the issue."
    assert {(e.provider, e.published) for e in found} == {("statusio", "2026-06-04T12:15:00Z")}


def test_maintenance_states_map_to_the_common_ones() -> None:
    """`Active` is in progress and `Completed` completed, for a maintenance."""
    found = [e for e in events(FEED) if e.incident == MAINTENANCE]
    assert [(e.status, e.kind) for e in found] == [
        ("in_progress", "maintenance"),
        ("completed", "maintenance"),
    ]


def test_detected_from_the_markup_on_another_host() -> None:
    """The dated `<small>` + `<b>` blocks identify the format where the page has its own domain."""
    body = rss(
        [
            item(
                "x",
                "https://status.example.test/pages/incident/1/2",
                "Thu, 04 Jun 2026 13:43:08 GMT",
                ("June 4, 2026 05:15 UTC", "Investigating", "y"),
            )
        ]
    )
    assert parse_feed(body).provider == "statusio"
