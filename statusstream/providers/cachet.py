"""Cachet status pages (`<page>/rss`, `/atom`), from the templates that render them.

Two layouts. The classic feed has one item per incident (title = incident name, link
`/incidents/<id>`, the incident message as description) and no status. Cachet 3 also
publishes an event feed (`<generator>Cachet</generator>`) with one item per event, linked
to `/incidents/<id>#update-<n>` (or `#reported`), in one of two forms:

    Database slow<br/><br/>Status: Identified<br/><br/>message<br/><br/>⚠️ Affected components: API

    title [Identified] Database slow
    message<br/><br/><strong>Status:</strong> Identified
    <br/><strong>Affected components:</strong> API       (one line in the feed)

Cachet's own states map to the common ones: `Watching` -> `monitoring`, `Fixed` ->
`resolved`, `Updated` -> `update`, `Unknown` -> null; `Reported` (an incident's first event
in the second form) stays as written.
"""

from __future__ import annotations

import re

from statusstream.model import Document, Item, Update
from statusstream.providers.common import (
    affected_names,
    chronological,
    incident_id,
    normalise_status,
    plain,
    split_leading_status,
    title_id,
    without_fragment,
)
from statusstream.text import clean

_EVENT_LINK = re.compile(r"/incidents/[^/#]+#(?:update-\d+|reported)$")
_INCIDENT_LINK = re.compile(r"/incidents/[^/#?]+/?$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_EVENT = re.compile(
    r"^(?P<name>.*?)<br\s*/?>\s*<br\s*/?>\s*Status:\s*(?P<status>[^<]{1,30}?)\s*<br\s*/?>"
    r"(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_COMPONENTS = re.compile(
    r"<br\s*/?>\s*<br\s*/?>\s*(?:\W{0,3}\s*)?Affected components:(?P<names>[^<]*)$", re.IGNORECASE
)
_LABELLED = re.compile(
    r"^(?P<rest>.*?)<br\s*/?>\s*<br\s*/?>\s*<strong>\s*Status:\s*</strong>\s*"
    r"(?P<status>[^<]{1,30}?)\s*(?:<br\s*/?>\s*<strong>\s*Affected components:\s*</strong>"
    r"(?P<names>[^<]*))?$",
    re.IGNORECASE | re.DOTALL,
)
_BRACKETED = re.compile(r"^\s*\[[^\]]{1,30}\]\s*")
_ALIASES = {"watching": "monitoring", "fixed": "resolved", "updated": "update"}


def detect(document: Document) -> bool:
    if "cachet" in (document.generator or "").lower():
        return True
    items = document.items[:5]
    events = any(_EVENT_LINK.search(item.link or "") for item in items)
    classic = bool(items) and all(
        _INCIDENT_LINK.search(item.link or "") and _UUID.match(item.id or "") for item in items
    )
    return events or classic


def extract(document: Document) -> list[Update]:
    return chronological(item_update(item) for item in document.items)


def item_update(item: Item) -> Update:
    if event := _EVENT.match(item.html.strip()):
        return _event_update(item, event)
    if (labelled := _LABELLED.match(item.html.strip())) and _EVENT_LINK.search(item.link or ""):
        return _labelled_update(item, labelled)
    status, title = split_leading_status(clean(item.title), _ALIASES)
    return Update(
        incident=incident_id(item),
        title=title,
        link=item.link,
        kind="incident",
        status=status,
        message=plain(item.html),
        components=(),
        time=item.updated or item.published,
        published=item.published,
        structured=False,
    )


def _event_update(item: Item, event: re.Match[str]) -> Update:
    rest = event["rest"]
    components: tuple[str, ...] = ()
    if listed := _COMPONENTS.search(rest):
        components = affected_names("Affected components:" + listed["names"])
        rest = rest[: listed.start()]
    title = plain(event["name"]) or clean(item.title)
    page = without_fragment(item.link) if item.link else None
    return Update(
        incident=page or title_id(title),
        title=title,
        link=page,
        kind="incident",
        status=_status(event["status"]),
        message=plain(rest),
        components=components,
        time=item.published or item.updated,
        published=None,
    )


def _labelled_update(item: Item, event: re.Match[str]) -> Update:
    components = affected_names("Affected components:" + (event["names"] or ""))
    title = _BRACKETED.sub("", clean(item.title), count=1)
    page = without_fragment(item.link) if item.link else None
    return Update(
        incident=page or title_id(title),
        title=title,
        link=page,
        kind="incident",
        status=_status(event["status"]),
        message=plain(event["rest"]),
        components=components,
        time=item.published or item.updated,
        published=None,
    )


def _status(label: str) -> str | None:
    """A Cachet state in the common words; `Unknown` (or nothing) is null."""
    word = _ALIASES.get(normalise_status(label), normalise_status(label))
    return None if word in ("", "unknown") else word
