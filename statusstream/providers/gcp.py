"""Google Cloud Service Health (`status.cloud.google.com/en/feed.atom`) and its kin.

One entry per update, `<id>tag:status.cloud.google.com,2022:feed:<incident>.<update></id>`,
linked to `https://status.cloud.google.com/incidents/<incident>`. The title leads with the
status (`RESOLVED: Global: ...`, `UPDATE: ...`); the summary is the update text in a
`div.*status-update-text`, after an `Incident began at ...` line and before an `<hr>` and
`Affected products: A, B` / `Affected locations: ...`.
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
)
from statusstream.text import clean, html_to_text

_ID = re.compile(r"^(?P<prefix>tag:[^,]+,\d{4}:feed:(?P<incident>[^.\s]+))\.(?P<update>\S+)$")
_UPDATE_TEXT = re.compile(
    r"<div[^>]*class=\"[^\"]*status-update-text[^\"]*\"[^>]*>(?P<text>.*)</div>",
    re.IGNORECASE | re.DOTALL,
)
_RULE = re.compile(r"<hr\b[^>]*>", re.IGNORECASE)
_BEGAN = re.compile(r"^\s*<p>\s*Incident began at.*?</p>", re.IGNORECASE | re.DOTALL)
_PRODUCTS = re.compile(r"Affected products\s*:(?P<names>.*?)(?:Affected locations\s*:|$)")
_ALIASES = {"mitigated": "resolved"}


def detect(document: Document) -> bool:
    return any(
        _ID.match(item.id or "") and "/incidents/" in (item.link or "")
        for item in document.items[:5]
    )


def extract(document: Document) -> list[Update]:
    return chronological(item_update(item) for item in document.items)


def item_update(item: Item) -> Update:
    tag = _ID.match(item.id or "")
    incident = item.id or item.link or title_id(item.title)
    if tag:
        page = item.link or ""
        on_page = page.rstrip("/").endswith("/incidents/" + tag["incident"])
        incident = page if on_page else tag["prefix"]
    status, title = split_leading_status(clean(item.title), _ALIASES)
    head, _, tail = _split(item.html)
    body = _UPDATE_TEXT.search(head)
    text = plain(body["text"] if body else _BEGAN.sub("", head))
    products = _PRODUCTS.search(html_to_text(tail))
    components = affected_names("Affected products: " + products["names"]) if products else ()
    return Update(
        incident=incident,
        title=title,
        link=item.link,
        kind="incident",
        status=status,
        message=text,
        components=components,
        time=item.updated or item.published,
        published=item.published,
    )


def _split(markup: str) -> tuple[str, str, str]:
    """The update (before the last `<hr>`) and the `Affected ...` tail (after it)."""
    rules = list(_RULE.finditer(markup))
    if not rules:
        return markup, "", ""
    last = rules[-1]
    return markup[: last.start()], last.group(), markup[last.end() :]
