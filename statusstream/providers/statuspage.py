"""Atlassian Statuspage `history.rss` / `history.atom`.

One item per incident; its description lists every update, newest first:

    <p><small>Feb <var data-var='date'> 3</var>, <var data-var='time'>19:28</var> UTC</small>
    <br><strong>Resolved</strong> - text</p>

The update times carry no year (it comes from the item's date) and are in the page's own
time zone (UTC, PST/PDT, ...).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from statusstream.model import Document, Item, Update
from statusstream.providers.common import MAINTENANCE_STATUSES, incident_id, normalise_status
from statusstream.text import clean, html_to_text

_HEADER = re.compile(
    r"<small>(?P<when>.*?)</small>\s*(?:<br\s*/?>)?\s*<strong>(?P<label>[^<]{1,40})</strong>\s*"
    r"(?:-|&#8211;|&ndash;|\u2013)?",
    re.IGNORECASE | re.DOTALL,
)
_WHEN = re.compile(
    r"(?P<month>[A-Za-z]{3})[a-z]*\.?\s+(?P<day>\d{1,2}),?\s*(?:(?P<year>\d{4}),?\s*)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[AaPp][Mm])?\s*(?P<zone>[A-Za-z]{1,5})?"
)
_AFFECTED = re.compile(
    r"<p>\s*This (?:incident|scheduled maintenance) affected:\s*(?P<names>.*?)\s*</p>",
    re.IGNORECASE | re.DOTALL,
)
_SCHEDULED_EVENT = re.compile(r"THIS IS A SCHEDULED EVENT", re.IGNORECASE)
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})\s*$")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# The abbreviations Statuspage prints; an unknown one falls back to the item date's offset.
_ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
    "MSK": 3, "IST": 5.5, "SGT": 8, "HKT": 8, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11,
    "NZST": 12, "NZDT": 13, "HST": -10, "AKST": -9, "AKDT": -8, "PST": -8, "PDT": -7,
    "MST": -7, "MDT": -6, "CST": -6, "CDT": -5, "EST": -5, "EDT": -4, "BRT": -3,
}  # fmt: skip


def detect(document: Document) -> bool:
    return any(_HEADER.search(item.html) for item in document.items[:5])


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
    headers = list(_HEADER.finditer(markup))
    reference = item.published or item.updated
    fallback_zone = _zone_of(item.date_text)
    raw = []
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(markup)
        when = parse_when(html_to_text(header["when"]), reference, fallback_zone)
        if when is None:
            continue
        status = normalise_status(html_to_text(header["label"]))
        raw.append((when, -index, status, html_to_text(markup[header.end() : end])))
    if not raw:
        return []
    # Oldest first; among equal times the later in the document is the older.
    raw.sort(key=lambda entry: (entry[0], entry[1]))
    statuses = {status for _, _, status, _ in raw}
    maintenance = bool(statuses & MAINTENANCE_STATUSES) or bool(_SCHEDULED_EVENT.search(markup))
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


def parse_when(
    text: str, reference: datetime | None, fallback_zone: timezone | None
) -> datetime | None:
    """`Feb 3, 19:28 UTC` -> an aware UTC datetime, the year nearest the item's date."""
    match = _WHEN.search(text)
    if match is None:
        return None
    month = _MONTHS.get(match["month"].lower())
    if month is None:
        return None
    hour = int(match["hour"])
    if match["ampm"]:
        hour = hour % 12 + (12 if match["ampm"].lower() == "pm" else 0)
    zone = _zone(match["zone"]) or fallback_zone or UTC
    anchor = reference or datetime.now(UTC)
    years = (
        [int(match["year"])] if match["year"] else [anchor.year - 1, anchor.year, anchor.year + 1]
    )
    candidates = []
    for year in years:
        try:
            local = datetime(
                year, month, int(match["day"]), hour, int(match["minute"]), tzinfo=zone
            )
        except ValueError:  # Feb 29 in a year without one, or a day out of range
            continue
        candidates.append(local.astimezone(UTC))
    if not candidates:
        return None
    return min(candidates, key=lambda candidate: abs(candidate - anchor))


def _zone(abbreviation: str | None) -> timezone | None:
    if abbreviation is None:
        return None
    hours = _ZONES.get(abbreviation.upper())
    return None if hours is None else timezone(timedelta(hours=hours))


def _zone_of(date_text: str | None) -> timezone | None:
    """The UTC offset written at the end of an RFC 822 or RFC 3339 date."""
    if not date_text:
        return None
    match = _OFFSET.search(date_text.strip())
    if match is None:
        return None
    minutes = int(match[2]) * 60 + int(match[3])
    return timezone(timedelta(minutes=-minutes if match[1] == "-" else minutes))
