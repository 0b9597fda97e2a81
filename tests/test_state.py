"""The state file: its JSON document, atomic 0600 saves, the lock, and pruning."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from statusstream import statefile
from statusstream.errors import StateError, StateLockedError, StateSaveError
from statusstream.feedstate import (
    FORGET_AFTER_DAYS,
    MAX_INCIDENTS_PER_FEED,
    MAX_KEYS_PER_INCIDENT,
    FeedState,
)
from statusstream.state import VERSION, State
from statusstream.statefile import StateFile, default_path
from statusstream.statevalues import DIGEST_WIDTH, digest


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "state.json"


@pytest.fixture
def opened(path: Path) -> Iterator[StateFile]:
    """A StateFile that was opened (so it holds the lock); closed afterwards."""
    state_file = StateFile(path)
    state_file.open()
    yield state_file
    state_file.close()


NOW = 1762180000.0  # 2025-11-03T14:26:40Z


def full_feed_state() -> FeedState:
    feed = FeedState()
    feed.refresh_validators('W/"5f1-abc"', "Mon, 03 Nov 2025 14:32:00 GMT")
    feed.seen_body("x" * 22, ttl=300.0, quiet=True)
    feed.mark_baselined()
    for _ in range(3):
        feed.fail("HTTP 503 Service Unavailable", retry_after=320.5, now=NOW)
    feed.record(digest("incident a"), digest("update 1"))
    feed.record(digest("incident a"), digest("update 2"))
    feed.record(digest("incident b"), digest("update 1"))
    feed.saw_updates_until(NOW - 600)
    feed.prune({digest("incident a")}, day=20395)
    return feed


def with_etag(etag: str) -> FeedState:
    feed = FeedState()
    feed.refresh_validators(etag, None)
    return feed


def incidents_of(feed: FeedState) -> dict[str, str]:
    """A feed's incidents as its record in the file holds them: digest -> update keys."""
    written = feed.to_json().get("incidents", "")
    return {entry[:DIGEST_WIDTH]: entry[DIGEST_WIDTH:] for entry in written.split()}


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


# -- the file on disk ------------------------------------------------------------------------


def test_a_missing_file_opens_as_an_empty_state(path: Path) -> None:
    """No file yet: an empty state, and the directory is created (private)."""
    state_file = StateFile(path)
    try:
        assert state_file.open() == State()
    finally:
        state_file.close()
    assert path.parent.is_dir()
    assert not path.exists()
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0


def test_save_and_open_round_trip(path: Path, opened: StateFile) -> None:
    """What was saved is what the next open reads."""
    state = State(feeds={"https://a.test/feed.rss": full_feed_state()})
    opened.save(state)
    opened.close()
    again = StateFile(path)
    try:
        assert again.open() == state
    finally:
        again.close()


def test_saved_file_is_mode_0600(path: Path, opened: StateFile) -> None:
    """The state file is readable by its owner only, even where it was wider before."""
    path.write_bytes(State().to_bytes())
    path.chmod(0o644)
    opened.save(State(feeds={"u": with_etag('"x"')}))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_save_replaces_the_file_and_leaves_no_temporary(path: Path, opened: StateFile) -> None:
    """Two saves leave the state file and the lock file, and nothing else."""
    opened.save(State(feeds={"u": with_etag('"1"')}))
    opened.save(State(feeds={"u": with_etag('"2"')}))
    assert sorted(entry.name for entry in path.parent.iterdir()) == [
        "state.json",
        "state.json.lock",
    ]
    assert json.loads(path.read_bytes())["feeds"]["u"]["etag"] == '"2"'


@pytest.mark.parametrize(
    "data",
    [b"garbage", b'{"version": 1, "feeds": {"u": {"etag"', b'{"version": 99}', b"[" * 100_000],
    ids=["garbage", "truncated", "newer", "nested"],
)
def test_an_unreadable_state_is_left_byte_identical(path: Path, data: bytes) -> None:
    """Opening a corrupt file raises StateError naming it and changes not one byte of it."""
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    path.chmod(0o640)
    before = path.stat()
    with pytest.raises(StateError) as caught:
        StateFile(path).open()
    assert str(path) in str(caught.value)
    assert path.read_bytes() == data
    after = path.stat()
    assert (after.st_mode, after.st_mtime_ns, after.st_ino) == (
        before.st_mode,
        before.st_mtime_ns,
        before.st_ino,
    )


def test_a_failed_open_releases_the_lock(path: Path) -> None:
    """After a corrupt file was refused, the lock is free again."""
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage")
    with pytest.raises(StateError):
        StateFile(path).open()
    path.write_bytes(State().to_bytes())
    other = StateFile(path)
    try:
        assert other.open() == State()
    finally:
        other.close()


def test_a_directory_in_place_of_the_file_is_a_state_error(path: Path) -> None:
    """A state path that cannot be read as a file is a StateError naming it."""
    path.mkdir(parents=True)
    with pytest.raises(StateError, match="cannot read the state file") as caught:
        StateFile(path).open()
    assert str(path) in str(caught.value)


def test_a_failed_save_cleans_up_and_keeps_the_old_file(
    path: Path, opened: StateFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the rename fails, the temporary file is removed and the old file is untouched."""
    old = State(feeds={"u": with_etag('"old"')}).to_bytes()
    path.write_bytes(old)

    def refuse(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(statefile.os, "replace", refuse)
    with pytest.raises(StateSaveError) as caught:
        opened.save(State(feeds={"u": with_etag('"new"')}))
    assert str(caught.value).startswith(f"{path}: cannot save the state: No space left on device")
    assert caught.value.exit_code == 1
    assert path.read_bytes() == old
    assert sorted(entry.name for entry in path.parent.iterdir()) == [
        "state.json",
        "state.json.lock",
    ]


def test_a_save_onto_a_directory_fails_cleanly(tmp_path: Path) -> None:
    """A real rename failure (the path is a directory) leaves no temporary file behind."""
    target = tmp_path / "state.json"
    (target / "occupied").mkdir(parents=True)
    with pytest.raises(StateSaveError) as caught:
        StateFile(target).save(State())
    assert str(target) in str(caught.value)
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["state.json"]
    assert (target / "occupied").is_dir()


def test_a_save_into_a_read_only_directory_fails_cleanly(tmp_path: Path) -> None:
    """No write permission: StateSaveError naming the file, old file kept, no temporary left."""
    if os.geteuid() == 0:
        pytest.skip("running as root: a read-only directory does not stop root from writing")
    directory = tmp_path / "ro"
    directory.mkdir()
    target = directory / "state.json"
    target.write_bytes(b'{"version":1,"feeds":{}}')
    directory.chmod(0o500)
    try:
        with pytest.raises(StateSaveError) as caught:
            StateFile(target).save(State(feeds={"u": FeedState()}))
        assert str(target) in str(caught.value)
        assert sorted(entry.name for entry in directory.iterdir()) == ["state.json"]
        assert target.read_bytes() == b'{"version":1,"feeds":{}}'
    finally:
        directory.chmod(0o700)


# -- the lock --------------------------------------------------------------------------------


def test_a_second_open_is_refused_naming_file_and_pid(path: Path, opened: StateFile) -> None:
    """While one StateFile holds the lock, another on the same path gets StateLockedError."""
    with pytest.raises(StateLockedError) as caught:
        StateFile(path).open()
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "in use by another statusstream" in message
    assert f"(pid {os.getpid()})" in message
    assert caught.value.exit_code == 75


def test_a_refused_open_leaves_the_state_alone(path: Path, opened: StateFile) -> None:
    """The refused second opener neither reads, changes nor unlocks the file."""
    opened.save(State(feeds={"u": with_etag('"1"')}))
    before = path.read_bytes()
    with pytest.raises(StateLockedError):
        StateFile(path).open()
    assert path.read_bytes() == before
    with pytest.raises(StateLockedError):  # still held by the first
        StateFile(path).open()


def test_the_lock_is_released_on_close(path: Path) -> None:
    """After close, another StateFile can open the same path."""
    first = StateFile(path)
    first.open()
    first.close()
    second = StateFile(path)
    try:
        assert second.open() == State()
    finally:
        second.close()


def test_close_twice_is_harmless(path: Path) -> None:
    """Closing an already closed (or never opened) StateFile does nothing."""
    state_file = StateFile(path)
    state_file.close()
    state_file.open()
    state_file.close()
    state_file.close()
    other = StateFile(path)
    try:
        assert other.open() == State()
    finally:
        other.close()


def test_a_stale_lock_file_does_not_block(path: Path) -> None:
    """A lock file left by a dead process (pid written, no lock held) is taken over."""
    path.parent.mkdir(parents=True)
    lock = path.with_name("state.json.lock")
    lock.write_text("999999999\n")
    state_file = StateFile(path)
    try:
        assert state_file.open() == State()
        assert lock.read_text() == f"{os.getpid()}\n"
    finally:
        state_file.close()


def test_a_lock_held_by_another_process_names_its_pid(path: Path) -> None:
    """The lock works across processes, and the message names the holder's pid."""
    path.parent.mkdir(parents=True)
    holder = (
        "import sys\n"
        "from pathlib import Path\n"
        "from statusstream.statefile import StateFile\n"
        "StateFile(Path(sys.argv[1])).open()\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", holder, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stdin is not None
        try:
            assert process.stdout.readline() == "locked\n"
            with pytest.raises(StateLockedError, match=rf"\(pid {process.pid}\)"):
                StateFile(path).open()
        finally:
            process.stdin.close()
            process.wait(timeout=30)
    state_file = StateFile(path)  # the holder exited: its lock died with it
    try:
        state_file.open()
    finally:
        state_file.close()


# -- the default path ------------------------------------------------------------------------


def test_default_path_prefers_statusstream_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """$STATUSSTREAM_STATE wins over $XDG_STATE_HOME."""
    monkeypatch.setenv("STATUSSTREAM_STATE", "/tmp/x/my.json")
    monkeypatch.setenv("XDG_STATE_HOME", "/tmp/xdg")
    assert default_path() == Path("/tmp/x/my.json")


def test_default_path_under_xdg_state_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without $STATUSSTREAM_STATE: $XDG_STATE_HOME/statusstream/state.json."""
    monkeypatch.delenv("STATUSSTREAM_STATE", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", "/tmp/xdg")
    assert default_path() == Path("/tmp/xdg/statusstream/state.json")


def test_default_path_falls_back_to_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """With neither set (or empty): ~/.local/state/statusstream/state.json."""
    monkeypatch.setenv("STATUSSTREAM_STATE", "")
    monkeypatch.setenv("XDG_STATE_HOME", "")
    monkeypatch.setenv("HOME", "/home/someone")
    assert default_path() == Path("/home/someone/.local/state/statusstream/state.json")


# -- what a feed remembers -------------------------------------------------------------------


def test_digest_is_short_and_stable() -> None:
    """Digests are DIGEST_WIDTH URL-safe characters, the same on every run."""
    assert digest("https://a.test/incidents/1") == digest("https://a.test/incidents/1")
    assert len(digest("x")) == DIGEST_WIDTH
    assert digest("a") != digest("b")
    assert set(digest("\udc80 lone surrogate")) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )


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


def test_a_full_feed_state_stays_small() -> None:
    """A feed at the incident cap with a few updates each stays well under a megabyte."""
    feed = FeedState()
    feed.mark_baselined()
    for number in range(MAX_INCIDENTS_PER_FEED):
        for update in range(5):
            feed.record(digest(f"incident {number}"), digest(f"update {update}"))
    size = len(State(feeds={"https://a.test/": feed}).to_bytes())
    assert size < 64 * 1024
