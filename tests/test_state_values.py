"""What a feed's state may hold: its transitions bound every value, and loading refuses the rest.

SPEC §4: scheduling data read from a server is validated and capped before it is stored, and
a state file that holds values out of range is refused like a corrupt one.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statusstream.errors import StateError
from statusstream.feedstate import FeedState
from statusstream.pacing import RETRY_AFTER_CAP
from statusstream.state import State
from statusstream.statefile import StateFile
from statusstream.statevalues import CLOCK_MARGIN, MAX_FAILURES, MAX_TTL, digest

NOW = 1764460800.0  # 2025-11-30T00:00:00Z
TODAY = int(NOW // 86400)


def load(record: dict[str, object], *, version: int = 2, now: float = NOW) -> FeedState:
    data = json.dumps({"version": version, "feeds": {"https://a.test/": record}}).encode()
    return State.from_bytes(data, "state.json", now=now).feeds["https://a.test/"]


def reloaded(feed: FeedState, now: float = NOW) -> FeedState:
    data = State(feeds={"u": feed}).to_bytes()
    return State.from_bytes(data, "state.json", now=now).feeds["u"]


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


# -- what loading refuses --------------------------------------------------------------------

OUT_OF_RANGE = {
    "retry_at ten years ahead": {"retry_at": NOW + 10 * 365 * 86400},
    "retry_at a day and two hours ahead": {"retry_at": NOW + RETRY_AFTER_CAP + 2 * 3600},
    "retry_at huge": {"retry_at": 1e300},
    "retry_at negative": {"retry_at": -1.0},
    "retry_at true": {"retry_at": True},
    "failures negative": {"failures": -1},
    "failures too many": {"failures": MAX_FAILURES + 1},
    "failures huge": {"failures": 10**400},
    "failures fractional": {"failures": 1.5},
    "failures a string": {"failures": "5"},
    "failures true": {"failures": True},
    "ttl negative": {"ttl": -60.0},
    "ttl over a week": {"ttl": MAX_TTL + 1},
    "ttl a string": {"ttl": "300"},
    "newest huge": {"newest": 1e300},
    "gone day negative": {"gone": {"AAAAAA": -1}},
    "gone day next year": {"gone": {"AAAAAA": TODAY + 400}},
    "gone day fractional": {"gone": {"AAAAAA": 20000.5}},
    "gone day true": {"gone": {"AAAAAA": True}},
    "gone key not a digest": {"gone": {"not a digest": TODAY}},
    "gone a list of pairs": {"gone": [["AAAAAA", TODAY]]},
    "baselined a string": {"baselined": "yes"},
    "quiet a number": {"quiet": 1},
    "etag a number": {"etag": 5},
    "etag a lone surrogate": {"etag": "\ud800"},
    "failing a lone surrogate": {"failing": "x\udfffy"},
    "body a lone surrogate": {"body": "\udc80"},
}


@pytest.mark.parametrize("record", OUT_OF_RANGE.values(), ids=OUT_OF_RANGE.keys())
def test_values_out_of_range_are_refused(record: dict[str, object]) -> None:
    """A feed holding a value no transition stores: StateError naming file and feed."""
    with pytest.raises(StateError) as caught:
        load(record)
    message = str(caught.value)
    assert message.startswith("state.json: damaged state file (feed 'https://a.test/': ")
    assert message.endswith("; left as it is")
    assert caught.value.exit_code == 2
    assert len(message) < 300


@pytest.mark.parametrize(
    "record",
    [
        {"retry_at": NOW + RETRY_AFTER_CAP},
        {"retry_at": NOW + RETRY_AFTER_CAP + CLOCK_MARGIN},  # stored by a clock a bit ahead
        {"retry_at": NOW - 10 * 365 * 86400},  # long past: simply not put off
        {"failures": MAX_FAILURES, "failing": "HTTP 500"},
        {"ttl": MAX_TTL},
        {"gone": {"AAAAAA": TODAY + 1}},
        {"newest": NOW + 86400},
        {"etag": 'W/"ü"', "failing": "emoji \U0001f525 fine"},
    ],
)
def test_values_at_the_edge_of_the_range_load(record: dict[str, object]) -> None:
    """The bounds themselves, a clock a little ahead and values long past are accepted."""
    incident = {"incidents": "AAAAAABBBBBB"} if "gone" in record else {}
    feed = load({**record, **incident})
    assert reloaded(feed) == feed


def test_a_lone_surrogate_in_a_feed_url_is_refused() -> None:
    """A hand-edited URL with an escaped lone surrogate is refused on load, not at save."""
    data = b'{"version": 2, "feeds": {"https://a.test/\\ud800": {}}}'
    with pytest.raises(StateError, match=r"damaged state file .*lone surrogate"):
        State.from_bytes(data, "state.json")


@pytest.mark.parametrize("version", [0, -5, 10**30])
def test_only_known_versions_are_read(version: int) -> None:
    """Versions other than 1 and 2 are refused; a newer one says so."""
    data = json.dumps({"version": version, "feeds": {}}).encode()
    with pytest.raises(StateError) as caught:
        State.from_bytes(data, "state.json")
    if version > 2:
        assert "newer statusstream" in str(caught.value)
    else:
        assert f"state version {version}" in str(caught.value)


def test_a_list_of_pairs_is_not_feeds() -> None:
    """`feeds` must be an object: a list of [url, record] pairs is damage, not a state."""
    with pytest.raises(StateError, match="feeds are a list"):
        State.from_bytes(b'{"version": 2, "feeds": [["https://a.test/", {}]]}', "state.json")


@pytest.mark.parametrize(
    "record",
    [{"retry_at": NOW + 10 * 365 * 86400}, {"etag": "\ud800"}, {"failures": -1}],
    ids=["retry_at", "surrogate", "failures"],
)
def test_a_state_file_out_of_range_is_left_byte_identical(
    tmp_path: Path, record: dict[str, object]
) -> None:
    """Opening a file with a value out of range: exit-2 StateError, and the file unchanged."""
    path = tmp_path / "state.json"
    data = json.dumps({"version": 2, "feeds": {"https://a.test/": record}}).encode()
    path.write_bytes(data)
    before = path.stat()
    with pytest.raises(StateError) as caught:
        StateFile(path).open()
    assert str(caught.value).startswith(f"{path}: damaged state file")
    assert caught.value.exit_code == 2
    assert path.read_bytes() == data
    assert path.stat().st_mtime_ns == before.st_mtime_ns


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
