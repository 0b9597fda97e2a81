"""Atlassian Statuspage `history.rss` / `history.atom`.

One item per incident; its description lists every update, newest first:

    <p><small>Feb <var data-var='date'> 3</var>, <var data-var='time'>19:28</var> UTC</small>
    <br><strong>Resolved</strong> - text</p>

The update times carry no year (it comes from the item's date) and are in the page's own
time zone (UTC, PST/PDT, ...). Old pages print one label all year (`PST` in August): an item
without summer-time labels whose own date is in summer time is read in summer time.
LambStatus pages publish this same markup (with the year) and are read here too.
"""

from __future__ import annotations

import re

from statusstream.model import Document, Item, Update
from statusstream.providers.common import (
    has_summer_labels,
    incident_id,
    is_instatus_body,
    normalise_status,
    parse_when,
    zone_of,
)
from statusstream.statuses import MAINTENANCE_STATUSES
from statusstream.text import clean, html_to_text

# `when` never spans another `<small>`: small print in a message is not the start of a header.
_HEADER = re.compile(
    r"<small>(?P<when>(?:(?!</?small\b).)*?)</small>\s*(?:<br\s*/?>)?\s*"
    r"<strong>(?P<label>[^<]{1,40})</strong>\s*"
    r"(?:-|&#8211;|&ndash;|\u2013)?",
    re.IGNORECASE | re.DOTALL,
)
# `names` never spans another `<p>` (as `when` above never spans a `<small>`): a paragraph
# left open must not make every later one scan to the end of the text.
_AFFECTED = re.compile(
    r"<p>\s*This (?:incident|scheduled maintenance) affected:\s*"
    r"(?P<names>(?:(?!</?p\b).)*?)\s*</p>",
    re.IGNORECASE | re.DOTALL,
)
_SCHEDULED_EVENT = re.compile(r"THIS IS A SCHEDULED EVENT", re.IGNORECASE)


def detect(document: Document) -> bool:
    # Instatus's Atom body has these blocks too, after its own `Type:` line: not this format.
    return any(
        _HEADER.search(item.html) and not is_instatus_body(item.html) for item in document.items[:5]
    )


def extract(document: Document) -> list[Update]:
    updates: list[Update] = []
    for item in document.items:
        updates.extend(item_updates(item))
    return updates


def item_updates(item: Item) -> list[Update]:
    """The updates of one incident item, oldest first."""
    markup = item.html
    components: tuple[str, ...] = ()
    if affected := _AFFECTED.search(markup):
        components = split_components(html_to_text(affected["names"]))
        markup = markup[: affected.start()] + markup[affected.end() :]
    reference = item.published or item.updated
    fallback_zone = zone_of(item.date_text)
    seasonal = has_summer_labels(markup)
    headers = []
    for header in _HEADER.finditer(markup):
        when = parse_when(
            html_to_text(header["when"]),
            reference,
            fallback_zone,
            labels_follow_summer_time=seasonal,
        )
        if when is not None:  # an undated one is part of the message before it
            headers.append((header, when))
    raw = []
    for index, (header, when) in enumerate(headers):
        end = headers[index + 1][0].start() if index + 1 < len(headers) else len(markup)
        status = normalise_status(html_to_text(header["label"]))
        raw.append((when, -index, status, html_to_text(markup[header.end() : end])))
    if not raw:
        return []
    # Oldest first; among equal times the later in the document is the older.
    raw.sort(key=lambda entry: (entry[0], entry[1]))
    statuses = {status for _, _, status, _ in raw}
    maintenance = bool(statuses & MAINTENANCE_STATUSES) or _says_scheduled(markup)
    published = raw[0][0]
    title = clean(item.title)
    incident = incident_id(item)
    return [
        Update(
            incident=incident,
            title=title,
            link=item.link,
            kind="maintenance" if maintenance else "incident",
            status=status,
            message=message,
            components=components,
            time=when,
            published=published,
        )
        for when, _, status, message in raw
    ]


def _says_scheduled(markup: str) -> bool:
    # A case-blind search is slow; no other text than ASCII `event` lower-cases to `event`.
    return "event" in markup.lower() and _SCHEDULED_EVENT.search(markup) is not None


def split_components(names: str) -> tuple[str, ...]:
    """`API, Group (A, B), Billing.` -> `API`, `Group (A, B)`, `Billing`."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in names.rstrip(". "):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return tuple(dict.fromkeys(name.strip() for name in parts if name.strip()))
