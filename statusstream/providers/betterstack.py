"""Better Stack status pages (`<page>/feed.rss`). From its documented form only.

One item per status update:

    <title>[Resolved] Database Connection Issues</title>
    <link>https://status.example.com/incidents/98765</link>
    <guid>https://status.example.com/incidents/98765#update-11111</guid>

The bracketed word is the status and leaves the title; the link (the report's page) groups
the updates of one incident. Better Stack's resource states map to the lifecycle ones:
`Degraded` and `Downtime` -> `investigating`, `Maintenance` -> `in_progress`.
"""

from __future__ import annotations

import re

from statusstream.model import Document, Item, Update
from statusstream.providers.common import (
    affected_names,
    chronological,
    plain,
    split_leading_status,
    title_id,
    without_fragment,
)
from statusstream.statuses import MAINTENANCE_STATUSES
from statusstream.text import clean

_UPDATE_GUID = re.compile(r"#update-\d+$")
_HOSTS = re.compile(r"^https?://[^/]*\.(?:betteruptime\.com|betterstack\.com)(?:/|$)")
_MAINTENANCE = re.compile(r"/maintenances?/|\bmaintenance\b", re.IGNORECASE)
_ALIASES = {
    "degraded": "investigating",
    "downtime": "investigating",
    "maintenance": "in_progress",
    "operational": "resolved",
}


def detect(document: Document) -> bool:
    if _HOSTS.match(document.link or ""):
        return True
    return any(
        _UPDATE_GUID.search(item.id or "") and not _UPDATE_GUID.search(item.link or "")
        for item in document.items[:5]
    )


def extract(document: Document) -> list[Update]:
    return chronological(item_update(item) for item in document.items)


def item_update(item: Item) -> Update:
    status, title = split_leading_status(clean(item.title), _ALIASES)
    text = plain(item.html)
    page = item.link or (without_fragment(item.id) if item.id else None)
    maintenance = status in MAINTENANCE_STATUSES or bool(_MAINTENANCE.search(f"{page} {title}"))
    return Update(
        incident=page or title_id(title),
        title=title,
        link=page,
        kind="maintenance" if maintenance else "incident",
        status=status,
        message=text,
        components=affected_names(text),
        time=item.published or item.updated,
        published=None,
    )
