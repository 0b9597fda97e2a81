"""Durations on the command line and in definitions; RFC 3339 times in the output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statusstream.timeutil import parse_duration, rfc3339, utcnow


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("45", 45.0),
        ("1.5m", 90.0),
        ("0.5", 0.5),
        ("2.25h", 8100.0),
        (" 10s ", 10.0),
        ("5 m", 300.0),
        ("5M", 300.0),
        ("1D", 86400.0),
    ],
)
def test_parse_duration_units(text: str, seconds: float) -> None:
    """Each unit (and a bare number, decimals, upper case, padding) gives the right seconds."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0", "0s", "0.0m", "0d"])
def test_parse_duration_refuses_zero(text: str) -> None:
    """A zero duration is an error that says it must be more than zero."""
    with pytest.raises(ValueError, match="more than zero") as caught:
        parse_duration(text)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["-5", "-5m", "", "   ", "m", "5x", "5ms", "1h30m", "five", "1e3", "5..0", ".5", "nan", "inf"],
)
def test_parse_duration_refuses_garbage(text: str) -> None:
    """Negative numbers, unknown units, compounds and words are invalid, quoted in the error."""
    with pytest.raises(ValueError, match="invalid duration") as caught:
        parse_duration(text)
    assert repr(text) in str(caught.value)
    assert "30s, 5m, 2h, 1d" in str(caught.value)


def test_parse_duration_refuses_an_infinite_number() -> None:
    """A number too large for a float is refused, never an infinite interval or timeout."""
    with pytest.raises(ValueError, match="too long"):
        parse_duration("9" * 400)


@given(st.text(max_size=30))
def test_parse_duration_raises_only_value_error(text: str) -> None:
    """Any text gives a positive finite number of seconds or a ValueError, nothing else."""
    try:
        seconds = parse_duration(text)
    except ValueError:
        return
    assert 0 < seconds < float("inf")


def test_rfc3339_is_utc_with_a_z() -> None:
    """An aware UTC time is written `YYYY-MM-DDTHH:MM:SSZ`."""
    assert rfc3339(datetime(2025, 11, 3, 14, 32, tzinfo=UTC)) == "2025-11-03T14:32:00Z"


def test_rfc3339_converts_other_offsets_to_utc() -> None:
    """A time with another offset is converted to UTC, across a day boundary too."""
    pacific = timezone(timedelta(hours=-8))
    assert rfc3339(datetime(2025, 11, 3, 20, 15, 5, tzinfo=pacific)) == "2025-11-04T04:15:05Z"
    india = timezone(timedelta(hours=5, minutes=30))
    assert rfc3339(datetime(2025, 1, 1, 3, 0, tzinfo=india)) == "2024-12-31T21:30:00Z"


def test_rfc3339_drops_fractions_of_a_second() -> None:
    """Microseconds are cut: whole seconds only."""
    assert rfc3339(datetime(2025, 11, 3, 14, 32, 7, 999999, tzinfo=UTC)) == "2025-11-03T14:32:07Z"


def test_rfc3339_pads_early_years() -> None:
    """Years before 1000 are written with four digits."""
    assert rfc3339(datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC)) == "0999-01-02T03:04:05Z"


def test_utcnow_is_aware_utc_in_whole_seconds() -> None:
    """`utcnow` is timezone-aware UTC without microseconds."""
    now = utcnow()
    assert now.tzinfo is UTC
    assert now.microsecond == 0
