"""Feed bytes -> `Document`, read by feedparser (never given a URL to fetch).

What a server may send is not trusted to be sane: feedparser drops DTDs (so no entity
expansion, "billion laughs" included) and resolves no external entities; on top of that, a
document that ends early is an error rather than a source of half items, item dates outside
`YEARS` count as missing, exact duplicate items count once, and a document yields at most
`MAX_ITEMS` items (the newest), which bounds the state kept for a feed.
"""

from __future__ import annotations

import calendar
import io
import time
from datetime import UTC, datetime
from typing import Any

from statusstream.errors import FeedError
from statusstream.model import Document, Item
from statusstream.text import clean

MAX_ITEMS = 500
YEARS = range(1970, 3000)  # item dates outside these years are nonsense, read as no date
MAX_TTL_MINUTES = 7 * 24 * 60
# expat's words for a document that stops before its end
_TRUNCATED = ("no element found", "unclosed token")


def parse_document(body: bytes) -> Document:
    """Parse an RSS or Atom document; `FeedError` with a one-line reason when it is not one."""
    import feedparser  # deferred: a run whose feeds all answer 304 never needs it

    if not body.strip():
        message = "empty body, not an RSS or Atom feed"
        raise FeedError(message)
    # Sanitising is pointless work here: every string is reduced to plain text later. A
    # stream, because feedparser reads bytes that name an existing file from that file.
    parsed = feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False)
    reason = parsed.get("bozo_exception")
    if not parsed.get("version"):
        if b"<html" in body[:4096].lower():
            message = "an HTML page, not an RSS or Atom feed"
            raise FeedError(message)
        detail = f" ({clean(str(reason))[:120]})" if reason else ""
        message = f"not an RSS or Atom feed{detail}"
        raise FeedError(message)
    if reason is not None and getattr(reason, "getMessage", lambda: "")() in _TRUNCATED:
        message = f"the document ends early, cut off? ({clean(str(reason))[:120]})"
        raise FeedError(message)
    channel = parsed.get("feed", {})
    return Document(
        title=clean(channel.get("title", "")),
        link=channel.get("link"),
        generator=channel.get("generator"),
        ttl_minutes=_ttl(channel.get("ttl")),
        items=_newest(tuple(dict.fromkeys(_item(entry) for entry in parsed.get("entries", [])))),
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
        # What feedparser's `updated_parsed` gives, without its deprecation warning.
        updated=_datetime(dict.get(entry, "updated_parsed") or entry.get("published_parsed")),
        date_text=entry.get("published") or dict.get(entry, "updated"),
        html=html,
        summary=entry.get("summary", "") or "",
        categories=tuple(tag["term"] for tag in entry.get("tags", []) if tag.get("term")),
    )


def _newest(items: tuple[Item, ...]) -> tuple[Item, ...]:
    """At most `MAX_ITEMS` items, the newest by date (undated ones last), in document order."""
    if len(items) <= MAX_ITEMS:
        return items
    oldest = datetime.min.replace(tzinfo=UTC)
    ranked = sorted(
        range(len(items)),
        key=lambda index: items[index].updated or items[index].published or oldest,
        reverse=True,
    )
    return tuple(items[index] for index in sorted(ranked[:MAX_ITEMS]))


def _datetime(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None
    return _plausible(moment)


def _plausible(moment: datetime | None) -> datetime | None:
    return moment if moment is not None and moment.year in YEARS else None


def _ttl(value: object) -> int | None:
    """RSS `<ttl>` in minutes, when it is a sensible number of them."""
    try:
        minutes = int(str(value).strip())
    except ValueError:
        return None
    return minutes if 0 < minutes <= MAX_TTL_MINUTES else None
