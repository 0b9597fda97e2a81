"""Durations on the command line and RFC 3339 times in the output."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

ALL_TIME = math.inf  # `--since all`: a duration longer than any

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """`30s`, `5m`, `2h`, `1d` or a bare number of seconds -> seconds (> 0)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        message = f"invalid duration {text!r} (use 30s, 5m, 2h, 1d or seconds)"
        raise ValueError(message)
    seconds = float(match[1]) * _UNIT_SECONDS[match[2]]
    if math.isinf(seconds):
        message = f"invalid duration {text!r}: too long"
        raise ValueError(message)
    if seconds <= 0:
        message = f"invalid duration {text!r}: must be more than zero"
        raise ValueError(message)
    return seconds


def rfc3339(moment: datetime) -> str:
    """`2025-11-03T14:32:00Z`: UTC, whole seconds, a four-digit year (0999 too)."""
    utc = moment.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    return utc.isoformat(timespec="seconds") + "Z"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
