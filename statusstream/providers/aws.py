"""AWS Service Health Dashboard RSS (`status.aws.amazon.com/rss/all.rss`, `.../<service>.rss`).

One item per update. The guid (`http://status.aws.amazon.com/#ec2-ap-northeast-1_1566559115`)
names the service and region, and its epoch differs for every update; the title carries the
state as a prefix:

    Service is operating normally: [RESOLVED] Increased API Error Rates
    Informational message: インスタンスの接続性について | Instance Availability

Status mapping: `Service is operating normally` -> `resolved`; `Informational message` ->
`update`; `Performance issues`, `Service degradation`, `Service disruption` ->
`investigating`. `[RESOLVED]` (or `[解決済]`) in the title, or `operating normally` /
`[RESOLVED]` in the text, also mean `resolved` - but a resolved title on an update that a
later one of the same incident follows, with text that does not say so, was rewritten (AWS
retitles old updates): such an update keeps the status its prefix gives, or `update`.

Updates of one incident share the service and the title without prefix and markers (for
bilingual `日本語 | English` titles, the English part); a gap of more than three days starts
a new incident. The incident id is `<base>#<service>/<title-slug>/<first update's date>`.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

from statusstream.model import Document, Item, Update
from statusstream.providers.common import chronological, plain, title_id
from statusstream.text import clean

GAP = timedelta(days=3)

_GUID = re.compile(r"^(?P<base>[^#]*)#(?P<service>.+?)_(?P<epoch>\d+)$")
_PREFIX = re.compile(
    r"^\s*(?P<prefix>service is operating normally|informational message|performance issues"
    r"|service degradation|service disruption)\s*:\s*",
    re.IGNORECASE,
)
_PREFIX_STATUS = {
    "service is operating normally": "resolved",
    "informational message": "update",
    "performance issues": "investigating",
    "service degradation": "investigating",
    "service disruption": "investigating",
}
_RESOLVED_MARK = re.compile(r"\[\s*(?:RESOLVED|解決済み?)\s*\]\s*", re.IGNORECASE)
_LEADING_MARK = re.compile(r"^\s*\[\s*RESOLVED\s*\]\s*", re.IGNORECASE)
_RESOLVED_TEXT = re.compile(r"\[\s*RESOLVED\s*\]|operating normally", re.IGNORECASE)
_SLUG = re.compile(r"\W+")


@dataclasses.dataclass(frozen=True, slots=True)
class _Entry:
    item: Item
    service: str
    base: str
    title: str
    key: str  # service + normalised title: the updates of one incident share it
    prefix_status: str | None
    resolved_title: bool
    text: str
    time: datetime | None


def detect(document: Document) -> bool:
    if "aws service health" in (document.generator or "").lower():
        return True
    return any(
        (item.id or "").startswith(("http://status.aws.amazon.com/#", "https://status.aws."))
        for item in document.items[:5]
    )


def extract(document: Document) -> list[Update]:
    entries = sorted(
        (_entry(item, document.link) for item in document.items),
        key=lambda entry: entry.time or datetime.min.replace(tzinfo=UTC),
    )
    # Oldest first: an update joins the open incident of its key unless that went quiet.
    open_incidents: dict[str, list[_Entry]] = {}
    incidents: list[list[_Entry]] = []
    for entry in entries:
        group = open_incidents.get(entry.key)
        if group is None or _gap(group[-1], entry):
            group = open_incidents[entry.key] = []
            incidents.append(group)
        group.append(entry)
    return chronological(update for group in incidents for update in _incident(group))


def _gap(last: _Entry, entry: _Entry) -> bool:
    return last.time is not None and entry.time is not None and entry.time - last.time > GAP


def _incident(group: list[_Entry]) -> list[Update]:
    first = group[0]
    slug = _SLUG.sub("-", first.key.split("\x1f", 1)[1]).strip("-") or title_id(first.title)
    day = first.time.date().isoformat() if first.time else "undated"
    incident = f"{first.base}#{first.service}/{slug}/{day}"
    updates = []
    for index, entry in enumerate(group):
        latest = index == len(group) - 1
        if _RESOLVED_TEXT.search(entry.text) or (entry.resolved_title and latest):
            status: str | None = "resolved"
        elif entry.prefix_status == "resolved":
            status = "update"  # a retitled old update: its own prefix is gone
        else:
            status = entry.prefix_status
        updates.append(
            Update(
                incident=incident,
                title=entry.title,
                link=entry.item.link,
                kind="incident",
                status=status,
                message=_LEADING_MARK.sub("", entry.text),
                components=(entry.service,),
                time=entry.time,
                published=first.time,
            )
        )
    return updates


def _entry(item: Item, feed_link: str | None) -> _Entry:
    guid = _GUID.match(item.id or "")
    service = guid["service"] if guid else "aws"
    base = (guid["base"] if guid else None) or feed_link or "https://status.aws.amazon.com/"
    title = clean(item.title)
    prefix_status = None
    if prefix := _PREFIX.match(title):
        prefix_status = _PREFIX_STATUS[" ".join(prefix["prefix"].lower().split())]
        title = title[prefix.end() :]
    resolved_title = prefix_status == "resolved" or bool(_RESOLVED_MARK.search(title))
    title = clean(_RESOLVED_MARK.sub("", title))
    english = title.rsplit(" | ", 1)[-1]
    return _Entry(
        item=item,
        service=service,
        base=base,
        title=title,
        key=f"{service}\x1f{english.casefold()}",
        prefix_status=prefix_status,
        resolved_title=resolved_title,
        text=plain(item.html),
        time=item.published or item.updated,
    )
