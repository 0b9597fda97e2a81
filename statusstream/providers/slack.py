"""Slack status (`slack-status.com/feed/atom`, `/feed/rss`). From its documented form only.

One entry per incident, updated in place, linked to `https://slack-status.com/<YYYY-MM>/<id>`.
The title leads with the kind of event (`Incident: ...`, `Outage: ...`, `Notice: ...`,
`Maintenance: ...`), which becomes `kind` and leaves the title; the summary is the latest
note. A new note shows as a changed `updated`, so an update is identified by its time.
Status is read from the note where it says so plainly (`... is now resolved.`), else null.
"""

from __future__ import annotations

import re

from statusstream.model import Document, Item, Update
from statusstream.providers.common import incident_id, plain, sniff_status, split_leading_status
from statusstream.text import clean

_HOSTS = re.compile(r"^https?://(?:[^/]*\.)?(?:slack-status\.com|status\.slack\.com)(?:/|$)")
_KIND = re.compile(
    r"^\s*(?P<kind>incident|outage|notice|maintenance|scheduled maintenance)\s*:\s*", re.IGNORECASE
)
_MAINTENANCE = re.compile(r"\bmaintenance\b", re.IGNORECASE)


def detect(document: Document) -> bool:
    if _HOSTS.match(document.link or ""):
        return True
    return any(_HOSTS.match(item.link or item.id or "") for item in document.items[:5])


def extract(document: Document) -> list[Update]:
    return [item_update(item) for item in document.items]


def item_update(item: Item) -> Update:
    title = clean(item.title)
    kind_word = ""
    if found := _KIND.match(title):
        kind_word = found["kind"]
        title = title[found.end() :]
    title_status, title = split_leading_status(title)
    text = plain(item.html)
    maintenance = bool(_MAINTENANCE.search(f"{kind_word} {title}"))
    return Update(
        incident=incident_id(item),
        title=title,
        link=item.link,
        kind="maintenance" if maintenance else "incident",
        status=title_status or sniff_status(text),
        message=text,
        components=(),
        time=item.updated or item.published,
        published=item.published,
    )
