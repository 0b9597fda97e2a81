"""`pacing.next_delay`: the continuous mode's politeness rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from statusstream.pacing import (
    BACKOFF_CAP,
    HINT_CAP,
    JITTER,
    RETRY_AFTER_CAP,
    Pace,
    default_idle,
    next_delay,
)

PACE = Pace(interval=60, idle=120)


def delay(**overrides: object) -> float:
    options: dict[str, object] = {
        "failures": 0,
        "retry_after": None,
        "hint": None,
        "quiet": False,
        "jitter": 0.0,
    }
    options.update(overrides)
    return next_delay(PACE, **options)  # type: ignore[arg-type]


def test_base_interval_without_anything_else() -> None:
    """A healthy feed with an open incident is polled at the base interval."""
    assert delay() == 60


def test_backoff_doubles_and_is_capped() -> None:
    """Consecutive failures double the wait, up to the cap."""
    waits = [delay(failures=n) for n in range(1, 12)]
    assert waits[:4] == [120, 240, 480, 960]
    assert max(waits) == BACKOFF_CAP
    assert waits == sorted(waits)


def test_retry_after_is_honoured_and_capped() -> None:
    """Retry-After wins over a shorter backoff; absurd values are capped at a day."""
    assert delay(failures=1, retry_after=3600, jitter=-1.0) == 3600
    assert delay(failures=1, retry_after=10) == 120
    assert delay(failures=1, retry_after=10**9) == RETRY_AFTER_CAP


def test_server_hints_lengthen_but_never_shorten() -> None:
    """max-age/ttl above the interval lengthen it; below it they change nothing."""
    assert delay(hint=10) == 60
    assert delay(hint=300, jitter=-1.0) == 300
    assert delay(hint=10**6) == HINT_CAP


def test_quiet_feed_relaxes_to_the_idle_interval() -> None:
    """A feed whose incidents are all resolved waits the idle interval."""
    assert delay(quiet=True) == 120
    assert delay(quiet=True, failures=1) == 120  # failures use the backoff instead


def test_default_idle_is_bounded() -> None:
    """The default idle interval is twice the interval, at most ten minutes beyond it."""
    assert default_idle(60) == 120
    assert default_idle(300) == 600
    assert default_idle(3600) == 4200


@given(
    failures=st.integers(0, 50),
    retry_after=st.none() | st.floats(0, 10**7),
    hint=st.none() | st.floats(0, 10**7),
    quiet=st.booleans(),
    jitter=st.floats(-1, 1),
)
def test_jitter_stays_within_bounds(
    failures: int, retry_after: float | None, hint: float | None, quiet: bool, jitter: float
) -> None:
    """Any combination: within ±10% of the unjittered wait, and never under a server's wish."""
    jittered = delay(
        failures=failures, retry_after=retry_after, hint=hint, quiet=quiet, jitter=jitter
    )
    plain = delay(failures=failures, retry_after=retry_after, hint=hint, quiet=quiet)
    assert jittered >= plain * (1 - JITTER) - 1e-9
    assert jittered <= plain * (1 + JITTER) + 1e-9
    if retry_after is not None:
        assert jittered >= min(retry_after, RETRY_AFTER_CAP)
    if hint is not None and not failures:
        assert jittered >= min(hint, HINT_CAP)
    assert jittered >= PACE.interval * (1 - JITTER)


@given(failures=st.integers(1, 10**30), jitter=st.floats(-1, 1))
def test_any_number_of_failures_waits_the_backoff_cap(failures: int, jitter: float) -> None:
    """A feed that failed 1,024 times or more still gets the capped backoff, not an overflow."""
    assert delay(failures=1024) == delay(failures=10**6) == BACKOFF_CAP
    waited = delay(failures=max(failures, 6), jitter=jitter)
    assert BACKOFF_CAP * (1 - JITTER) <= waited <= BACKOFF_CAP * (1 + JITTER)


def test_a_nan_retry_after_is_no_wish() -> None:
    """A Retry-After that is not a number leaves the backoff as it is."""
    assert delay(failures=1, retry_after=float("nan")) == 120
    assert delay(failures=1, retry_after=float("inf")) == RETRY_AFTER_CAP
