"""Shared by the provider tests: the events a feed yields, golden files, small feeds to write."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from statusstream.events import Event
from statusstream.feedstate import FeedState
from statusstream.parsing import Parsed, parse_feed
from statusstream.tracker import Source, plan
from tests.real_feeds import real_feed

GOLDEN = Path(__file__).resolve().parent / "golden"
OBSERVED = datetime(2030, 1, 1, tzinfo=UTC)
ALL = datetime.min.replace(tzinfo=UTC)
FEED_URL = "https://feeds.example.test/feed"


def events(body: bytes, provider: str | None = None) -> list[Event]:
    """Every event a feed yields on its first sight with `--since all`, oldest first."""
    return events_of(parse_feed(body, provider))


def events_of(parsed: Parsed) -> list[Event]:
    source = Source(name="test", url=FEED_URL, provider=parsed.provider)
    decided = plan(FeedState(), parsed.updates, source, OBSERVED, since=ALL)
    return [pending.event for pending in decided.pending]


def line(event: Event) -> str:
    """`2026-02-03T16:10:00Z investigating new incident [A, B] | title`."""
    components = ", ".join(event.components)
    return f"{event.time} {event.status} {event.change} {event.kind} [{components}] | {event.title}"


def golden(name: str) -> list[str]:
    """The pinned event lines of a real feed (comment lines start with `#`)."""
    text = (GOLDEN / f"{name}.txt").read_text(encoding="utf-8")
    return [row for row in text.splitlines() if row and not row.startswith("#")]


def without_observed(found: Iterable[Event]) -> list[dict[str, object]]:
    return [
        {key: value for key, value in dataclasses.asdict(event).items() if key != "observed"}
        for event in found
    ]


# -- small feeds ------------------------------------------------------------------------------


def rss(items: Sequence[dict[str, str]], *, channel: str = "", title: str = "Status") -> bytes:
    """An RSS 2.0 document; each item maps element names to their raw XML content."""
    body = "".join(
        "<item>" + "".join(f"<{key}>{value}</{key}>" for key, value in item.items()) + "</item>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title>{channel}{body}</channel></rss>"
    ).encode()


def atom(entries: Sequence[dict[str, str]], *, head: str = "", title: str = "Status") -> bytes:
    """An Atom document; each entry maps element names (with attributes) to raw XML content."""
    body = "".join(
        "<entry>"
        + "".join(
            f"<{key}>{value}</{key.split()[0]}>" if value else f"<{key}/>"
            for key, value in entry.items()
        )
        + "</entry>"
        for entry in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test</id><updated>2026-01-01T00:00:00Z</updated>"
        f"{head}{body}</feed>"
    ).encode()


def cdata(markup: str) -> str:
    return f"<![CDATA[{markup}]]>"


def assert_golden(name: str) -> None:
    """The events of a real feed are exactly the pinned lines of its golden file."""
    found = [line(event) for event in events(real_feed(name))]
    assert found == golden(name)
