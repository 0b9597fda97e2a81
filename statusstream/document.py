"""Feed bytes -> `Document`. feedparser does the parsing; it is never given a URL to fetch."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from typing import Any

from statusstream.errors import FeedError
from statusstream.model import Document, Item
from statusstream.text import clean


def parse_document(body: bytes) -> Document:
    """Parse an RSS or Atom document; `FeedError` when it is neither."""
    import feedparser  # deferred: a run whose feeds all answer 304 never needs it

    # Sanitising is pointless work here: every string is reduced to plain text later.
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.get("version"):
        reason = parsed.get("bozo_exception")
        detail = f" ({clean(str(reason))[:120]})" if reason else ""
        message = f"not an RSS or Atom feed{detail}"
        raise FeedError(message)
    channel = parsed.get("feed", {})
    return Document(
        title=clean(channel.get("title", "")),
        link=channel.get("link"),
        generator=channel.get("generator"),
        ttl_minutes=_int_or_none(channel.get("ttl")),
        items=tuple(_item(entry) for entry in parsed.get("entries", [])),
    )


def _item(entry: Any) -> Item:
    contents = entry.get("content") or []
    html = contents[0].get("value", "") if contents else ""
    if not html:
        html = entry.get("summary", "") or entry.get("description", "")
    return Item(
        id=entry.get("id") or None,
        title=entry.get("title", ""),
        link=entry.get("link") or None,
        published=_datetime(entry.get("published_parsed")),
        updated=_datetime(entry.get("updated_parsed")),
        date_text=entry.get("published") or entry.get("updated"),
        html=html,
    )


def _datetime(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None
