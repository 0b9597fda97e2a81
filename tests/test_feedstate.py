"""What statusstream remembers of one feed (`FeedState`): its transitions bound every value.

SPEC §4: scheduling data read from a server is validated and capped before it is stored; what
has been emitted is remembered per incident, and forgotten only long after it left the feed.
"""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statusstream.feedstate import (
    FORGET_AFTER_DAYS,
    MAX_INCIDENTS_PER_FEED,
    MAX_KEYS_PER_INCIDENT,
    FeedState,
)
from statusstream.pacing import RETRY_AFTER_CAP
from statusstream.state import State
from statusstream.statevalues import DIGEST_WIDTH, MAX_FAILURES, MAX_TTL, digest
from tests.state_helpers import NOW, TODAY, incidents_of, load, reloaded

# -- Retry-After -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (120.0, NOW + 120),
        (RETRY_AFTER_CAP, NOW + RETRY_AFTER_CAP),
        (10 * 365 * 86400.0, NOW + RETRY_AFTER_CAP),
        (1e300, NOW + RETRY_AFTER_CAP),
        (math.inf, NOW + RETRY_AFTER_CAP),
        (math.nan, None),
        (-5.0, None),
        (0.0, None),
        (None, None),
    ],
)
def test_defer_stores_at_most_a_day(seconds: float | None, expected: float | None) -> None:
    """A Retry-After is stored capped at a day from now; NaN, zero or less store nothing."""
    feed = FeedState()
    feed.defer(seconds, NOW)
    assert feed.retry_at == expected
    assert reloaded(feed) == feed


def test_an_infinite_retry_after_from_a_failure_still_saves_and_loads() -> None:
    """`fail` with an absurd Retry-After leaves a state the next run can read."""
    feed = FeedState()
    feed.fail("HTTP 429", retry_after=math.inf, now=NOW)
    assert feed.retry_at == NOW + RETRY_AFTER_CAP
    assert b"Infinity" not in State(feeds={"u": feed}).to_bytes()
    assert reloaded(feed).retry_at == NOW + RETRY_AFTER_CAP


def test_a_retry_after_from_the_clock_is_capped_too() -> None:
    """`defer` without `now` reads the clock, and still stores at most a day from it."""
    feed = FeedState()
    feed.defer(math.inf)
    assert feed.retry_at is not None
    assert feed.retry_at <= time.time() + RETRY_AFTER_CAP
    feed.defer(math.nan)
    assert feed.retry_at is None
    assert b"Infinity" not in State(feeds={"u": feed}).to_bytes()


def test_deferred_for_says_how_long_a_feed_is_put_off() -> None:
    """A feed under a Retry-After says for how long; one that is not, 0; never over a day."""
    feed = FeedState()
    assert feed.deferred_for(NOW) == 0.0
    feed.defer(600, NOW)
    assert feed.deferred_for(NOW + 100) == 500
    assert feed.deferred_for(NOW + 700) == 0.0
    assert feed.deferred_for(NOW - 10 * 86400) == RETRY_AFTER_CAP  # the clock was set back


# -- failing and recovering ------------------------------------------------------------------


def test_fail_says_when_a_feed_starts_failing_and_keeps_the_first_reason() -> None:
    """The first failure returns True and sets the reason; later ones count and return False."""
    feed = FeedState()
    assert feed.healthy
    assert feed.fail("HTTP 503", retry_after=None, now=NOW)
    assert not feed.fail("timed out", retry_after=60, now=NOW)
    assert (feed.failures, feed.failing, feed.retry_at) == (2, "HTTP 503", NOW + 60)
    assert not feed.healthy
    assert feed.deferred_for(NOW) == 60


def test_recover_returns_the_reason_and_clears_everything() -> None:
    """`recover` gives the old reason (None if it was not failing) and forgets the failures."""
    feed = FeedState()
    feed.fail("HTTP 503", retry_after=60, now=NOW)
    assert feed.recover() == "HTTP 503"
    assert (feed.failures, feed.failing, feed.retry_at) == (0, None, None)
    assert feed.healthy
    assert feed.recover() is None


def test_failures_are_counted_up_to_a_bound() -> None:
    """However long a feed fails, its count stops at MAX_FAILURES and still loads."""
    feed = load({"failures": MAX_FAILURES - 1, "failing": "HTTP 500"})
    feed.fail("HTTP 500", now=NOW)
    feed.fail("HTTP 500", now=NOW)
    assert feed.failures == MAX_FAILURES
    assert reloaded(feed).failures == MAX_FAILURES
    for _ in range(10):
        assert not feed.fail("HTTP 500", now=NOW)
    assert feed.failures == MAX_FAILURES


def test_a_reason_the_file_cannot_hold_is_cleaned() -> None:
    """A failing reason with a lone surrogate, or a very long one, still saves."""
    feed = FeedState()
    feed.fail("bad \udcff byte " + "x" * 10_000, now=NOW)
    assert feed.failing is not None and len(feed.failing) <= 500
    assert reloaded(feed).failing == feed.failing


# -- the body, its validators, the baseline --------------------------------------------------


def test_refresh_validators_takes_each_one_sent_and_says_if_one_changed() -> None:
    """A missing validator keeps the old one; True only when one changed."""
    feed = FeedState()
    assert feed.refresh_validators('"a"', "Mon, 03 Nov 2025 14:32:00 GMT")
    assert not feed.refresh_validators('"a"', None)
    assert feed.refresh_validators('"b"', None)
    assert (feed.etag, feed.last_modified) == ('"b"', "Mon, 03 Nov 2025 14:32:00 GMT")
    assert not feed.refresh_validators("\ud800", None)  # the file could not hold it
    assert feed.etag == '"b"'


def test_seen_body_bounds_the_ttl() -> None:
    """A feed's <ttl> is stored up to MAX_TTL; none, zero or NaN store nothing."""
    feed = FeedState()
    feed.seen_body("x" * 22, ttl=1e12, quiet=True)
    assert (feed.body, feed.ttl, feed.quiet) == ("x" * 22, MAX_TTL, True)
    for ttl in (None, 0.0, -60.0, math.nan):
        feed.seen_body("y" * 22, ttl=ttl, quiet=False)
        assert feed.ttl is None
    feed.seen_body("z" * 22, ttl=math.inf, quiet=True)
    assert feed.ttl == MAX_TTL
    assert reloaded(feed) == feed


def test_mark_baselined() -> None:
    """A feed is baselined once `mark_baselined` is called, and stays so in the file."""
    feed = FeedState()
    assert not feed.baselined
    feed.mark_baselined()
    assert reloaded(feed).baselined


def test_the_newest_mark_only_rises_and_is_kept() -> None:
    """`saw_updates_until` keeps the latest moment given; the file keeps it too."""
    feed = FeedState()
    feed.saw_updates_until(None)
    assert feed.newest is None
    feed.saw_updates_until(NOW - 60)
    feed.saw_updates_until(NOW - 3600)
    feed.saw_updates_until(math.nan)
    assert feed.newest == NOW - 60
    assert reloaded(feed).newest == NOW - 60


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("etag", '"x"'),
        ("last_modified", "Mon, 03 Nov 2025 14:32:00 GMT"),
        ("body", "x" * 22),
        ("ttl", 60.0),
        ("quiet", True),
        ("baselined", True),
        ("failures", 1),
        ("failing", "HTTP 503"),
        ("retry_at", NOW),
        ("newest", NOW),
    ],
)
def test_fields_change_only_through_the_methods(name: str, value: object) -> None:
    """No field can be assigned: each change goes through a transition, which bounds it."""
    feed = FeedState()
    with pytest.raises(AttributeError):
        setattr(feed, name, value)
    assert feed == FeedState()


def test_incidents_are_private() -> None:
    """The tracker asks questions; nothing outside reads or replaces the incidents directly."""
    feed = FeedState()
    assert not hasattr(feed, "incidents")
    feed.record("inc001", "key001")
    feed.prune(set(), day=TODAY)
    assert feed.present_last_time() == set()
    assert feed.knows("inc001", "key001")
    with pytest.raises(TypeError):
        feed.gone["inc001"] = 0  # type: ignore[index]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["fail", "defer", "seen_body", "validators", "mark", "recover"]),
            st.none() | st.floats(allow_nan=True, allow_infinity=True),
            st.text(max_size=8),
        ),
        max_size=12,
    )
)
def test_whatever_the_methods_store_loads_again(steps: list[tuple[str, float | None, str]]) -> None:
    """Any sequence of transitions, with any numbers and text, saves and loads back equal."""
    feed = FeedState()
    for name, number, text in steps:
        if name == "fail":
            feed.fail(text, retry_after=number, now=NOW)
        elif name == "defer":
            feed.defer(number, NOW)
        elif name == "seen_body":
            feed.seen_body(text or None, ttl=number, quiet=bool(text))
        elif name == "validators":
            feed.refresh_validators(text, text)
        elif name == "mark":
            feed.saw_updates_until(number)
        else:
            feed.recover()
    assert reloaded(feed) == feed


def test_a_state_with_every_field_round_trips() -> None:
    """A feed with every field set, including the newest mark, reads back equal."""
    feed = FeedState()
    feed.refresh_validators('"e"', "Mon, 03 Nov 2025 14:32:00 GMT")
    feed.seen_body("x" * 22, ttl=300.0, quiet=True)
    feed.mark_baselined()
    feed.fail("HTTP 503", retry_after=600, now=NOW)
    feed.record(digest("a"), digest("1"))
    feed.record(digest("b"), digest("1"))
    feed.prune({digest("a")}, day=TODAY)
    feed.saw_updates_until(NOW - 60)
    record = feed.to_json()
    assert record["newest"] == NOW - 60
    assert record["retry_at"] == NOW + 600
    assert reloaded(feed) == feed


# -- what a feed remembers -------------------------------------------------------------------


def test_record_then_knows() -> None:
    """A recorded update is known, for its incident only; the incident is known too."""
    feed = FeedState()
    feed.record("inc001", "key001")
    assert feed.knows("inc001", "key001")
    assert feed.knows_incident("inc001")
    assert not feed.knows("inc001", "key002")
    assert not feed.knows("inc002", "key001")
    assert not feed.knows_incident("inc002")


def test_record_twice_stores_once() -> None:
    """Recording a known update again changes nothing."""
    feed = FeedState()
    feed.record("inc001", "key001")
    feed.record("inc001", "key001")
    assert incidents_of(feed) == {"inc001": "key001"}


def test_knows_matches_whole_keys_only() -> None:
    """A key that straddles two recorded keys is not known."""
    feed = FeedState()
    feed.record("inc001", "abcdef")
    feed.record("inc001", "ghijkl")
    assert feed.knows("inc001", "ghijkl")
    assert not feed.knows("inc001", "defghi")
    assert not feed.knows("inc001", "cdefgh")


def test_keys_per_incident_are_bounded() -> None:
    """An incident keeps at most MAX_KEYS_PER_INCIDENT keys: the newest ones."""
    feed = FeedState()
    keys = [f"{number:06d}" for number in range(MAX_KEYS_PER_INCIDENT + 5)]
    for key in keys:
        feed.record("inc001", key)
    assert len(incidents_of(feed)["inc001"]) == MAX_KEYS_PER_INCIDENT * DIGEST_WIDTH
    assert not feed.knows("inc001", keys[0])
    assert not feed.knows("inc001", keys[4])
    assert feed.knows("inc001", keys[5])
    assert feed.knows("inc001", keys[-1])


def test_prune_marks_the_day_an_incident_left() -> None:
    """An incident no longer in the feed is noted as gone that day; present ones are not."""
    feed = FeedState()
    feed.record("inc001", "key001")
    feed.record("inc002", "key001")
    feed.prune({"inc001"}, day=100)
    assert feed.gone == {"inc002": 100}
    feed.prune({"inc001"}, day=105)
    assert feed.gone == {"inc002": 100}  # the day it left, not the day last checked


def test_prune_forgets_incidents_gone_long_ago() -> None:
    """Gone FORGET_AFTER_DAYS days: kept; one day more: forgotten."""
    feed = FeedState()
    feed.record("inc001", "key001")
    feed.prune(set(), day=100)
    feed.prune(set(), day=100 + FORGET_AFTER_DAYS)
    assert feed.knows_incident("inc001")
    feed.prune(set(), day=101 + FORGET_AFTER_DAYS)
    assert not feed.knows_incident("inc001")
    assert feed.gone == {}


def test_prune_keeps_an_incident_that_came_back() -> None:
    """An incident that reappears is no longer gone, however long it was away."""
    feed = FeedState()
    feed.record("inc001", "key001")
    feed.prune(set(), day=100)
    feed.prune({"inc001"}, day=100 + FORGET_AFTER_DAYS)
    assert feed.gone == {}
    feed.prune({"inc001"}, day=200 + FORGET_AFTER_DAYS)
    assert feed.knows("inc001", "key001")


def test_prune_caps_the_incidents_of_a_feed() -> None:
    """Over MAX_INCIDENTS_PER_FEED, the incidents gone longest are forgotten first."""
    feed = FeedState()
    total = MAX_INCIDENTS_PER_FEED + 10
    names = [f"i{number:05d}" for number in range(total)]
    for name in names:
        feed.record(name, "key001")
    for number in range(total):  # one leaves after the other, within a few days
        feed.prune(set(names[number + 1 :]), day=1000 + number * 10 // total)
    feed.prune(set(), day=1010)
    assert len(incidents_of(feed)) == MAX_INCIDENTS_PER_FEED
    assert not feed.knows_incident("i00000")
    assert not feed.knows_incident("i00009")
    assert feed.knows_incident("i00010")
    assert feed.knows_incident(f"i{total - 1:05d}")
    assert feed.gone.keys() == incidents_of(feed).keys()


def test_prune_never_forgets_present_incidents() -> None:
    """Incidents in the feed are kept even beyond the cap: forgetting them would re-emit."""
    feed = FeedState()
    present = {f"i{number:05d}" for number in range(MAX_INCIDENTS_PER_FEED + 3)}
    for incident in present:
        feed.record(incident, "key001")
    feed.record("old001", "key001")
    feed.prune(present, day=10)
    assert incidents_of(feed).keys() == present
    assert feed.gone == {}
