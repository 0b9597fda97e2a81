"""The state document: every feed's state, as versioned JSON to and from bytes.

The document is `{"version": 2, "feeds": {url: record}}`, each record a `FeedState` in its
file form. Version 2 writes a feed's incidents as one string, each incident's digest followed
by its update keys, space-separated: a JSON object per incident cost 8 MB and 90 ms to encode
(140 ms to decode) at 10,000 feeds. Version 1 files, with an object, are still read.

Reading checks every value against the bounds `FeedState` keeps (SPEC §4): a document that
cannot be parsed, is not ours, or holds a value out of range is a StateError that names its
origin; a newer version asks for an upgrade.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field

from statusstream.errors import StateError
from statusstream.feedstate import FeedState
from statusstream.statevalues import shown, storable

VERSION = 2
VERSIONS = frozenset({1, 2})  # the versions this code reads


@dataclass(slots=True)
class State:
    """Every feed's state, by feed URL."""

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
                f"{origin}: not a statusstream state file (state version {shown(version)});"
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
                    if not storable(url):
                        message = "not valid text (a lone surrogate)"
                        raise ValueError(message)
                    feeds[url] = FeedState.from_json(record, now)
                except (TypeError, ValueError, AttributeError, OverflowError) as exc:
                    message = f"feed {shown(url)}: {exc}"
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
