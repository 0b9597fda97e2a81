"""Instatus status pages (`<page>/history.rss`, `/history.atom`).

One item per incident or maintenance, linked to `<page>/incident/<id>` or
`/maintenance/<id>` (custom domains keep the paths). Real items carry every update twice:

    <description>
        Type: Incident
        Duration: 46 minutes

        Affected Components: API, Dashboard
        Sep 25, 15:15:00 GMT+0 - Investigating - text. Sep 25, 16:01:05 GMT+0 - Resolved - ...
    </description>
    <content:encoded><![CDATA[<p><strong>Affected Components:</strong> , </p>
        &lt;p&gt;&lt;small&gt;Sep &lt;var data-var=&#039;date&#039;&gt; 25 ...]]></content:encoded>

The plain text is read first: its update stamps give each update's status and time (with
seconds and an offset, the year from the item's date), its `Affected Components` line the
component names, which the HTML leaves empty. Without it, the HTML's update blocks (escaped
once or twice) give the same updates. An item without such stamps is read in the short
layout: a state leading the title or the text (`Status: Resolved<br/>...`, `[Resolved] ...`)
is the status, an `Affected services` list the components, and a changed text an update.
Instatus's own states map to the common ones: `Not started yet` -> `scheduled`,
`In progress` -> `in_progress`.
"""

from __future__ import annotations

import re

from statusstream.model import Document, Item, Update
from statusstream.providers.common import (
    MONTH_NAMES,
    affected_names,
    chronological,
    incident_id,
    instatus_kinds,
    is_instatus_body,
    normalise_status,
    parse_when,
    plain,
    split_leading_status,
    unique,
    zone_of,
)
from statusstream.statuses import KNOWN_STATUSES, MAINTENANCE_STATUSES
from statusstream.text import clean, html_to_text

_PAGES = re.compile(
    r"^https?://[^/]+/(?:[^/]+/)?(?P<kind>incident|maintenance)/[a-z0-9]{6,}/?$", re.IGNORECASE
)
_HOSTS = re.compile(r"^https?://[^/]*\.instatus\.com(?:/|$)", re.IGNORECASE)
# `Sep 25, 15:15:00 GMT+0 - Investigating - ` (plain) or `... GMT+0 Investigating - ` (HTML).
_STAMP = re.compile(
    rf"(?P<when>\b(?:{'|'.join(MONTH_NAMES)})[a-z]*\.?\s+\d{{1,2}},\s*"
    r"(?:\d{4},?\s*)?\d{1,2}:\d{2}(?::\d{2})?\s*(?:GMT|UTC)(?:[+-]\d{1,2}(?::?\d{2})?)?)"
    r"\s*(?:-\s*)?(?P<label>[A-Za-z][A-Za-z ]{0,30}?)\s+-(?:\s+|$)"
)
_AFFECTED = re.compile(r"Affected Components\s*:[ \t]*(?P<names>[^\n]*)", re.IGNORECASE)
_MARKUP = re.compile(r"<[A-Za-z/!]")
# The HTML repeats each message with a full stop added: `resolved..`, `operational. .`.
_ADDED_STOP = re.compile(r"(?<=[.!?])\s*\.$")
# `Status: Resolved<br/>...` or `<b>Status: Resolved</b>...` at the start of the text.
_STATUS_LINE = re.compile(
    r"^\s*(?:<[^>]+>\s*)*Status\s*:\s*(?P<word>[A-Za-z _-]{2,30}?)\s*(?=<)", re.IGNORECASE
)
# The list's start only: its end and its items are found with `str.find` and a split, as a
# lazy `.*?</ul>` would scan to the end of the text for every list left open (hostile text
# can hold thousands).
_LIST = re.compile(
    r"Affected (?:services|components)\s*:?\s*(?:<[^>]+>\s*)*?<ul[^>]*>", re.IGNORECASE
)
_ITEM_START = re.compile(r"<li[^>]*>", re.IGNORECASE)
_ALIASES = {
    "notstartedyet": "scheduled",
    "not_started_yet": "scheduled",
    "inprogress": "in_progress",
}


def detect(document: Document) -> bool:
    if _HOSTS.match(document.link or ""):
        return True
    return any(
        _HOSTS.match(item.link or "")
        or _PAGES.match(item.link or "")
        or is_instatus_body(item.summary)
        or is_instatus_body(item.html)
        for item in document.items[:5]
    )


def extract(document: Document) -> list[Update]:
    updates: list[Update] = []
    for item in document.items:
        stamped = item_updates(item)
        updates.extend(stamped if stamped else [item_update(item)])
    return chronological(updates)


def item_updates(item: Item) -> list[Update]:
    """The stamped updates of one item, oldest first; empty if it has none."""
    body = _body(item)
    if body is None:
        return []
    text, from_html = body
    reference = item.published or item.updated
    fallback_zone = zone_of(item.date_text)
    stamps = []
    for stamp in _STAMP.finditer(text):
        when = parse_when(stamp["when"], reference, fallback_zone)
        if when is not None:  # an unreadable stamp is part of the message before it
            stamps.append((stamp, when))
    raw = []
    for index, (stamp, when) in enumerate(stamps):
        end = stamps[index + 1][0].start() if index + 1 < len(stamps) else len(text)
        message = clean(text[stamp.end() : end])
        if from_html:
            message = _ADDED_STOP.sub("", message)
        word = normalise_status(stamp["label"])
        raw.append((when, index, _ALIASES.get(word, word), message))
    raw.sort(key=lambda entry: (entry[0], entry[1]))  # not always written in time order
    page = _PAGES.match(item.link or "")
    maintenance = (
        "maintenance" in instatus_kinds(text)
        or bool(page and page["kind"].lower() == "maintenance")
        or any(status in MAINTENANCE_STATUSES for _, _, status, _ in raw)
    )
    components = _components(text)
    title = clean(item.title)
    incident = incident_id(item)
    return [
        Update(
            incident=incident,
            title=title,
            link=item.link,
            kind="maintenance" if maintenance else "incident",
            status=status or None,
            message=message,
            components=components,
            time=when,
            published=None,
        )
        for when, _, status, message in raw
    ]


def _body(item: Item) -> tuple[str, bool] | None:
    """The text that holds the update stamps, and whether it was made plain from HTML: the
    plain-text description (lines kept) first, which alone names the components."""
    if _MARKUP.search(item.summary) is None:
        if _STAMP.search(item.summary):
            return item.summary, False
    elif _STAMP.search(text := plain(item.summary)):
        return text, True
    text = plain(item.html)
    return (text, True) if _STAMP.search(text) else None


def _components(text: str) -> tuple[str, ...]:
    """`Affected Components: A, B` up to the end of its line or the first update."""
    found = _AFFECTED.search(text)
    if found is None:
        return ()
    names = found["names"]
    if stamp := _STAMP.search(names):
        names = names[: stamp.start()]
    return unique(names.split(","))


def item_update(item: Item) -> Update:
    """An item of the short layout: one update, identified by its title and text."""
    title_status, title = split_leading_status(clean(item.title), _ALIASES)
    markup = item.html
    text_status = None
    if line := _STATUS_LINE.match(markup):
        word = normalise_status(line["word"])
        if _ALIASES.get(word, word) in KNOWN_STATUSES:
            text_status = _ALIASES.get(word, word)
            markup = markup[line.end() :]
    components: tuple[str, ...] = ()
    if listed := _affected_list(markup):
        names, (begin, end) = listed
        components = unique(html_to_text(name) for name in names)
        markup = markup[:begin] + markup[end:]
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


def _affected_list(markup: str) -> tuple[list[str], tuple[int, int]] | None:
    """The "Affected services" list: its closed items as HTML, and the span of the list;
    None when there is none, or it is never closed."""
    start = _LIST.search(markup)
    if start is None:
        return None
    close = markup.lower().find("</ul>", start.end())
    if close < 0:
        return None
    names = []
    for item in _ITEM_START.split(markup[start.end() : close])[1:]:
        cut = item.lower().find("</li>")
        if cut >= 0:
            names.append(item[:cut])
    return names, (start.start(), close + len("</ul>"))
