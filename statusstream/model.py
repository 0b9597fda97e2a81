"""The values that flow between the stages: a parsed feed document and its incident updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Item:
    """One RSS item or Atom entry, as the document gives it."""

    id: str | None
    title: str
    link: str | None
    published: datetime | None
    updated: datetime | None
    # The date as written, for the time zone a provider's own text may leave out.
    date_text: str | None
    html: str
    # The RSS `<description>` / Atom `<summary>` where `html` is `<content:encoded>` (Instatus
    # writes its plain-text updates there), and the `<category>` names (Azure's services).
    summary: str = ""
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed feed: what providers read. Built by `document.parse_document`."""

    title: str
    link: str | None
    generator: str | None
    ttl_minutes: int | None
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Update:
    """One incident update, as a provider understands it.

    `structured` updates are identified by status, time and rank (SPEC §3); the others,
    from feeds without such structure, by a hash of their normalised title and message.
    """

    incident: str
    title: str
    link: str | None
    kind: str | None
    status: str | None
    message: str
    components: tuple[str, ...]
    # None where the feed gives no date: the time it was observed stands in.
    time: datetime | None
    published: datetime | None
    structured: bool = True
