"""What statusstream remembers of one feed: `FeedState`, its transitions and its questions.

A feed's state holds the HTTP validators of the last body read and that body's digest, what
has been emitted, and scheduling data (failures, Retry-After). It stays small: update keys
are digests, grouped by incident, and an incident that left its feed is forgotten
`FORGET_AFTER_DAYS` later. It changes only through `FeedState`'s methods, each of which
checks and bounds what it stores (`statevalues`); loading checks the same bounds, so what is
saved always loads again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from statusstream.pacing import RETRY_AFTER_CAP
from statusstream.statevalues import (
    CLOCK_MARGIN,
    DIGEST_WIDTH,
    EARLIEST,
    LATEST,
    MAX_FAILURES,
    MAX_TTL,
    bounded_ttl,
    clean_reason,
    read_flag,
    read_gone,
    read_incidents,
    read_number,
    read_text,
    storable,
)

FORGET_AFTER_DAYS = 30
MAX_INCIDENTS_PER_FEED = 500
MAX_KEYS_PER_INCIDENT = 200


@dataclass(slots=True, init=False)
class FeedState:
    """What statusstream remembers of one feed; it changes only through the methods below.

    Each checks and bounds what it stores, so that a saved state always loads again; the
    properties only read.
    """

    _etag: str | None
    _last_modified: str | None
    _body: str | None  # digest of the last 200 body: an identical one is not parsed again
    _ttl: float | None  # seconds, from the feed's own <ttl>
    _quiet: bool  # every incident in the feed is resolved: it may be polled less often
    _baselined: bool
    # incident digest -> concatenated update-key digests (DIGEST_WIDTH characters each)
    _incidents: dict[str, str]
    # incident digest -> the day it was last seen in the feed, for incidents no longer there
    _gone: dict[str, int]
    # epoch seconds of the newest update recorded (never later than when it was seen): a
    # feed that looks rotated still emits what is newer than this
    _newest: float | None
    _failures: int
    _failing: str | None
    _retry_at: float | None  # epoch seconds before which the server asked not to come back
    # `_incidents` as written in the file, kept while they do not change (joining 10,000
    # feeds' incidents was a third of a save): so change them only by `record` and `prune`.
    _written: str | None = field(repr=False, compare=False)

    def __init__(self) -> None:
        self._etag = self._last_modified = self._body = self._failing = None
        self._ttl = self._newest = self._retry_at = None
        self._quiet = self._baselined = False
        self._incidents = {}
        self._gone = {}
        self._failures = 0
        self._written = None

    # -- what was emitted --------------------------------------------------------------------

    def knows_incident(self, incident: str) -> bool:
        return incident in self._incidents

    def knows(self, incident: str, key: str) -> bool:
        keys = self._incidents.get(incident, "")
        return any(
            keys[start : start + DIGEST_WIDTH] == key for start in range(0, len(keys), DIGEST_WIDTH)
        )

    def present_last_time(self) -> set[str]:
        """The incidents the feed held when it was last read: known, and not gone."""
        return self._incidents.keys() - self._gone.keys()

    @property
    def gone(self) -> Mapping[str, int]:
        return MappingProxyType(self._gone)

    @property
    def newest(self) -> float | None:
        return self._newest

    def record(self, incident: str, key: str) -> None:
        if self.knows(incident, key):
            return
        keys = self._incidents.get(incident, "") + key
        self._incidents[incident] = keys[-MAX_KEYS_PER_INCIDENT * DIGEST_WIDTH :]
        self._written = None

    def saw_updates_until(self, moment: float | None) -> None:
        """Raise the rotation mark to `moment` (epoch seconds) once its updates are recorded."""
        if moment is not None and EARLIEST <= moment <= LATEST:
            self._newest = moment if self._newest is None else max(self._newest, moment)

    def prune(self, present: set[str], day: int) -> None:
        """Note which incidents left the feed; forget those gone for long, and the excess."""
        for incident in present:
            self._gone.pop(incident, None)
        for incident in self._incidents.keys() - present:
            self._gone.setdefault(incident, day)
        by_age = sorted(self._gone.items(), key=lambda entry: entry[1])
        excess = len(self._incidents) - MAX_INCIDENTS_PER_FEED
        expired = [
            incident
            for rank, (incident, left) in enumerate(by_age)
            if day - left > FORGET_AFTER_DAYS or rank < excess
        ]
        for incident in expired:
            self._gone.pop(incident, None)
            if self._incidents.pop(incident, None) is not None:
                self._written = None

    @property
    def baselined(self) -> bool:
        return self._baselined

    def mark_baselined(self) -> None:
        """The feed was read once: from now on, what it holds that is unknown is news."""
        self._baselined = True

    # -- the last body read, and its validators ----------------------------------------------

    @property
    def etag(self) -> str | None:
        return self._etag

    @property
    def last_modified(self) -> str | None:
        return self._last_modified

    def refresh_validators(self, etag: str | None, last_modified: str | None) -> bool:
        """Take each validator sent (servers change one without the other); True if one changed.

        A value the state file could not hold is not taken.
        """
        before = (self._etag, self._last_modified)
        if etag and storable(etag):
            self._etag = etag
        if last_modified and storable(last_modified):
            self._last_modified = last_modified
        return before != (self._etag, self._last_modified)

    @property
    def body(self) -> str | None:
        return self._body

    @property
    def ttl(self) -> float | None:
        return self._ttl

    @property
    def quiet(self) -> bool:
        return self._quiet

    def seen_body(self, body: str | None, ttl: float | None, quiet: bool) -> None:
        """A body was read and its events written: its digest, `<ttl>` (seconds), quietness."""
        self._body = body if body is None or storable(body) else None
        self._ttl = bounded_ttl(ttl)
        self._quiet = bool(quiet)

    # -- failing, recovering, and a server's Retry-After -------------------------------------

    @property
    def failures(self) -> int:
        return self._failures

    @property
    def failing(self) -> str | None:
        return self._failing

    @property
    def retry_at(self) -> float | None:
        return self._retry_at

    @property
    def healthy(self) -> bool:
        """No failure counted, no reason, no Retry-After: `recover` would change nothing."""
        return self._failing is None and not self._failures and self._retry_at is None

    def fail(self, reason: str, retry_after: float | None = None, now: float | None = None) -> bool:
        """One more failed poll (counted up to `MAX_FAILURES`), with the server's Retry-After.

        True when the feed starts failing: `reason` is kept until it recovers.
        """
        self._failures = min(self._failures + 1, MAX_FAILURES)
        self.defer(retry_after, now)
        if self._failing is not None:
            return False
        self._failing = clean_reason(reason)
        return True

    def recover(self) -> str | None:
        """A good poll: forget failures and Retry-After; the reason, if it was failing."""
        reason = self._failing
        self._failing = None
        self._failures = 0
        self._retry_at = None
        return reason

    def defer(self, seconds: float | None, now: float | None = None) -> None:
        """Do not poll again for `seconds` (a Retry-After), capped at `RETRY_AFTER_CAP`.

        None, NaN, zero or less clear an earlier wish; infinity is the cap.
        """
        if seconds is None or not seconds > 0:  # NaN too
            self._retry_at = None
            return
        now = time.time() if now is None else now
        self._retry_at = now + min(seconds, RETRY_AFTER_CAP)

    def deferred_for(self, now: float) -> float:
        """Seconds the server still asks us to wait at `now`; 0.0 when not put off."""
        if self._retry_at is None:
            return 0.0
        return max(0.0, min(self._retry_at - now, RETRY_AFTER_CAP))

    # -- the file's form ---------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {}
        values = (
            ("etag", self._etag),
            ("last_modified", self._last_modified),
            ("body", self._body),
            ("failing", self._failing),
            ("retry_at", self._retry_at),
            ("ttl", self._ttl),
            ("newest", self._newest),
        )
        for name, value in values:
            if value is not None:
                record[name] = value
        if self._baselined:
            record["baselined"] = True
        if self._failures:
            record["failures"] = self._failures
        if self._quiet:
            record["quiet"] = True
        if self._incidents:
            if self._written is None:
                incidents = self._incidents
                self._written = " ".join(map(str.__add__, incidents, incidents.values()))
            record["incidents"] = self._written
        if self._gone:
            record["gone"] = self._gone
        return record

    @classmethod
    def from_json(cls, record: object, now: float) -> FeedState:
        """A feed as the file holds it, read at `now`: a value out of range is a ValueError."""
        if not isinstance(record, dict):
            message = f"a feed is a {type(record).__name__}, not an object"
            raise TypeError(message)
        feed = cls()
        feed._etag = read_text(record, "etag")
        feed._last_modified = read_text(record, "last_modified")
        feed._body = read_text(record, "body")
        feed._failing = read_text(record, "failing")
        feed._baselined = read_flag(record, "baselined")
        feed._quiet = read_flag(record, "quiet")
        feed._failures = int(read_number(record, "failures", 0, MAX_FAILURES, whole=True) or 0)
        # A Retry-After is stored capped at a day from when it came: no more may be read.
        feed._retry_at = read_number(record, "retry_at", 0.0, now + RETRY_AFTER_CAP + CLOCK_MARGIN)
        feed._ttl = read_number(record, "ttl", 0.0, MAX_TTL)
        feed._newest = read_number(record, "newest", EARLIEST, LATEST)
        feed._incidents = read_incidents(record.get("incidents", ""))
        feed._gone = read_gone(record.get("gone", {}), int(now // 86400) + 1)
        written = record.get("incidents")
        if isinstance(written, str) and feed._incidents:  # version 2, valid as `_incidents` said
            feed._written = written
        return feed
