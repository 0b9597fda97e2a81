"""Instatus status pages (`<page>/history.rss`). From its documented form only.

Items link to `https://<page>.instatus.com/incident/<id>` or `/maintenance/<id>` (custom
domains keep the paths). Instatus documents its states (`INVESTIGATING`, `IDENTIFIED`,
`MONITORING`, `RESOLVED`; for maintenances `NOTSTARTEDYET`, `INPROGRESS`, `COMPLETED`) but
not the item layout, so an item is read defensively: a state leading the title or the text
(`Resolved: ...`, `[Resolved] ...`, `Status: Resolved<br/>...`) is the status, an
`Affected components` / `Affected services` list gives the components, the link groups the
items of one incident, and a changed title or text is an update.
"""

from __future__ import annotations

import re

from statusstream.model import Document, Item, Update
from statusstream.providers.common import (
    KNOWN_STATUSES,
    MAINTENANCE_STATUSES,
    affected_names,
    chronological,
    incident_id,
    normalise_status,
    plain,
    split_leading_status,
    unique,
)
from statusstream.text import clean, html_to_text

_PAGES = re.compile(
    r"^https?://[^/]+/(?:[^/]+/)?(?P<kind>incident|maintenance)/[a-z0-9]{6,}/?$", re.IGNORECASE
)
_HOSTS = re.compile(r"^https?://[^/]*\.instatus\.com(?:/|$)", re.IGNORECASE)
# `Status: Resolved<br/>...` or `<b>Status: Resolved</b>...` at the start of the text.
_STATUS_LINE = re.compile(
    r"^\s*(?:<[^>]+>\s*)*Status\s*:\s*(?P<word>[A-Za-z _-]{2,30}?)\s*(?=<)", re.IGNORECASE
)
_LIST = re.compile(
    r"Affected (?:services|components)\s*:?\s*(?:<[^>]+>\s*)*?<ul[^>]*>(?P<items>.*?)</ul>",
    re.IGNORECASE | re.DOTALL,
)
_ITEM = re.compile(r"<li[^>]*>(?P<name>.*?)</li>", re.IGNORECASE | re.DOTALL)
_ALIASES = {
    "notstartedyet": "scheduled",
    "not_started_yet": "scheduled",
    "inprogress": "in_progress",
}


def detect(document: Document) -> bool:
    if _HOSTS.match(document.link or ""):
        return True
    return any(
        _HOSTS.match(item.link or "") or _PAGES.match(item.link or "")
        for item in document.items[:5]
    )


def extract(document: Document) -> list[Update]:
    return chronological(item_update(item) for item in document.items)


def item_update(item: Item) -> Update:
    title_status, title = split_leading_status(clean(item.title), _ALIASES)
    markup = item.html
    text_status = None
    if line := _STATUS_LINE.match(markup):
        word = normalise_status(line["word"])
        if _ALIASES.get(word, word) in KNOWN_STATUSES:
            text_status = _ALIASES.get(word, word)
            markup = markup[line.end() :]
    components: tuple[str, ...] = ()
    if listed := _LIST.search(markup):
        components = unique(html_to_text(li["name"]) for li in _ITEM.finditer(listed["items"]))
        markup = markup[: listed.start()] + markup[listed.end() :]
    text = plain(markup)
    if text_status is None:
        text_status, text = split_leading_status(text, _ALIASES)
    status = title_status or text_status
    page = _PAGES.match(item.link or "")
    maintenance = status in MAINTENANCE_STATUSES or bool(
        page and page["kind"].lower() == "maintenance"
    )
    return Update(
        incident=incident_id(item),
        title=title,
        link=item.link,
        kind="maintenance" if maintenance else "incident",
        status=status,
        message=text,
        components=components or affected_names(text),
        time=item.updated or item.published,
        published=item.published,
        structured=False,
    )
