"""The state document (`state.py`): every feed's state as versioned JSON, to and from bytes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statusstream.errors import StateError
from statusstream.feedstate import (
    MAX_INCIDENTS_PER_FEED,
    FeedState,
)
from statusstream.state import VERSION, State
from statusstream.statevalues import digest
from tests.state_helpers import full_feed_state, incidents_of

# -- the document ----------------------------------------------------------------------------


def test_round_trip_keeps_every_field() -> None:
    """A state written to bytes and read back is equal, field for field."""
    state = State(
        feeds={"https://a.test/feed.rss": full_feed_state(), "https://b.test/": FeedState()}
    )
    assert State.from_bytes(state.to_bytes(), "state.json") == state


def test_document_is_versioned_compact_json() -> None:
    """The file is one compact JSON object with the version and the feeds by URL."""
    data = State(feeds={"https://a.test/feed.rss": full_feed_state()}).to_bytes()
    document = json.loads(data)
    assert document["version"] == VERSION
    assert list(document["feeds"]) == ["https://a.test/feed.rss"]
    assert data == json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def test_incidents_are_one_string_per_feed() -> None:
    """Version 2: each incident's digest then its update keys, the incidents space-separated."""
    feed = FeedState()
    for incident, key in (("AAAAAA", "BBBBBB"), ("AAAAAA", "CCCCCC"), ("DDDDDD", "EEEEEE")):
        feed.record(incident, key)
    record = json.loads(State(feeds={"u": feed}).to_bytes())["feeds"]["u"]
    assert record["incidents"] == "AAAAAABBBBBBCCCCCC DDDDDDEEEEEE"


def test_a_version_1_state_reads_the_same_and_is_written_as_version_2() -> None:
    """Version 1 wrote an object per incident; such a file loses nothing."""
    version_1 = {
        "version": 1,
        "feeds": {"u": {"etag": "x", "incidents": {"AAAAAA": "BBBBBBCCCCCC", "DDDDDD": "EEEEEE"}}},
    }
    state = State.from_bytes(json.dumps(version_1).encode(), "s")
    assert incidents_of(state.feeds["u"]) == {"AAAAAA": "BBBBBBCCCCCC", "DDDDDD": "EEEEEE"}
    assert state.feeds["u"].etag == "x"
    again = State.from_bytes(state.to_bytes(), "s")
    assert again == state
    assert json.loads(state.to_bytes())["version"] == VERSION == 2


def test_incidents_changed_after_loading_are_written_changed() -> None:
    """The incidents are kept as read until `record` or `prune` changes them."""
    loaded = State.from_bytes(
        b'{"version": 2, "feeds": {"u": {"incidents": "AAAAAABBBBBB DDDDDDEEEEEE"}}}', "s"
    )
    feed = loaded.feeds["u"]
    feed.record("AAAAAA", "CCCCCC")
    assert incidents_of(State.from_bytes(loaded.to_bytes(), "s").feeds["u"])["AAAAAA"] == (
        "BBBBBBCCCCCC"
    )
    feed.prune({"AAAAAA"}, day=20000)
    feed.prune({"AAAAAA"}, day=20000 + 31)  # DDDDDD left 31 days ago: forgotten
    assert incidents_of(State.from_bytes(loaded.to_bytes(), "s").feeds["u"]) == {
        "AAAAAA": "BBBBBBCCCCCC"
    }


def test_validators_are_kept_exactly_as_sent() -> None:
    """ETag and Last-Modified are stored byte for byte, quotes, W/ prefix and all."""
    feed = FeedState()
    feed.refresh_validators('W/"ü-\\"x\\""', "Mon, 03 Nov 2025 14:32:00 GMT")
    back = State.from_bytes(State(feeds={"u": feed}).to_bytes(), "s").feeds["u"]
    assert back.etag == 'W/"ü-\\"x\\""'
    assert back.last_modified == "Mon, 03 Nov 2025 14:32:00 GMT"


def test_defaults_are_left_out() -> None:
    """A fresh feed state is written as an empty object: the file stays small."""
    assert json.loads(State(feeds={"u": FeedState()}).to_bytes())["feeds"]["u"] == {}


def test_an_older_version_without_feeds_reads_as_empty() -> None:
    """A document with only a version holds no feeds."""
    assert State.from_bytes(b'{"version": 1}', "s") == State()


def test_a_newer_version_is_refused_clearly() -> None:
    """A state from a newer statusstream is refused, naming the file and both versions."""
    data = json.dumps({"version": VERSION + 1, "feeds": {}}).encode()
    with pytest.raises(StateError) as caught:
        State.from_bytes(data, "/home/u/state.json")
    message = str(caught.value)
    assert message.startswith("/home/u/state.json: ")
    assert "newer statusstream" in message
    assert f"version {VERSION + 1}" in message and f"reads {VERSION}" in message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage \x00\xff\xfe not json",
        b'{"version": 1, "feeds": {"https://a.test/": {"etag": "x"',
        b"[1, 2, 3]",
        b'"version"',
        b"null",
        b'{"feeds": {}}',
        b'{"version": "1", "feeds": {}}',
        b'{"version": 1, "feeds": "https://a.test/"}',
        b'{"version": 1, "feeds": null}',
        b'{"version": 1, "feeds": {"https://a.test/": []}}',
        b'{"version": 1, "feeds": {"https://a.test/": {"incidents": ["abc"]}}}',
        b'{"version": 2, "feeds": {"https://a.test/": {"incidents": "AAAAAABBB"}}}',
        b'{"version": 1, "feeds": {"https://a.test/": {"incidents": {"AAAAAA": null}}}}',
        b'{"version": 1, "feeds": {"https://a.test/": {"incidents": {"AAAAAA": "BB BBBB"}}}}',
        b'{"version": 1, "feeds": {"https://a.test/": {"incidents": {"AAAAAAA": "BBBBB"}}}}',
        b'{"version": 2, "feeds": {"https://a.test/": {"incidents": "AAAAAA"}}}',
        b'{"version": 2, "feeds": {"https://a.test/": {"incidents": 7}}}',
        b'{"version": 1, "feeds": {"https://a.test/": {"gone": {"abc": "yesterday"}}}}',
        b'{"version": 1, "feeds": {"https://a.test/": {"failures": "many"}}}',
        b'{"version": 1, "feeds": {"https://a.test/": {"retry_at": "soon"}}}',
        b'{"version": 1, "feeds": {"https://a.test/": {"ttl": [60]}}}',
        b"\xef\xbb\xbf\xff\xfe",
        b"[" * 100_000,
    ],
    ids=lambda data: repr(data[:40]),
)
def test_corrupt_documents_are_state_errors(data: bytes) -> None:
    """Garbage, truncated JSON, wrong types and deep nesting: StateError naming the file."""
    with pytest.raises(StateError) as caught:
        State.from_bytes(data, "/var/lib/x/state.json")
    assert str(caught.value).startswith("/var/lib/x/state.json: ")
    assert "left as it is" in str(caught.value)
    assert type(caught.value) is StateError


# -- size and damage -------------------------------------------------------------------------


def test_a_full_feed_state_stays_small() -> None:
    """A feed at the incident cap with a few updates each stays well under a megabyte."""
    feed = FeedState()
    feed.mark_baselined()
    for number in range(MAX_INCIDENTS_PER_FEED):
        for update in range(5):
            feed.record(digest(f"incident {number}"), digest(f"update {update}"))
    size = len(State(feeds={"https://a.test/": feed}).to_bytes())
    assert size < 64 * 1024


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


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(
                        [
                            "version",
                            "feeds",
                            "etag",
                            "incidents",
                            "gone",
                            "failures",
                            "retry_at",
                            "ttl",
                            "x",
                        ]
                    )
                    | st.text(max_size=5),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=12,
        ).map(lambda value: json.dumps(value).encode()),
        st.sampled_from(
            [
                b"[" * 100_000,
                b'{"version": 1, "feeds": {"u": {"failures": 1e400}}}',
                b'{"version": 1, "feeds": {"u": {"retry_at": NaN}}}',
                b'{"version": 1, "feeds": {"u": {"failures": ' + b"9" * 5000 + b"}}}",
                b'{"version": true, "feeds": {}}',
                b'{"version": 1, "feeds": {"u": {"gone": {"a": "x"}}}}',
                b'{"version": 2, "feeds": {"u": {"etag": "\\ud800"}}}',
                b'{"version": 2, "feeds": {"\\udfff": {}}}',
                b'{"version": 2, "feeds": {"u": {"gone": {"\\udc80AAAAA": 1}}}}',
                b'{"version": 0, "feeds": {}}',
            ]
        ),
    )
)
def test_any_state_bytes_load_or_raise_a_state_error(data: bytes) -> None:
    """Whatever is in the state file: a StateError, or a State that saves and loads back."""
    try:
        state = State.from_bytes(data, "state.json")
    except StateError as exc:
        assert str(exc).startswith("state.json: ")
    else:
        assert State.from_bytes(state.to_bytes(), "state.json") == state
