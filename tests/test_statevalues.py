"""The values a state file holds: digests for keys, and the bounds checked on reading (SPEC §4)."""

from __future__ import annotations

import pytest

from statusstream.errors import StateError
from statusstream.pacing import RETRY_AFTER_CAP
from statusstream.statevalues import CLOCK_MARGIN, DIGEST_WIDTH, MAX_FAILURES, MAX_TTL, digest
from tests.state_helpers import NOW, TODAY, load, reloaded


def test_digest_is_short_and_stable() -> None:
    """Digests are DIGEST_WIDTH URL-safe characters, the same on every run."""
    assert digest("https://a.test/incidents/1") == digest("https://a.test/incidents/1")
    assert len(digest("x")) == DIGEST_WIDTH
    assert digest("a") != digest("b")
    assert set(digest("\udc80 lone surrogate")) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )


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
