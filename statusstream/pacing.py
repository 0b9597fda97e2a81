"""When to poll a feed next: the continuous mode's politeness, as one pure function.

- the base interval (`--interval`, or the feed's `interval=`);
- a quiet feed, whose incidents are all resolved, may wait `idle` instead;
- `Cache-Control: max-age` and RSS `<ttl>` may lengthen the wait, never shorten it;
- consecutive failures back off exponentially, up to `BACKOFF_CAP`;
- `Retry-After` (429/503) is honoured, up to `RETRY_AFTER_CAP`;
- jitter of ±`JITTER` spreads feeds that share a host, but never undercuts a server's wish.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

JITTER = 0.1
HINT_CAP = 3600.0  # a server's max-age or ttl never makes a feed wait longer than this
BACKOFF_CAP = 3600.0
# Failures past this many double the wait no more: 2**64 intervals pass any cap, and
# `2.0 ** failures` overflows at 1,024.
MAX_DOUBLINGS = 64
RETRY_AFTER_CAP = 86400.0
IDLE_EXTRA_CAP = 600.0  # the default idle interval adds at most this to the interval
CLOSED_STATUSES = frozenset({"resolved", "completed", "postmortem"})


@dataclass(frozen=True, slots=True)
class Pace:
    interval: float
    idle: float  # for a quiet feed; never below `interval`


def default_idle(interval: float) -> float:
    """Twice the interval for a quiet feed, but no more than `IDLE_EXTRA_CAP` beyond it."""
    return min(2 * interval, interval + IDLE_EXTRA_CAP)


def next_delay(
    pace: Pace,
    *,
    failures: int,
    retry_after: float | None,
    hint: float | None,
    quiet: bool,
    jitter: float,
) -> float:
    """Seconds until the next poll. `jitter` is a random number in [-1, 1]."""
    if failures > 0:
        doubled = pace.interval * 2.0 ** min(failures, MAX_DOUBLINGS)
        delay = min(doubled, max(pace.interval, BACKOFF_CAP))
        floor = 0.0
    else:
        delay = max(pace.interval, pace.idle) if quiet else pace.interval
        floor = min(hint, max(pace.interval, HINT_CAP)) if hint else 0.0
        delay = max(delay, floor)
    delay *= 1 + JITTER * max(-1.0, min(1.0, jitter))
    if retry_after is not None and not math.isnan(retry_after):
        floor = max(floor, min(retry_after, RETRY_AFTER_CAP))
    return max(delay, floor)
