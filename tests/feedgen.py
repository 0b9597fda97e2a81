"""Small feeds written for the tests, in the formats the real providers publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape


@dataclass(frozen=True)
class StatusUpdate:
    label: str
    time: datetime
    text: str


@dataclass(frozen=True)
class StatusIncident:
    code: str
    title: str
    updates: tuple[StatusUpdate, ...]  # oldest first
    components: tuple[str, ...] = field(default=())


def at(text: str) -> datetime:
    """`2025-11-03 14:32` -> an aware UTC datetime."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def statuspage_rss(
    incidents: list[StatusIncident],
    *,
    title: str = "Example Status",
    host: str = "status.example.test",
) -> bytes:
    """An Atlassian Statuspage `history.rss`: one item per incident, updates newest first."""
    items = []
    for incident in incidents:
        paragraphs = []
        for update in reversed(incident.updates):
            when = update.time
            paragraphs.append(
                f"<p><small>{when:%b} <var data-var='date'>{when.day:>2}</var>, "
                f"<var data-var='time'>{when:%H:%M}</var> UTC</small><br>"
                f"<strong>{update.label}</strong> - {escape(update.text)}</p>"
            )
        if incident.components:
            paragraphs.append(f"<p>This incident affected: {', '.join(incident.components)}.</p>")
        link = f"https://{host}/incidents/{incident.code}"
        items.append(
            "<item>"
            f"<title>{escape(incident.title)}</title>"
            f"<description>{escape(''.join(paragraphs))}</description>"
            f"<pubDate>{format_datetime(incident.updates[-1].time, usegmt=True)}</pubDate>"
            f"<link>{link}</link><guid>{link}</guid>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://{host}</link>"
        "<description>Statuspage</description>" + "".join(items) + "</channel></rss>"
    ).encode()


def incident(code: str, title: str, *updates: tuple[str, str, str]) -> StatusIncident:
    """`incident("abc", "API down", ("Investigating", "2025-11-03 14:32", "text"), ...)`."""
    return StatusIncident(
        code, title, tuple(StatusUpdate(label, at(when), text) for label, when, text in updates)
    )


# Incidents the end-to-end tests share: one opened, then fixed; another; one in three steps.
DOWN = incident("a", "Down", ("Investigating", "2025-11-03 14:32", "Looking."))
FIXED = incident(
    "a",
    "Down",
    ("Investigating", "2025-11-03 14:32", "Looking."),
    ("Resolved", "2025-11-03 15:00", "Fixed."),
)
OTHER = incident("b", "Slow", ("Monitoring", "2025-11-04 09:00", "Watching."))
API_DOWN = incident(
    "api1",
    "API errors",
    ("Investigating", "2025-11-03 14:32", "We are looking into API errors."),
    ("Identified", "2025-11-03 14:50", "A bad deploy; rolling back."),
)
API_RESOLVED = incident(
    "api1",
    "API errors",
    ("Investigating", "2025-11-03 14:32", "We are looking into API errors."),
    ("Identified", "2025-11-03 14:50", "A bad deploy; rolling back."),
    ("Resolved", "2025-11-03 15:10", "All good."),
)


CP1252_TITLE = "Caf\u00e9 \u2013 \u201cdown\u201d \u00bd"  # Windows-1252 has all four


def generic_rss(*items: str, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    """A plain RSS 2.0 document (no status-page format) of the given items."""
    return (
        f'{declaration}<rss version="2.0"><channel><title>Generic</title>'
        + "".join(items)
        + "</channel></rss>"
    )


def generic_item(
    title: str = CP1252_TITLE, guid: str | None = "g1", date: str | None = None
) -> str:
    parts = [f"<title>{title}</title>", "<description>Text.</description>"]
    if guid is not None:
        parts.append(f"<guid>{guid}</guid>")
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    return "<item>" + "".join(parts) + "</item>"
