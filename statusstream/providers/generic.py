"""Any RSS or Atom feed: one item is one incident; a changed title or text is an update."""

from __future__ import annotations

from statusstream.model import Document, Update
from statusstream.providers.common import split_leading_status
from statusstream.text import clean, html_to_text


def detect(document: Document) -> bool:
    return True


def extract(document: Document) -> list[Update]:
    updates = []
    for item in document.items:
        title_status, title = split_leading_status(clean(item.title))
        text_status, message = split_leading_status(html_to_text(item.html))
        updates.append(
            Update(
                incident=item.id or item.link or f"title:{title}",
                title=title,
                link=item.link,
                kind=None,
                status=title_status or text_status,
                message=message,
                components=(),
                time=item.updated or item.published,
                published=item.published,
                structured=False,
            )
        )
    return updates
