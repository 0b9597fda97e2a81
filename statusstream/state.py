"""The state file: per feed the HTTP validators, what has been emitted, and scheduling data.

A versioned JSON document, written atomically (temporary file, fsync, rename) with mode 0600,
guarded by an `fcntl` lock on a `<state>.lock` file beside it, so a stale lock dies with its
process. It stays small: update keys are 6-character digests, grouped by incident, and an
incident that left its feed is forgotten `FORGET_AFTER_DAYS` later.

Version 2 writes a feed's incidents as one string, each incident's digest followed by its
update keys, space-separated: a JSON object per incident cost 8 MB and 90 ms to encode (140
ms to decode) at 10,000 feeds. Version 1 files, with an object, are still read.
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
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from statusstream.errors import StateError, StateLockedError, StateSaveError

T = TypeVar("T")

VERSION = 2
DIGEST_WIDTH = 6
FORGET_AFTER_DAYS = 30
MAX_INCIDENTS_PER_FEED = 500
MAX_KEYS_PER_INCIDENT = 200
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


@dataclass(slots=True)
class FeedState:
    etag: str | None = None
    last_modified: str | None = None
    body: str | None = None  # digest of the last 200 body: an identical one is not parsed again
    baselined: bool = False
    # incident digest -> concatenated update-key digests (DIGEST_WIDTH characters each)
    incidents: dict[str, str] = field(default_factory=dict)
    # incident digest -> the day it was last seen in the feed, for incidents no longer there
    gone: dict[str, int] = field(default_factory=dict)
    failures: int = 0
    failing: str | None = None
    retry_at: float | None = None  # epoch seconds before which the server asked not to come back
    quiet: bool = False  # every incident in the feed is resolved: it may be polled less often
    ttl: float | None = None  # seconds, from the feed's own <ttl>
    # `incidents` as written in the file, kept while they do not change (joining 10,000
    # feeds' incidents was a third of a save): so change them only by `record` and `prune`.
    written_incidents: str | None = field(default=None, init=False, repr=False, compare=False)

    def knows_incident(self, incident: str) -> bool:
        return incident in self.incidents

    def knows(self, incident: str, key: str) -> bool:
        keys = self.incidents.get(incident, "")
        return any(
            keys[start : start + DIGEST_WIDTH] == key for start in range(0, len(keys), DIGEST_WIDTH)
        )

    def record(self, incident: str, key: str) -> None:
        if self.knows(incident, key):
            return
        keys = self.incidents.get(incident, "") + key
        self.incidents[incident] = keys[-MAX_KEYS_PER_INCIDENT * DIGEST_WIDTH :]
        self.written_incidents = None

    def prune(self, present: set[str], day: int) -> None:
        """Note which incidents left the feed; forget those gone for long, and the excess."""
        for incident in present:
            self.gone.pop(incident, None)
        for incident in self.incidents.keys() - present:
            self.gone.setdefault(incident, day)
        by_age = sorted(self.gone.items(), key=lambda entry: entry[1])
        excess = len(self.incidents) - MAX_INCIDENTS_PER_FEED
        expired = [
            incident
            for rank, (incident, left) in enumerate(by_age)
            if day - left > FORGET_AFTER_DAYS or rank < excess
        ]
        for incident in expired:
            self.gone.pop(incident, None)
            if self.incidents.pop(incident, None) is not None:
                self.written_incidents = None

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for name in ("etag", "last_modified", "body", "failing", "retry_at", "ttl"):
            value = getattr(self, name)
            if value is not None:
                record[name] = value
        if self.baselined:
            record["baselined"] = True
        if self.failures:
            record["failures"] = self.failures
        if self.quiet:
            record["quiet"] = True
        if self.incidents:
            if self.written_incidents is None:
                incidents = self.incidents
                self.written_incidents = " ".join(map(str.__add__, incidents, incidents.values()))
            record["incidents"] = self.written_incidents
        if self.gone:
            record["gone"] = self.gone
        return record

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> FeedState:
        feed = cls(
            etag=_optional(record, "etag", str),
            last_modified=_optional(record, "last_modified", str),
            body=_optional(record, "body", str),
            baselined=bool(record.get("baselined", False)),
            incidents=_incidents(record.get("incidents", "")),
            gone={str(k): int(v) for k, v in dict(record.get("gone", {})).items()},
            failures=int(record.get("failures", 0)),
            failing=_optional(record, "failing", str),
            retry_at=_optional(record, "retry_at", float),
            quiet=bool(record.get("quiet", False)),
            ttl=_optional(record, "ttl", float),
        )
        written = record.get("incidents")
        if isinstance(written, str) and feed.incidents:  # version 2, valid as `_incidents` said
            feed.written_incidents = written
        return feed


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


def _optional(record: dict[str, Any], name: str, kind: Callable[[Any], T]) -> T | None:
    value = record.get(name)
    return None if value is None else kind(value)


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
    def from_bytes(cls, data: bytes, origin: str) -> State:
        try:
            document = json.loads(data, parse_constant=_no_constant, parse_float=_finite)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, ...
            message = f"{origin}: not a statusstream state file ({exc}); left as it is"
            raise StateError(message) from exc
        version = document.get("version") if isinstance(document, dict) else None
        if not isinstance(version, int) or isinstance(version, bool):
            message = f"{origin}: not a statusstream state file (no version); left as it is"
            raise StateError(message)
        if document["version"] > VERSION:
            message = (
                f"{origin}: written by a newer statusstream (state version "
                f"{document['version']}, this one reads {VERSION}); upgrade statusstream"
            )
            raise StateError(message)
        try:
            feeds = {
                str(url): FeedState.from_json(record)
                for url, record in dict(document.get("feeds", {})).items()
            }
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
        self._lock()
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return State()
        except OSError as exc:
            self.close()
            message = f"{self.path}: cannot read the state file: {exc.strerror}"
            raise StateError(message) from exc
        try:
            state = State.from_bytes(data, str(self.path))
        except StateError:
            self.close()
            raise
        self._saved = data
        return state

    def save(self, state: State) -> None:
        """Replace the file atomically; on any failure the old file stays as it was."""
        data = state.to_bytes()
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
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            message = f"{lock_path}: cannot open the lock file: {exc.strerror}"
            raise StateError(message) from exc
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
                        leftover.unlink()


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
