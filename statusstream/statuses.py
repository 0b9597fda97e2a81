"""The status vocabulary of events: what providers normalise to, and what the schema lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from statusstream.model import Update

# In the order an incident or a maintenance usually goes through them.
INCIDENT_STATUSES = (
    "investigating",
    "identified",
    "monitoring",
    "update",
    "resolved",
    "postmortem",
)
MAINTENANCE_STATUSES = frozenset({"scheduled", "in_progress", "verifying", "completed"})
KNOWN_STATUSES = frozenset(INCIDENT_STATUSES) | MAINTENANCE_STATUSES
ALL_STATUSES = (*INCIDENT_STATUSES, "scheduled", "in_progress", "verifying", "completed")
# Nothing more is expected of an incident whose latest update says one of these.
CLOSED_STATUSES = frozenset({"resolved", "completed", "postmortem"})


def all_closed(updates: Iterable[Update]) -> bool:
    """True when every incident's latest update is resolved, completed or a postmortem."""
    oldest = datetime.min.replace(tzinfo=UTC)
    latest: dict[str, Update] = {}
    for update in updates:
        current = latest.get(update.incident)
        if current is None or (update.time or oldest) >= (current.time or oldest):
            latest[update.incident] = update
    return all(update.status in CLOSED_STATUSES for update in latest.values())
