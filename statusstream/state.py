"""The state file: per feed the HTTP validators, what has been emitted, and scheduling data.

A versioned JSON document, written atomically (temporary file, fsync, rename) with mode 0600,
guarded by an `fcntl` lock on a `<state>.lock` file beside it, so a stale lock dies with its
process. It stays small: update keys are 6-character digests, grouped by incident, and an
incident that left its feed is forgotten `FORGET_AFTER_DAYS` later.

Version 2 writes a feed's incidents as one string, each incident's digest followed by its
update keys, space-separated: a JSON object per incident cost 8 MB and 90 ms to encode (140
ms to decode) at 10,000 feeds. Version 1 files, with an object, are still read.

What a feed's state holds changes only through `FeedState`'s methods, each of which checks
and bounds what it stores; loading checks the same bounds and refuses a file that breaks one
(SPEC §4), so what is saved always loads again. The file, its lock and its directory must not
be symbolic links nor writable by another user: in a shared directory, they could otherwise
make statusstream overwrite any file, or trust a state planted for it.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import re
import stat
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from statusstream.errors import StateError, StateLockedError, StateSaveError
from statusstream.pacing import RETRY_AFTER_CAP

VERSION = 2
VERSIONS = frozenset({1, 2})  # the versions this code reads
DIGEST_WIDTH = 6
FORGET_AFTER_DAYS = 30
MAX_INCIDENTS_PER_FEED = 500
MAX_KEYS_PER_INCIDENT = 200
MAX_FAILURES = 1_000_000  # consecutive failures counted; the backoff is capped long before
MAX_TTL = 7 * 86400.0  # seconds: a feed's <ttl> counts up to a week (as `document` reads it)
MAX_REASON = 500  # characters of a failing feed's reason
CLOCK_MARGIN = 3600.0  # how far a time read back may pass its bound: clocks get set back
_EARLIEST = -62135596800.0  # 0001-01-01T00:00:00Z: `newest` must make a `datetime`
_LATEST = 253402300799.0  # 9999-12-31T23:59:59Z
_DIGESTS = re.compile(r"[A-Za-z0-9_-]+")  # urlsafe base64
_TEMPORARY = re.compile(r"[a-z0-9_]{8}")  # the random part of a `tempfile.mkstemp` name


def digest(text: str) -> str:
    """A short, stable digest for state keys: 36 bits, collisions only matter within a feed."""
    raw = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    # The first 6 characters of the base64 of the digest come from its first 5 bytes.
    return base64.urlsafe_b64encode(raw[:6]).decode("ascii")[:DIGEST_WIDTH]


def body_digest(body: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode("ascii")[:22]


def today() -> int:
    return int(time.time() // 86400)


@dataclass(slots=True, init=False)
class FeedState:
    """What statusstream remembers of one feed; it changes only through the methods below.

    Each checks and bounds what it stores, so that a saved state always loads again. The
    setters are for code not yet moved to the methods (a few tests, the benchmark, poller.py
    before its switch); they go through the same checks, and are to go.
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
        if moment is not None and _EARLIEST <= moment <= _LATEST:
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

    @baselined.setter
    def baselined(self, value: bool) -> None:
        self._baselined = bool(value)

    def mark_baselined(self) -> None:
        """The feed was read once: from now on, what it holds that is unknown is news."""
        self._baselined = True

    # -- the last body read, and its validators ----------------------------------------------

    @property
    def etag(self) -> str | None:
        return self._etag

    @etag.setter
    def etag(self, value: str | None) -> None:
        self._etag = value if value is None or _storable(value) else None

    @property
    def last_modified(self) -> str | None:
        return self._last_modified

    @last_modified.setter
    def last_modified(self, value: str | None) -> None:
        self._last_modified = value if value is None or _storable(value) else None

    def refresh_validators(self, etag: str | None, last_modified: str | None) -> bool:
        """Take each validator sent (servers change one without the other); True if one changed.

        A value the state file could not hold is not taken.
        """
        before = (self._etag, self._last_modified)
        if etag and _storable(etag):
            self._etag = etag
        if last_modified and _storable(last_modified):
            self._last_modified = last_modified
        return before != (self._etag, self._last_modified)

    @property
    def body(self) -> str | None:
        return self._body

    @body.setter
    def body(self, value: str | None) -> None:
        self._body = value if value is None or _storable(value) else None

    @property
    def ttl(self) -> float | None:
        return self._ttl

    @ttl.setter
    def ttl(self, value: float | None) -> None:
        self._ttl = _bounded_ttl(value)

    @property
    def quiet(self) -> bool:
        return self._quiet

    @quiet.setter
    def quiet(self, value: bool) -> None:
        self._quiet = bool(value)

    def seen_body(self, body: str | None, ttl: float | None, quiet: bool) -> None:
        """A body was read and its events written: its digest, `<ttl>` (seconds), quietness."""
        self._body = body if body is None or _storable(body) else None
        self._ttl = _bounded_ttl(ttl)
        self._quiet = bool(quiet)

    # -- failing, recovering, and a server's Retry-After -------------------------------------

    @property
    def failures(self) -> int:
        return self._failures

    @failures.setter
    def failures(self, value: int) -> None:
        self._failures = max(0, min(int(value), MAX_FAILURES))

    @property
    def failing(self) -> str | None:
        return self._failing

    @failing.setter
    def failing(self, value: str | None) -> None:
        self._failing = None if value is None else _clean_reason(value)

    @property
    def retry_at(self) -> float | None:
        return self._retry_at

    @retry_at.setter
    def retry_at(self, value: float | None) -> None:
        now = time.time()
        self.defer(None if value is None else value - now, now)

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
        self._failing = _clean_reason(reason)
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
        feed._etag = _text(record, "etag")
        feed._last_modified = _text(record, "last_modified")
        feed._body = _text(record, "body")
        feed._failing = _text(record, "failing")
        feed._baselined = _flag(record, "baselined")
        feed._quiet = _flag(record, "quiet")
        feed._failures = int(_number(record, "failures", 0, MAX_FAILURES, whole=True) or 0)
        # A Retry-After is stored capped at a day from when it came: no more may be read.
        feed._retry_at = _number(record, "retry_at", 0.0, now + RETRY_AFTER_CAP + CLOCK_MARGIN)
        feed._ttl = _number(record, "ttl", 0.0, MAX_TTL)
        feed._newest = _number(record, "newest", _EARLIEST, _LATEST)
        feed._incidents = _incidents(record.get("incidents", ""))
        feed._gone = _gone(record.get("gone", {}), int(now // 86400) + 1)
        written = record.get("incidents")
        if isinstance(written, str) and feed._incidents:  # version 2, valid as `_incidents` said
            feed._written = written
        return feed


def _storable(text: str) -> bool:
    """True if the state file can hold `text`: UTF-8 encodable (no lone surrogate)."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _clean_reason(reason: str) -> str:
    text = str(reason)[:MAX_REASON]
    return text if _storable(text) else text.encode(errors="replace").decode()


def _bounded_ttl(ttl: float | None) -> float | None:
    if ttl is None or not ttl > 0:  # NaN too
        return None
    return min(float(ttl), MAX_TTL)


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge number"
    return text if len(text) <= 60 else text[:57] + "..."


def _text(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        message = f"{name} is a {type(value).__name__}, not a string"
        raise TypeError(message)
    if not _storable(value):
        message = f"{name} {_shown(value)} is not valid text (a lone surrogate)"
        raise ValueError(message)
    return value


def _flag(record: dict[str, Any], name: str) -> bool:
    value = record.get(name, False)
    if not isinstance(value, bool):
        message = f"{name} is a {type(value).__name__}, not true or false"
        raise TypeError(message)
    return value


def _number(
    record: dict[str, Any], name: str, low: float, high: float, *, whole: bool = False
) -> float | None:
    """`record[name]`: None, or a number (an integer if `whole`) from `low` to `high`."""
    value = record.get(name)
    if value is None:
        return None
    kinds = int if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "an integer" if whole else "a number"
        message = f"{name} is a {type(value).__name__}, not {kind}"
        raise TypeError(message)
    if not low <= value <= high:  # compares huge integers without converting them
        message = f"{name} {_shown(value)} is out of range"
        raise ValueError(message)
    return float(value)


def _gone(value: object, last_day: int) -> dict[str, int]:
    """`gone`: incident digest -> a day number from 0 to `last_day`."""
    if not isinstance(value, dict):
        message = f"gone is a {type(value).__name__}, not an object"
        raise TypeError(message)
    for incident, day in value.items():
        if len(incident) != DIGEST_WIDTH or not _DIGESTS.fullmatch(incident):
            message = f"gone holds {_shown(incident)}, not an incident digest"
            raise ValueError(message)
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= last_day:
            message = f"gone day {_shown(day)} is out of range"
            raise ValueError(message)
    return value


def _incidents(value: object) -> dict[str, str]:
    """`incidents` as version 2 writes it (one string), or as version 1 did (an object)."""
    if isinstance(value, dict):
        entries = [incident + keys for incident, keys in value.items() if isinstance(keys, str)]
        digests = all(map(_DIGESTS.fullmatch, entries)) and all(
            len(incident) == DIGEST_WIDTH for incident in value
        )
        if len(entries) != len(value) or not digests:
            message = "incidents hold something other than digests"
            raise ValueError(message)
    elif isinstance(value, str):
        entries = value.split()
    else:
        message = f"incidents are a {type(value).__name__}, not a string"
        raise TypeError(message)
    incidents = {}
    for entry in entries:
        if len(entry) % DIGEST_WIDTH or len(entry) < 2 * DIGEST_WIDTH or not entry.isascii():
            message = f"incident entry {entry[:20]!r} is not digests of {DIGEST_WIDTH} characters"
            raise ValueError(message)
        incidents[entry[:DIGEST_WIDTH]] = entry[DIGEST_WIDTH:]
    return incidents


@dataclass(slots=True)
class State:
    feeds: dict[str, FeedState] = field(default_factory=dict)

    def feed(self, url: str) -> FeedState:
        return self.feeds.setdefault(url, FeedState())

    def to_bytes(self) -> bytes:
        document = {
            "version": VERSION,
            "feeds": {url: feed.to_json() for url, feed in self.feeds.items()},
        }
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, data: bytes, origin: str, now: float | None = None) -> State:
        """The state in `data`, read at `now` (the clock by default); StateError if damaged."""
        now = time.time() if now is None else now
        try:
            document = json.loads(data, parse_constant=_no_constant, parse_float=_finite)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, ...
            message = f"{origin}: not a statusstream state file ({exc}); left as it is"
            raise StateError(message) from exc
        version = document.get("version") if isinstance(document, dict) else None
        if not isinstance(version, int) or isinstance(version, bool):
            message = f"{origin}: not a statusstream state file (no version); left as it is"
            raise StateError(message)
        if version > VERSION:
            message = (
                f"{origin}: written by a newer statusstream (state version "
                f"{version}, this one reads {VERSION}); upgrade statusstream"
            )
            raise StateError(message)
        if version not in VERSIONS:
            message = (
                f"{origin}: not a statusstream state file (state version {_shown(version)});"
                " left as it is"
            )
            raise StateError(message)
        feeds = {}
        try:
            records = document.get("feeds", {})
            if not isinstance(records, dict):
                message = f"feeds are a {type(records).__name__}, not an object"
                raise TypeError(message)
            for url, record in records.items():
                try:
                    if not _storable(url):
                        message = "not valid text (a lone surrogate)"
                        raise ValueError(message)
                    feeds[url] = FeedState.from_json(record, now)
                except (TypeError, ValueError, AttributeError, OverflowError) as exc:
                    message = f"feed {_shown(url)}: {exc}"
                    raise ValueError(message) from exc
        except (TypeError, ValueError, AttributeError, OverflowError) as exc:
            message = f"{origin}: damaged state file ({exc}); left as it is"
            raise StateError(message) from exc
        return cls(feeds=feeds)


def _no_constant(name: str) -> float:
    message = f"{name} is not a number a state file holds"
    raise ValueError(message)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        message = f"{text} is out of range"
        raise ValueError(message)
    return value


def default_path() -> Path:
    if explicit := os.environ.get("STATUSSTREAM_STATE"):
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(base) / "statusstream" / "state.json"


class StateFile:
    """The state on disk, held under an exclusive lock from `open` to `close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_fd: int | None = None
        self._saved: bytes | None = None  # what the file holds: the same is not written again

    def open(self) -> State:
        """Take the lock, then read the state (an empty one if there is no file yet)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            message = f"{self.path}: cannot create its directory: {exc.strerror}"
            raise StateError(message) from exc
        _check_directory(self.path.parent)
        self._lock()
        try:
            data = self._read()
            state = State() if data is None else State.from_bytes(data, str(self.path))
        except StateError:
            self.close()
            raise
        self._saved = data
        return state

    def _read(self) -> bytes | None:
        """The file's bytes, None if there is none; StateError if it is not ours alone."""
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _open_error(self.path, "state file", exc) from exc
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                message = f"{self.path}: cannot read the state file: not a regular file"
                raise StateError(message)
            _check_owned(self.path, "state file", info)
            chunks = []
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError as exc:
            message = f"{self.path}: cannot read the state file: {exc.strerror}"
            raise StateError(message) from exc
        finally:
            os.close(fd)

    def save(self, state: State) -> None:
        """Replace the file atomically; on any failure the old file stays as it was."""
        try:
            data = state.to_bytes()
        except UnicodeEncodeError as exc:  # text the checks let through: refuse, never crash
            message = f"{self.path}: cannot save the state: {exc.reason}; it is left as it was"
            raise StateSaveError(message) from exc
        if data == self._saved:
            return
        directory = self.path.parent
        temporary = None
        try:
            fd, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
            temporary = None
            _fsync_directory(directory)
            self._saved = data
        except OSError as exc:
            message = (
                f"{self.path}: cannot save the state: {exc.strerror or exc}; the file is left"
                " as it was, and what was written since it was saved will be written again"
            )
            raise StateSaveError(message) from exc
        finally:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(lock_path, flags, 0o600)
        except OSError as exc:
            raise _open_error(lock_path, "lock file", exc) from exc
        try:
            info = os.fstat(fd)
            # It is truncated and written in place: not a device, nor another name of a file.
            problem = None if stat.S_ISREG(info.st_mode) else "not a regular file"
            if problem is None and info.st_nlink != 1:
                problem = f"it has {info.st_nlink - 1} other hard links"
            if problem is not None:
                message = f"{lock_path}: refusing the lock file: {problem}"
                raise StateError(message)
            _check_owned(lock_path, "lock file", info)
        except BaseException:
            os.close(fd)
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                message = f"{lock_path}: cannot lock: {exc.strerror}"
                raise StateError(message) from exc
            pid = f" (pid {holder})" if holder.isdigit() else ""
            message = f"{self.path}: in use by another statusstream{pid}"
            raise StateLockedError(message) from exc
        with contextlib.suppress(OSError):  # the pid is for messages only; a full disk is no matter
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd
        self._remove_temporaries()

    def _remove_temporaries(self) -> None:
        """Delete what a save killed midway left behind; the lock says no save is running."""
        prefix = f".{self.path.name}."
        with contextlib.suppress(OSError):
            for leftover in self.path.parent.iterdir():
                name = leftover.name
                if name.startswith(prefix) and _TEMPORARY.fullmatch(name[len(prefix) :]):
                    with contextlib.suppress(OSError):
                        if leftover.lstat().st_uid == os.geteuid():  # not another user's file
                            leftover.unlink()


def _check_directory(directory: Path) -> None:
    """The state's directory: not a link, ours or root's, and others may not replace files in it."""
    try:
        info = os.lstat(directory)
    except OSError as exc:
        message = f"{directory}: cannot use the state directory: {exc.strerror}"
        raise StateError(message) from exc
    mode = stat.S_IMODE(info.st_mode)
    problem = None
    if stat.S_ISLNK(info.st_mode):
        problem = "it is a symbolic link"
    elif not stat.S_ISDIR(info.st_mode):
        problem = "not a directory"
    elif info.st_uid not in (os.geteuid(), 0):
        problem = f"it belongs to another user (uid {info.st_uid})"
    elif mode & 0o022 and not mode & stat.S_ISVTX:
        problem = f"others can write in it, and it has no sticky bit (mode {mode:04o})"
    if problem is not None:
        message = f"{directory}: refusing the state directory: {problem}"
        raise StateError(message)


def _check_owned(path: Path, what: str, info: os.stat_result) -> None:
    """A file we read or write in place: ours, and writable by no one else."""
    mode = stat.S_IMODE(info.st_mode)
    problem = None
    if info.st_uid != os.geteuid():
        problem = f"it belongs to another user (uid {info.st_uid})"
    elif mode & 0o022:
        problem = f"others can write to it (mode {mode:04o})"
    if problem is not None:
        message = f"{path}: refusing the {what}: {problem}"
        raise StateError(message)


def _open_error(path: Path, what: str, exc: OSError) -> StateError:
    if exc.errno == errno.ELOOP:
        return StateError(f"{path}: refusing the {what}: it is a symbolic link")
    verb = "read" if what == "state file" else "open"
    return StateError(f"{path}: cannot {verb} the {what}: {exc.strerror}")


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
