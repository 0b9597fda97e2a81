"""incident.io status pages (status.openai.com, ...): `feed.rss`, `feed.atom`, `history.atom`.

One item per incident, carrying only its current status and latest message:

    <b>Status: Monitoring</b><br/><br/>We are seeing recovery.<br/><br/>
    <b>Affected components</b><ul><li>Login (Partial outage)</li>...</ul>

A new update shows only as a changed status or date, so an update is identified by status
and time. The component states are the current ones, so only the names are kept. The item
link (`https://status.openai.com//incidents/<ULID>`, double slash included) is the same in
the RSS and the Atom feed and is kept as given.
"""

from __future__ import annotations

import re

from statusstream.model import Document, Item, Update
from statusstream.providers.common import (
    incident_id,
    normalise_status,
    plain,
    unique,
)
from statusstream.statuses import MAINTENANCE_STATUSES
from statusstream.text import clean, html_to_text

_STATUS = re.compile(r"<b>\s*Status:\s*(?P<status>[^<]{1,40}?)\s*</b>", re.IGNORECASE)
_COMPONENTS = re.compile(r"<b>\s*Affected components\s*</b>", re.IGNORECASE)
# `name` never spans another `<li>`: an item left open must not make every later one scan to
# the end of the text.
_ITEM = re.compile(r"<li[^>]*>(?P<name>(?:(?!</?li\b).)*?)</li>", re.IGNORECASE | re.DOTALL)
# The component states incident.io appends: `Login (Partial outage)`.
_STATE = re.compile(
    r"\s*\((?:operational|degraded performance|partial outage|full outage|major outage"
    r"|under maintenance|maintenance)\)\s*$",
    re.IGNORECASE,
)
_MAINTENANCE = re.compile(r"\bmaintenance\b", re.IGNORECASE)
# incident.io's maintenance states, as the API names them.
_ALIASES = {
    "maintenance_scheduled": "scheduled",
    "maintenance_in_progress": "in_progress",
    "maintenance_completed": "completed",
    "maintenance_complete": "completed",
    "complete": "completed",
}


def detect(document: Document) -> bool:
    if "incident.io" in (document.generator or "").lower():
        return True
    return any(
        _STATUS.match(item.html.lstrip()) and "/incidents/" in (item.link or "")
        for item in document.items[:5]
    )


def extract(document: Document) -> list[Update]:
    return [item_update(item) for item in document.items]


def item_update(item: Item) -> Update:
    markup = item.html
    status: str | None = None
    if found := _STATUS.search(markup):
        word = normalise_status(found["status"])
        status = _ALIASES.get(word, word)
        markup = markup[found.end() :]
    components: tuple[str, ...] = ()
    if listed := _COMPONENTS.search(markup):
        names = (_STATE.sub("", html_to_text(li["name"])) for li in _ITEM.finditer(markup))
        components = unique(names)
        markup = markup[: listed.start()]
    title = clean(item.title)
    maintenance = status in MAINTENANCE_STATUSES or bool(
        _MAINTENANCE.search(f"{title} {found['status'] if found else ''}")
    )
    return Update(
        incident=incident_id(item),
        title=title,
        link=item.link,
        kind="maintenance" if maintenance else "incident",
        status=status,
        message=plain(markup),
        components=components,
        time=item.updated or item.published,
        published=item.published,
    )
