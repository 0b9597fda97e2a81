"""Status.io pages (`status.io/pages/<page>/rss`). From its documented form only.

One item per incident or maintenance, linked to `https://status.io/pages/incident/<page>/<id>`
(or `/maintenance/`); the description lists every update, oldest first, dated in full and in
the page's own zone:

    <small>June 4, 2026 05:15 PDT</small><br /><b>Investigating</b> - We are aware ...<br /><br />

Maintenance states map to the common ones: `Planned` -> `scheduled`, `Active` ->
`in_progress`, `Completed` -> `completed`.
"""

from __future__ import annotations

import re

from statusstream.model import Document, Item, Update
from statusstream.providers.common import (
    chronological,
    has_summer_labels,
    incident_id,
    normalise_status,
    parse_when,
    plain,
    zone_of,
)
from statusstream.statuses import MAINTENANCE_STATUSES
from statusstream.text import clean, html_to_text

_HEADER = re.compile(
    r"<small>(?P<when>[^<]*\d{4}[^<]*)</small>\s*(?:<br\s*/?>)?\s*<b>(?P<label>[^<]{1,40})</b>"
    r"\s*(?:-|&#8211;|&ndash;|\u2013)?",
    re.IGNORECASE,
)
_PAGES = re.compile(r"^https?://(?:[^/]*\.)?status\.io/pages/(?:incident|maintenance)/")
_ALIASES = {
    "planned": "scheduled",
    "active": "in_progress",
    "in_progress": "in_progress",
    "extended": "in_progress",
    "complete": "completed",
}


def detect(document: Document) -> bool:
    return any(
        _PAGES.match(item.link or "") or _HEADER.search(item.html) for item in document.items[:5]
    )


def extract(document: Document) -> list[Update]:
    return chronological(update for item in document.items for update in item_updates(item))


def item_updates(item: Item) -> list[Update]:
    markup = item.html
    headers = list(_HEADER.finditer(markup))
    zone = zone_of(item.date_text)
    seasonal = has_summer_labels(markup)
    raw = []
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(markup)
        when = parse_when(
            html_to_text(header["when"]),
            item.published or item.updated,
            zone,
            labels_follow_summer_time=seasonal,
        )
        word = normalise_status(html_to_text(header["label"]))
        raw.append((when, _ALIASES.get(word, word), plain(markup[header.end() : end])))
    if not raw:
        return []
    statuses = {status for _, status, _ in raw}
    maintenance = "/maintenance/" in (item.link or "") or bool(statuses & MAINTENANCE_STATUSES)
    incident = incident_id(item)
    title = clean(item.title)
    return [
        Update(
            incident=incident,
            title=title,
            link=item.link,
            kind="maintenance" if maintenance else "incident",
            status=status,
            message=message,
            components=(),
            time=when or item.published,
            published=None,
        )
        for when, status, message in raw
    ]
