"""What a run was asked to do: the options that reach the poller and the runner."""

from __future__ import annotations

from dataclasses import dataclass

from statusstream.fetch import DEFAULT_MAX_BODY

# Requests in flight in all. A `--once` run over many hosts is bound by round trips, not by
# this: 100 hosts at 40 ms keep about 64 requests busy at once (see tests/benchmarks).
DEFAULT_CONCURRENCY = 64
DEFAULT_PER_HOST = 8


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
