"""The values a state file holds: how its keys are made, their bounds, and checked reading.

Update and incident keys are `DIGEST_WIDTH`-character digests (`digest`), a body is known by
its `body_digest`, and days are counted from the epoch (`today`). `FeedState`'s transitions
bound what they store with the limits here, and loading refuses a file that breaks one (SPEC
§4), so what is saved always loads again. Each `read_*` takes a feed's record as `json.loads`
gave it and returns the value, or raises TypeError (the wrong kind) or ValueError (out of
range) with a message that names the field and the value.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from typing import Any

DIGEST_WIDTH = 6  # characters of an incident's or update's digest
MAX_FAILURES = 1_000_000  # consecutive failures counted; the backoff is capped long before
MAX_TTL = 7 * 86400.0  # seconds: a feed's <ttl> counts up to a week (as `document` reads it)
MAX_REASON = 500  # characters of a failing feed's reason
CLOCK_MARGIN = 3600.0  # how far a time read back may pass its bound: clocks get set back
EARLIEST = -62135596800.0  # 0001-01-01T00:00:00Z: `newest` must make a `datetime`
LATEST = 253402300799.0  # 9999-12-31T23:59:59Z
_DIGESTS = re.compile(r"[A-Za-z0-9_-]+")  # urlsafe base64


def digest(text: str) -> str:
    """A short, stable digest for state keys: 36 bits, collisions only matter within a feed."""
    raw = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    # The first 6 characters of the base64 of the digest come from its first 5 bytes.
    return base64.urlsafe_b64encode(raw[:6]).decode("ascii")[:DIGEST_WIDTH]


def body_digest(body: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode("ascii")[:22]


def today() -> int:
    """The day number (days since the epoch) that `gone` records."""
    return int(time.time() // 86400)


def storable(text: str) -> bool:
    """True if the state file can hold `text`: UTF-8 encodable (no lone surrogate)."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def clean_reason(reason: str) -> str:
    """A failing feed's reason as the file can hold it: `MAX_REASON` characters of UTF-8."""
    text = str(reason)[:MAX_REASON]
    return text if storable(text) else text.encode(errors="replace").decode()


def bounded_ttl(ttl: float | None) -> float | None:
    """A feed's `<ttl>` in seconds, at most `MAX_TTL`; None for none, zero or less, or NaN."""
    if ttl is None or not ttl > 0:  # NaN too
        return None
    return min(float(ttl), MAX_TTL)


def shown(value: object) -> str:
    """`value` as a message quotes it: its repr, cut short."""
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge number"
    return text if len(text) <= 60 else text[:57] + "..."


def read_text(record: dict[str, Any], name: str) -> str | None:
    """`record[name]`: None, or a string the file can hold."""
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        message = f"{name} is a {type(value).__name__}, not a string"
        raise TypeError(message)
    if not storable(value):
        message = f"{name} {shown(value)} is not valid text (a lone surrogate)"
        raise ValueError(message)
    return value


def read_flag(record: dict[str, Any], name: str) -> bool:
    """`record[name]`: true or false, false when missing."""
    value = record.get(name, False)
    if not isinstance(value, bool):
        message = f"{name} is a {type(value).__name__}, not true or false"
        raise TypeError(message)
    return value


def read_number(
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
        message = f"{name} {shown(value)} is out of range"
        raise ValueError(message)
    return float(value)


def read_gone(value: object, last_day: int) -> dict[str, int]:
    """`gone`: incident digest -> a day number from 0 to `last_day`."""
    if not isinstance(value, dict):
        message = f"gone is a {type(value).__name__}, not an object"
        raise TypeError(message)
    for incident, day in value.items():
        if len(incident) != DIGEST_WIDTH or not _DIGESTS.fullmatch(incident):
            message = f"gone holds {shown(incident)}, not an incident digest"
            raise ValueError(message)
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= last_day:
            message = f"gone day {shown(day)} is out of range"
            raise ValueError(message)
    return value


def read_incidents(value: object) -> dict[str, str]:
    """`incidents` as version 2 writes it (one string), or as version 1 did (an object).

    Incident digest -> its update keys, concatenated.
    """
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
