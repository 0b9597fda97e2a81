"""Helpers shared by the providers: status words, plain text, local times, grouping."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone

from statusstream.model import Item, Update
from statusstream.statuses import KNOWN_STATUSES
from statusstream.text import clean, html_to_text

_LEADING_STATUS = re.compile(
    r"^\s*(?:\[\s*(?P<bracketed>[A-Za-z][A-Za-z -]{1,20}?)\s*\]"
    r"|(?P<prefixed>[A-Za-z][A-Za-z -]{1,20}?)\s*:)\s*",
)
_TAG_LEFT = re.compile(r"</?[A-Za-z][^>]*>")
_AFFECTED = re.compile(
    r"Affected (?:components|services|products)\s*:\s*(?P<names>[^\n]+)", re.IGNORECASE
)


# Prose that says the state plainly; the first that matches wins, so `resolved` goes first.
_SNIFFED = (
    ("resolved", r"\b(?:is|are|been|now|fully|was)\s+(?:now\s+)?(?:resolved|mitigated)\b"),
    ("monitoring", r"\b(?:are|we're|is)\s+(?:now\s+)?monitoring\b"),
    ("identified", r"\b(?:have|has been|we've)\s+identified\b"),
    ("investigating", r"\b(?:are|we're|is)\s+(?:actively\s+|currently\s+)?investigating\b"),
)


# What only an Instatus body has: a `Type:` line and update times with seconds and `GMT+N`
# (its Atom form's update blocks otherwise look like Statuspage's).
_INSTATUS_TYPE = re.compile(
    r"Type:\s*(?:</strong>\s*|&lt;/strong&gt;\s*)?(?P<type>Incident|Maintenance)"
)
_INSTATUS_TIME = re.compile(r"\d:\d{2}:\d{2}(?:</var>|&lt;/var&gt;)?\s*GMT[+-]\d")


def instatus_kinds(text: str) -> set[str]:
    """`incident`, `maintenance`: what the `Type:` lines of an Instatus body say."""
    return {found["type"].lower() for found in _INSTATUS_TYPE.finditer(text)}


def is_instatus_body(text: str) -> bool:
    """Whether a body (plain, HTML, or HTML escaped once more) is an Instatus item's."""
    return (
        "GMT" in text
        and _INSTATUS_TYPE.search(text) is not None
        and _INSTATUS_TIME.search(text) is not None
    )


def normalise_status(label: str) -> str:
    """`In progress` -> `in_progress`."""
    return "_".join(clean(label).lower().replace("-", " ").split())


def split_leading_status(
    text: str, aliases: Mapping[str, str] | None = None
) -> tuple[str | None, str]:
    """`Resolved: Foo` or `[Resolved] Foo` -> (`resolved`, `Foo`); else (None, text).

    `aliases` maps a provider's own words (normalised) to statuses: `{"fixed": "resolved"}`.
    """
    match = _LEADING_STATUS.match(text)
    if match is None:
        return None, text
    word = normalise_status(match["bracketed"] or match["prefixed"])
    status = (aliases or {}).get(word, word)
    if status not in KNOWN_STATUSES:
        return None, text
    return status, text[match.end() :]


def sniff_status(text: str) -> str | None:
    """The status that prose states plainly (`... is now resolved.`), else None."""
    lowered = text.lower()
    for status, pattern in _SNIFFED:
        if re.search(pattern, lowered):
            return status
    return None


def plain(markup: str) -> str:
    """Plain text, also from HTML that was escaped twice (`&lt;br&gt;` inside CDATA)."""
    text = html_to_text(markup)
    return html_to_text(text) if _TAG_LEFT.search(text) else text


def affected_names(text: str) -> tuple[str, ...]:
    """`... Affected components: API, Billing` -> `API`, `Billing` (plain text in)."""
    match = _AFFECTED.search(text)
    return unique(match["names"].split(",")) if match else ()


def unique(names: Iterable[str]) -> tuple[str, ...]:
    """Cleaned, non-empty, first occurrence kept."""
    return tuple(dict.fromkeys(name for name in (clean(n).strip(" .") for n in names) if name))


def incident_id(item: Item) -> str:
    """The incident page where there is one, else the guid, else a hash of the title."""
    if item.link:
        return item.link
    if item.id:
        return item.id
    return title_id(item.title)


def title_id(title: str) -> str:
    return "title:" + hashlib.sha256(clean(title).encode()).hexdigest()[:16]


def without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def chronological(updates: Iterable[Update]) -> list[Update]:
    """Oldest first (stable); `published` is the earliest date seen for each incident."""
    ordered = sorted(updates, key=lambda update: update.time or datetime.min.replace(tzinfo=UTC))
    first: dict[str, datetime] = {}
    for update in ordered:
        for moment in (update.published, update.time):
            if moment is not None and (
                update.incident not in first or moment < first[update.incident]
            ):
                first[update.incident] = moment
    return [dataclasses.replace(update, published=first.get(update.incident)) for update in ordered]


# -- times written in a page's own zone ------------------------------------------------------

_WHEN = re.compile(
    r"(?P<month>[A-Za-z]{3})[a-z]*\.?\s+(?P<day>\d{1,2}),?\s*(?:(?P<year>\d{4}),?\s*)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[AaPp][Mm])?\s*"
    r"(?P<zone>[A-Za-z]{1,5})?(?P<offset>[+-]\d{1,2}(?::?\d{2})?)?"
)
# Labels that an explicit offset may follow (`GMT+2`, Instatus's form).
_OFFSET_LABELS = frozenset({"GMT", "UTC", "UT"})
_HALF_YEAR = timedelta(days=182)
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})\s*$")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, 1)}
# The abbreviations status pages print; an unknown one falls back to the item date's offset.
_ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
    "MSK": 3, "IST": 5.5, "SGT": 8, "HKT": 8, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11,
    "NZST": 12, "NZDT": 13, "HST": -10, "AKST": -9, "AKDT": -8, "PST": -8, "PDT": -7,
    "MST": -7, "MDT": -6, "CST": -6, "CDT": -5, "EST": -5, "EDT": -4, "BRT": -3,
}  # fmt: skip
# Standard-time names whose zone also keeps summer time (an hour ahead).
_HAS_SUMMER_TIME = frozenset(
    {"PST", "MST", "CST", "EST", "AKST", "GMT", "WET", "CET", "EET", "AEST", "NZST"}
)
_SUMMER_LABEL = re.compile(r"\b(?:PDT|MDT|CDT|EDT|AKDT|BST|WEST|CEST|EEST|AEDT|NZDT)\b")


def has_summer_labels(text: str) -> bool:
    """Whether a page's text names a summer-time zone (so its labels follow the season)."""
    # Each label holds "DT" or "ST": looking for those first skips most of the regex's work.
    return ("DT" in text or "ST" in text) and _SUMMER_LABEL.search(text) is not None


def parse_when(
    text: str,
    reference: datetime | None,
    fallback_zone: timezone | None,
    *,
    labels_follow_summer_time: bool = True,
) -> datetime | None:
    """`Feb 3, 19:28 UTC` -> an aware UTC datetime, the year nearest `reference` if unwritten.

    Seconds are kept where written, and an offset after `GMT`/`UTC` (`15:15:00 GMT+2`) wins.

    `fallback_zone` is the offset of the item's own date: it stands in for a missing or
    unknown zone. Old Statuspage pages print one label all year (`PST` in August); given
    `labels_follow_summer_time=False`, a standard-time label in an item dated in summer time
    is read in summer time.
    """
    match = _WHEN.search(text)
    if match is None:
        return None
    month = _MONTHS.get(match["month"].lower())
    if month is None:
        return None
    hour = int(match["hour"])
    if match["ampm"]:
        hour = hour % 12 + (12 if match["ampm"].lower() == "pm" else 0)
    summer = None if labels_follow_summer_time else fallback_zone
    zone = (
        _offset_zone(match["zone"], match["offset"])
        or _label_zone(match["zone"], summer)
        or fallback_zone
        or UTC
    )
    anchor = reference or datetime.now(UTC)
    written = bool(match["year"])
    years = [int(match["year"])] if written else [anchor.year, anchor.year - 1, anchor.year + 1]
    candidates = []
    for year in years:
        try:
            local = datetime(
                year,
                month,
                int(match["day"]),
                hour,
                int(match["minute"]),
                int(match["second"] or 0),
                tzinfo=zone,
            )
            candidate = local.astimezone(UTC)
        except (ValueError, OverflowError):  # Feb 29 in a year without one, year 1 in JST, ...
            continue
        if not written and abs(candidate - anchor) <= _HALF_YEAR:
            return candidate  # any other year is over half a year away: this one is nearest
        candidates.append(candidate)
    if not candidates:
        return None
    return min(candidates, key=lambda candidate: abs(candidate - anchor))


def _offset_zone(label: str | None, offset: str | None) -> timezone | None:
    """`GMT` + `+5:30` -> UTC+05:30; None without an offset or after another label."""
    if offset is None or (label is not None and label.upper() not in _OFFSET_LABELS):
        return None
    hours, _, minutes = offset[1:].partition(":")
    if not minutes and len(hours) > 2:  # `+0530`
        hours, minutes = hours[:-2], hours[-2:]
    amount = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if amount > timedelta(hours=14) or int(minutes or 0) > 59:
        return None
    return timezone(-amount if offset.startswith("-") else amount)


def _label_zone(abbreviation: str | None, summer: timezone | None) -> timezone | None:
    if abbreviation is None:
        return None
    label = abbreviation.upper()
    hours = _ZONES.get(label)
    if hours is None:
        return None
    zone = timezone(timedelta(hours=hours))
    if (
        label in _HAS_SUMMER_TIME
        and summer is not None
        and summer.utcoffset(None) == timedelta(hours=hours + 1)
    ):
        return summer
    return zone


def zone_of(date_text: str | None) -> timezone | None:
    """The UTC offset written at the end of an RFC 822 or RFC 3339 date."""
    if not date_text:
        return None
    match = _OFFSET.search(date_text.strip())
    if match is None:
        return None
    minutes = int(match[2]) * 60 + int(match[3])
    return timezone(timedelta(minutes=-minutes if match[1] == "-" else minutes))
