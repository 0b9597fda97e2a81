"""Any other RSS or Atom feed: one item is one incident; a changed title or text is an update.

Status only where the feed says it plainly: a leading `Resolved:` or `[Resolved]` in the
title or the text (the word then leaves it), else null. The incident id is the item's own
page when every item has a page of its own, else its guid, else its link, else a hash of
its title.
"""

from __future__ import annotations

from statusstream.model import Document, Item, Update
from statusstream.providers.common import (
    plain,
    split_leading_status,
    title_id,
)
from statusstream.statuses import MAINTENANCE_STATUSES
from statusstream.text import clean


def detect(document: Document) -> bool:
    return True


def extract(document: Document) -> list[Update]:
    own_pages = _own_pages(document)
    return [_update(item, own_pages) for item in document.items]


def _own_pages(document: Document) -> bool:
    """Whether each item links to a page of its own (not the feed's home, not shared)."""
    links = [item.link for item in document.items]
    home = (document.link or "").rstrip("/")
    return (
        all(links)
        and len(set(links)) == len(links)
        and all(link.rstrip("/") != home for link in links if link)
    )


def _update(item: Item, own_pages: bool) -> Update:
    title_status, title = split_leading_status(clean(item.title))
    text_status, message = split_leading_status(plain(item.html))
    status = title_status or text_status
    incident = (item.link if own_pages else None) or item.id or item.link or title_id(title)
    return Update(
        incident=incident,
        title=title,
        link=item.link,
        kind="maintenance" if status in MAINTENANCE_STATUSES else None,
        status=status,
        message=message,
        components=(),
        time=item.updated or item.published,
        published=item.published,
        structured=False,
    )
