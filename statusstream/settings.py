"""What a run was asked to do: the options that reach the poller and the runner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Requests in flight in all: high enough that a `--once` run over many hosts is bound by
# their round trips, not by this (100 hosts at 40 ms: 64 made a warm poll 1.7 times slower
# than 256; see tests/benchmarks). `--per-host` is the politeness bound.
DEFAULT_CONCURRENCY = 256
DEFAULT_PER_HOST = 8
# Status feeds are rarely over 100 KB. A hostile body at the cap costs feedparser up to ~60x
# its size in memory (and seconds of CPU per MiB), so the cap is what bounds a poll.
DEFAULT_MAX_BODY = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Settings:
    once: bool = False
    interval: float = 60.0
    idle: float | None = None  # for quiet feeds; None: `pacing.default_idle(interval)`
    timeout: float = 30.0
    concurrency: int = DEFAULT_CONCURRENCY
    per_host: int = DEFAULT_PER_HOST
    since: float | None = None  # seconds, ALL_TIME, or None for a silent baseline
    health: bool = False
    human: bool = False  # one readable line per event instead of JSON (a terminal)
    progress: bool = False  # `--once` shows "done/total" on stderr, a terminal
    max_body: int = DEFAULT_MAX_BODY
    parse_workers: int = 0  # worker processes for parsing, beside the event loop

    def cutoff(self, observed: datetime) -> datetime | None:
        """On the first sight of a feed, updates from this moment on are emitted (`--since`)."""
        if self.since is None:
            return None
        try:
            return observed - timedelta(seconds=self.since)
        except OverflowError:  # `all`, or a window longer than the calendar
            return datetime.min.replace(tzinfo=UTC)
