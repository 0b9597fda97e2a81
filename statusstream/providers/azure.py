"""Azure status (`azure.status.microsoft/en-us/status/feed/`), as archived captures show it.

An RSS item per active issue, updated in place, gone once resolved (the channel is empty
most of the time); the guid is a slug of the title
(`issues-connecting-to-resources-in-west-us`), the link the status page itself, on
status.azure.com or an internal host (`azurestatusprodncus.azurewebsites.net`). Each
`<category>` names an affected service or region: they are the components, in order. The
description is entity-escaped HTML prose, sometimes with labelled parts:

    <p><strong>Impact statement: </strong>Starting at 16:10 UTC on 07 Sep 2022, ...</p>
    <p><strong>Current status: </strong>We are recovering a number of nodes ...</p>

Status is read from the `Current status:` part, or without one from the whole text, where
it says so plainly (`investigating`, `identified`, `monitoring`; `mitigated` or `resolved`
-> `resolved`), else `update`. There is no per-update structure, so an update is a changed
text.
"""

from __future__ import annotations

import re

from statusstream.model import Document, Item, Update
from statusstream.providers.common import (
    plain,
    sniff_status,
    split_leading_status,
    title_id,
    unique,
)
from statusstream.text import clean

_HOSTS = re.compile(
    r"^https?://(?:[^/]*\.)?(?:azure\.status\.microsoft|status\.azure\.com|azurestatuscdn\."
    r"azureedge\.net|azure\.microsoft\.com/[^/]*/?status|azurestatus[a-z0-9-]*\."
    r"azurewebsites\.net)",
    re.IGNORECASE,
)
_TITLE = "azure status"  # the channel's own title
_CURRENT = re.compile(r"Current Status\s*:\s*(?P<text>.*)", re.IGNORECASE | re.DOTALL)
_LABELLED = re.compile(r"Impact Statement\s*:", re.IGNORECASE)
_MAINTENANCE = re.compile(r"\b(?:planned )?maintenance\b", re.IGNORECASE)
_ALIASES = {"mitigated": "resolved", "active": "investigating"}


def detect(document: Document) -> bool:
    if _HOSTS.match(document.link or "") or document.title.lower() == _TITLE:
        return True
    return any(_HOSTS.match(item.link or "") or _labelled(item) for item in document.items[:5])


def _labelled(item: Item) -> bool:
    return bool(_LABELLED.search(item.html) and _CURRENT.search(item.html))


def extract(document: Document) -> list[Update]:
    return [item_update(item) for item in document.items]


def item_update(item: Item) -> Update:
    text = plain(item.html)
    status, title = split_leading_status(clean(item.title), _ALIASES)
    current = _CURRENT.search(text)
    status = status or sniff_status(current["text"] if current else text) or "update"
    # The link is the status page itself, shared by every issue: the guid names the issue.
    incident = item.id or (item.link if item.link and not _HOSTS.match(item.link) else None)
    return Update(
        incident=incident or title_id(title),
        title=title,
        link=item.link,
        kind="maintenance" if _MAINTENANCE.search(title) else "incident",
        status=status,
        message=text,
        components=unique(item.categories),
        time=item.updated or item.published,
        published=item.published,
        structured=False,
    )
