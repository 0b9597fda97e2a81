"""Azure status (`azure.status.microsoft/en-us/status/feed/`). From its documented form only.

An RSS item per active issue, updated in place; the guid is a slug of the title
(`impact-to-azure-virtual-machines-in-multiple-regions`), the link the status page itself.
The description is prose with labelled parts:

    Impact Statement: Starting at 01:37 UTC on 26 June 2025, ...
    Current Status: We are actively investigating the impact, ...

Status is read from the `Current Status:` part where it says so plainly (`investigating`,
`identified`, `monitoring`; `mitigated` or `resolved` -> `resolved`), else `update`; null
without such a part. There is no per-update structure, so an update is a changed text.
"""

from __future__ import annotations

import re

from statusstream.model import Document, Item, Update
from statusstream.providers.common import plain, sniff_status, split_leading_status, title_id
from statusstream.text import clean

_HOSTS = re.compile(
    r"^https?://(?:[^/]*\.)?(?:azure\.status\.microsoft|status\.azure\.com|azurestatuscdn\."
    r"azureedge\.net|azure\.microsoft\.com/[^/]*/?status)",
    re.IGNORECASE,
)
_CURRENT = re.compile(r"Current Status\s*:\s*(?P<text>.*)", re.IGNORECASE | re.DOTALL)
_LABELLED = re.compile(r"Impact Statement\s*:", re.IGNORECASE)
_MAINTENANCE = re.compile(r"\b(?:planned )?maintenance\b", re.IGNORECASE)
_ALIASES = {"mitigated": "resolved", "active": "investigating"}


def detect(document: Document) -> bool:
    if _HOSTS.match(document.link or ""):
        return True
    return any(_HOSTS.match(item.link or "") or _labelled(item) for item in document.items[:5])


def _labelled(item: Item) -> bool:
    return bool(_LABELLED.search(item.html) and _CURRENT.search(item.html))


def extract(document: Document) -> list[Update]:
    return [item_update(item) for item in document.items]


def item_update(item: Item) -> Update:
    text = plain(item.html)
    status, title = split_leading_status(clean(item.title), _ALIASES)
    if current := _CURRENT.search(text):
        status = status or sniff_status(current["text"]) or "update"
    # The link is the status page itself, shared by every issue: the guid names the issue.
    incident = item.id or (item.link if item.link and not _HOSTS.match(item.link) else None)
    return Update(
        incident=incident or title_id(title),
        title=title,
        link=item.link,
        kind="maintenance" if _MAINTENANCE.search(title) else "incident",
        status=status,
        message=text,
        components=(),
        time=item.updated or item.published,
        published=item.published,
        structured=False,
    )
