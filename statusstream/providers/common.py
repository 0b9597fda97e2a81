"""Helpers shared by the providers."""

from __future__ import annotations

import hashlib
import re

from statusstream.model import Item
from statusstream.text import clean

_LEADING_STATUS = re.compile(
    r"^\s*(?:\[\s*(?P<bracketed>[A-Za-z][A-Za-z ]{1,20}?)\s*\]"
    r"|(?P<prefixed>[A-Za-z][A-Za-z ]{1,20}?)\s*:)\s*",
)

# Status words that may lead a title or text ("Resolved: ...", "[Resolved] ...").
KNOWN_STATUSES = frozenset(
    {
        "investigating",
        "identified",
        "monitoring",
        "update",
        "resolved",
        "postmortem",
        "scheduled",
        "in_progress",
        "verifying",
        "completed",
    }
)
MAINTENANCE_STATUSES = frozenset({"scheduled", "in_progress", "verifying", "completed"})


def normalise_status(label: str) -> str:
    """`In progress` -> `in_progress`."""
    return "_".join(clean(label).lower().replace("-", " ").split())


def split_leading_status(text: str) -> tuple[str | None, str]:
    """`Resolved: Foo` or `[Resolved] Foo` -> (`resolved`, `Foo`); else (None, text)."""
    match = _LEADING_STATUS.match(text)
    if match is None:
        return None, text
    status = normalise_status(match["bracketed"] or match["prefixed"])
    if status not in KNOWN_STATUSES:
        return None, text
    return status, text[match.end() :]


def incident_id(item: Item) -> str:
    """The incident page where there is one, else the guid, else a hash of the title."""
    if item.link:
        return item.link
    if item.id:
        return item.id
    digest = hashlib.sha256(item.title.encode()).hexdigest()[:16]
    return f"title:{digest}"
