"""Better Stack status pages RSS (documented form only): one item per status update."""

from __future__ import annotations

from statusstream.parsing import parse_feed
from tests.providers_helpers import events, rss

PAGE = "https://status.example.com/incidents/98765"


def item(title: str, text: str, pub_date: str, update: int, page: str = PAGE) -> dict[str, str]:
    return {
        "title": title,
        "description": text,
        "link": page,
        "pubDate": pub_date,
        "guid": f"{page}#update-{update}",
    }


FEED = rss(
    [
        item(
            "[Resolved] Database Connection Issues",
            "The database connection issue has been resolved. Affected components: API, Dashboard",
            "Mon, 15 Jan 2024 11:45:00 +0000",
            11111,
        ),
        item(
            "[Investigating] Database Connection Issues",
            "We're investigating connection issues with the database affecting API responses.",
            "Mon, 15 Jan 2024 10:30:00 +0000",
            11110,
        ),
    ],
    channel="<link>https://status.example.com</link>",
    title="Example Company Status",
)


def test_bracketed_status_leaves_the_title_and_updates_group_by_page() -> None:
    """`[Resolved] X` is status resolved, title X; items of one report are new, then update."""
    found = events(FEED)
    assert [(e.time, e.status, e.change, e.title) for e in found] == [
        ("2024-01-15T10:30:00Z", "investigating", "new", "Database Connection Issues"),
        ("2024-01-15T11:45:00Z", "resolved", "update", "Database Connection Issues"),
    ]
    assert {(e.incident, e.link, e.provider, e.kind) for e in found} == {
        (PAGE, PAGE, "betterstack", "incident")
    }
    assert {e.published for e in found} == {"2024-01-15T10:30:00Z"}
    assert found[1].components == ("API", "Dashboard")


def test_resource_states_and_maintenance_map_to_lifecycle_states() -> None:
    """`[Downtime]` reads as investigating; `[Maintenance]` on a maintenance page is in progress."""
    body = rss(
        [
            item("[Downtime] API", "Down.", "Mon, 15 Jan 2024 10:30:00 +0000", 1),
            item(
                "[Maintenance] Upgrade",
                "Upgrading.",
                "Mon, 15 Jan 2024 12:00:00 +0000",
                2,
                page="https://status.example.com/maintenances/55",
            ),
        ]
    )
    assert [(e.status, e.kind) for e in events(body)] == [
        ("investigating", "incident"),
        ("in_progress", "maintenance"),
    ]


def test_detected_from_update_guids() -> None:
    """Guids `<page>#update-<n>` on fragment-free links identify the format."""
    assert parse_feed(FEED).provider == "betterstack"
