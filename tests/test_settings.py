"""`Settings`: what a run was asked to do, and the `--since` cutoff it implies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from statusstream.settings import Settings
from statusstream.timeutil import ALL_TIME

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_without_since_a_first_sight_is_a_silent_baseline() -> None:
    """No `--since`: no cutoff at all."""
    assert Settings().cutoff(NOW) is None


def test_since_is_a_window_back_from_the_observation() -> None:
    """`--since 7d`: updates from seven days before the poll on."""
    assert Settings(since=7 * 86400.0).cutoff(NOW) == NOW - timedelta(days=7)


def test_since_all_or_longer_than_the_calendar_takes_everything() -> None:
    """`--since all`, or `--since 800000d` (past year 1), is the earliest time, not a crash."""
    for since in (ALL_TIME, 800_000 * 86400.0):
        assert Settings(since=since).cutoff(NOW) == datetime.min.replace(tzinfo=UTC)
