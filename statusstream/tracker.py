"""What is new: a feed's updates compared with what its state says was already emitted.

Identity (SPEC §3): an incident is keyed by feed + incident id; a structured update by
status + time + its rank among the incident's updates with that status and time; an
unstructured one by its status and normalised title and text, so `[Investigating] X` then
`[Resolved] X` are two updates. Pure: the caller writes the events and records them, so
nothing unwritten is ever marked as emitted.

Unstructured updates were once keyed without their status. An incident recorded that way
has no `STATUS_KEYED` mark: its updates are looked up by the old key, and recorded again
under the new one with the mark, so only the change after that is judged by status.

A known feed in which most incidents suddenly look new has rotated its ids, or was last read
long ago: only its updates newer than the newest one recorded before (`FeedState.newest`) are
emitted, so a page that re-keys its incidents stays quiet and a machine that was off for
weeks still gets the news it missed.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from statusstream.events import Event
from statusstream.feedstate import FeedState
from statusstream.model import Update
from statusstream.statevalues import digest
from statusstream.timeutil import rfc3339

# A known feed in which this many incidents, and most of them, look new has rotated its ids.
ROTATION_MIN_INCIDENTS = 3
# Recorded in an incident whose unstructured updates are keyed with their status.
STATUS_KEYED = digest("statusstream: unstructured updates keyed with their status")


@dataclass(frozen=True, slots=True)
class Keyed:
    """An update with the digests it is recorded under."""

    update: Update
    incident_key: str
    update_key: str
    event_id: str
    legacy_key: str | None = None  # an unstructured update with a status: its key without it


@dataclass(frozen=True, slots=True)
class Pending:
    event: Event
    incident_key: str
    update_key: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What to write, what to record without writing, and what the feed holds now."""

    pending: tuple[Pending, ...]
    silent: tuple[tuple[str, str], ...]
    present: frozenset[str]
    baseline: int | None  # incidents recorded silently on the first sight of the feed
    rotated: bool  # most of a known feed looked new: only what is newer than its mark is pending
    # epoch seconds of the feed's newest update (not after it was observed): for
    # `FeedState.saw_updates_until`, once every pending event was written
    newest: float | None = None


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    url: str
    provider: str


def plan(
    state: FeedState,
    updates: Sequence[Update],
    source: Source,
    observed: datetime,
    since: datetime | None,
) -> Plan:
    """Decide which updates to emit. `since` applies to a feed seen for the first time."""
    keyed = list(key_updates(updates, source.url))
    present = frozenset(item.incident_key for item in keyed)
    newest = _newest(keyed, observed)
    marks = tuple({(item.incident_key, STATUS_KEYED) for item in keyed if item.legacy_key})
    if not state.baselined:
        first = _first_sight(keyed, present, source, observed, since, newest)
        return dataclasses.replace(first, silent=marks + first.silent)
    unknown = {item.incident_key for item in keyed if not state.knows_incident(item.incident_key)}
    # Ids rotated: most of the feed looks new *and* most of what it held last time vanished.
    last_present = state.present_last_time()
    rotated = (
        len(last_present) >= ROTATION_MIN_INCIDENTS
        and len(unknown) >= ROTATION_MIN_INCIDENTS
        and len(unknown) * 2 > len(present)
        and len(last_present & present) * 2 < len(last_present)
    )
    migrated = [item for item in keyed if _known_by_legacy_key(state, item)]
    silent = marks + tuple((item.incident_key, item.update_key) for item in migrated)
    known = {id(item) for item in migrated}
    fresh = [
        item
        for item in keyed
        if id(item) not in known and not state.knows(item.incident_key, item.update_key)
    ]
    started = {item.incident_key for item in keyed if state.knows_incident(item.incident_key)}
    if rotated:
        # Only what is newer than all that was recorded is news; without that mark (a state
        # from before it was kept), nothing is.
        mark = state.newest
        news = [item for item in fresh if _after(item.update.time, mark)]
        older = [item for item in keyed if not _after(item.update.time, mark)]
        started |= {item.incident_key for item in older}
        silent += tuple((item.incident_key, item.update_key) for item in older)
        fresh = news
    events = _events(fresh, started, source, observed)
    return Plan(events, silent, present, None, rotated=rotated, newest=newest)


def _known_by_legacy_key(state: FeedState, item: Keyed) -> bool:
    """Emitted before unstructured updates were keyed with their status?"""
    return (
        item.legacy_key is not None
        and not state.knows(item.incident_key, item.update_key)
        and not state.knows(item.incident_key, STATUS_KEYED)
        and state.knows(item.incident_key, item.legacy_key)
    )


def _after(moment: datetime | None, mark: float | None) -> bool:
    return moment is not None and mark is not None and moment.timestamp() > mark


def _newest(keyed: list[Keyed], observed: datetime) -> float | None:
    """The newest update time, but not after `observed`: a date ahead is not yet seen."""
    newest = max((item.update.time for item in keyed if item.update.time), default=None)
    return None if newest is None else min(newest, observed).timestamp()


def _first_sight(
    keyed: list[Keyed],
    present: frozenset[str],
    source: Source,
    observed: datetime,
    since: datetime | None,
    newest: float | None,
) -> Plan:
    if since is None:
        silent = tuple((item.incident_key, item.update_key) for item in keyed)
        return Plan((), silent, present, len(present), rotated=False, newest=newest)
    wanted = [item for item in keyed if (item.update.time or observed) >= since]
    wanted_ids = {id(item) for item in wanted}
    older = [item for item in keyed if id(item) not in wanted_ids]
    started = {item.incident_key for item in older}
    silent = tuple((item.incident_key, item.update_key) for item in older)
    events = _events(wanted, started, source, observed)
    return Plan(events, silent, present, None, rotated=False, newest=newest)


def _events(
    fresh: Iterable[Keyed], started: set[str], source: Source, observed: datetime
) -> tuple[Pending, ...]:
    """Events for the fresh updates, oldest first; an incident's first is `new`."""
    ordered = sorted(fresh, key=lambda item: item.update.time or observed)
    started = set(started)
    pending = []
    for item in ordered:
        change = "update" if item.incident_key in started else "new"
        started.add(item.incident_key)
        event = to_event(item, change, source, observed)
        pending.append(Pending(event, item.incident_key, item.update_key))
    return tuple(pending)


def to_event(item: Keyed, change: str, source: Source, observed: datetime) -> Event:
    update = item.update
    return Event(
        id=item.event_id,
        source=source.name,
        feed=source.url,
        provider=source.provider,
        incident=update.incident,
        title=update.title,
        link=update.link,
        kind=update.kind,
        change=change,
        status=update.status,
        message=update.message,
        components=update.components,
        time=rfc3339(update.time or observed),
        published=rfc3339(update.published) if update.published else None,
        observed=rfc3339(observed),
    )


def key_updates(updates: Sequence[Update], feed_url: str) -> Iterable[Keyed]:
    """Each update with its identity; rank counts earlier updates of one status and time."""
    ranks: dict[tuple[str, str], int] = {}
    incident_keys: dict[str, str] = {}  # an incident has several updates: one digest each
    for update in updates:
        if update.structured:
            when = rfc3339(update.time) if update.time else ""
            slot = (update.incident, f"{update.status}\x1f{when}")
            rank = ranks.get(slot, 0)
            ranks[slot] = rank + 1
            identity = f"{slot[1]}\x1f{rank}"
        else:
            text = " ".join(f"{update.title}\n{update.message}".split())
            legacy = "text\x1f" + text
            identity = f"text\x1f{update.status}\x1f{text}" if update.status else legacy
        scope = update.incident
        if not scope.startswith(("http://", "https://")):
            scope = f"{feed_url} {scope}"
        incident_key = incident_keys.get(scope)
        if incident_key is None:
            incident_key = incident_keys[scope] = digest(scope)
        yield Keyed(
            update=update,
            incident_key=incident_key,
            update_key=digest(identity),
            event_id=hashlib.sha256(f"{scope}\x1f{identity}".encode()).hexdigest()[:24],
            legacy_key=None if update.structured or not update.status else digest(legacy),
        )
