"""The state file on disk (`statefile.py`): atomic 0600 saves, the lock, the default path, and
who the file, its lock and its directory may belong to (SPEC §4).

In a directory others can write to, another user could plant a symbolic link or a file of
their own where the state or its lock goes: statusstream would truncate the link's target,
or trust a planted state. Each is refused with one line naming the path (StateError, exit 2),
and nothing is changed. The tests run as root here, so "another user" is uid 65534 (chown).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from statusstream import statefile
from statusstream.errors import StateError, StateLockedError, StateSaveError
from statusstream.feedstate import (
    FeedState,
)
from statusstream.state import State
from statusstream.statefile import StateFile, default_path
from tests.state_helpers import NOW, full_feed_state, with_etag

OTHER_UID = 65534
VICTIM = b"precious, not ours to truncate\n"


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    directory = tmp_path / "state"
    directory.mkdir(mode=0o700)
    return directory


def refused(path: Path) -> str:
    """Open the state at `path`, expecting a refusal; its one-line message."""
    state_file = StateFile(path)
    with pytest.raises(StateError) as caught:
        state_file.open()
    state_file.close()
    assert type(caught.value) is StateError
    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert "\n" not in message
    return message


def opens(path: Path) -> State:
    state_file = StateFile(path)
    try:
        return state_file.open()
    finally:
        state_file.close()


def can_chown() -> bool:
    return os.geteuid() == 0


needs_root = pytest.mark.skipif(
    not can_chown(), reason="giving a file to another user (chown) needs root"
)


# -- symbolic links --------------------------------------------------------------------------


def test_a_symlinked_lock_is_refused_and_its_target_untouched(
    directory: Path, tmp_path: Path
) -> None:
    """`state.json.lock` -> a victim file: refused; the victim is neither truncated nor written."""
    victim = tmp_path / "victim"
    victim.write_bytes(VICTIM)
    lock = directory / "state.json.lock"
    lock.symlink_to(victim)
    message = refused(directory / "state.json")
    assert message == f"{lock}: refusing the lock file: it is a symbolic link"
    assert victim.read_bytes() == VICTIM


def test_a_dangling_symlinked_lock_creates_nothing(directory: Path, tmp_path: Path) -> None:
    """A lock link to a file that does not exist yet does not create it."""
    (directory / "state.json.lock").symlink_to(tmp_path / "created")
    assert "symbolic link" in refused(directory / "state.json")
    assert not (tmp_path / "created").exists()


def test_a_symlinked_state_file_is_refused(directory: Path, tmp_path: Path) -> None:
    """`state.json` -> a state elsewhere: refused, even though what it points to is valid."""
    elsewhere = tmp_path / "planted.json"
    elsewhere.write_bytes(State().to_bytes())
    path = directory / "state.json"
    path.symlink_to(elsewhere)
    assert refused(path) == f"{path}: refusing the state file: it is a symbolic link"
    assert path.is_symlink()
    opens(directory / "other.json")  # the refusal released the lock it took


def test_a_symlinked_directory_is_refused(tmp_path: Path, directory: Path) -> None:
    """The state's directory itself a link: refused before any file in it is opened."""
    link = tmp_path / "link"
    link.symlink_to(directory)
    message = refused(link / "state.json")
    assert message == f"{link}: refusing the state directory: it is a symbolic link"
    assert list(directory.iterdir()) == []


# -- other users' files ----------------------------------------------------------------------


@needs_root
def test_a_lock_of_another_user_is_refused_and_left_alone(directory: Path) -> None:
    """A lock file planted by another user is not truncated nor written."""
    lock = directory / "state.json.lock"
    lock.write_bytes(VICTIM)
    os.chown(lock, OTHER_UID, OTHER_UID)
    message = refused(directory / "state.json")
    assert message == f"{lock}: refusing the lock file: it belongs to another user (uid 65534)"
    assert lock.read_bytes() == VICTIM


@needs_root
def test_a_state_file_of_another_user_is_not_trusted(directory: Path) -> None:
    """A state planted by another user is refused, and left as it is."""
    path = directory / "state.json"
    planted = State().to_bytes()
    path.write_bytes(planted)
    path.chmod(0o600)
    os.chown(path, OTHER_UID, OTHER_UID)
    message = refused(path)
    assert message == f"{path}: refusing the state file: it belongs to another user (uid 65534)"
    assert path.read_bytes() == planted
    assert path.stat().st_uid == OTHER_UID


@pytest.mark.parametrize("name", ["state.json", "state.json.lock"])
def test_a_file_others_can_write_is_refused(directory: Path, name: str) -> None:
    """A state or lock file writable by group or others is refused, naming it and its mode."""
    target = directory / name
    target.write_bytes(State().to_bytes())
    target.chmod(0o664)
    message = refused(directory / "state.json")
    assert message.startswith(f"{target}: refusing the ")
    assert message.endswith("others can write to it (mode 0664)")


def test_a_hard_link_as_the_lock_is_refused(directory: Path, tmp_path: Path) -> None:
    """A lock that is another name of some file (a hard link) is not truncated."""
    victim = tmp_path / "victim"
    victim.write_bytes(VICTIM)
    victim.chmod(0o600)
    os.link(victim, directory / "state.json.lock")
    assert "other hard links" in refused(directory / "state.json")
    assert victim.read_bytes() == VICTIM


def test_a_fifo_as_the_state_is_refused_without_waiting(directory: Path) -> None:
    """A named pipe where the state goes is refused at once, not read until a writer comes."""
    path = directory / "state.json"
    os.mkfifo(path, 0o600)
    messages: list[str] = []
    reader = threading.Thread(target=lambda: messages.append(refused(path)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert messages == [f"{path}: cannot read the state file: not a regular file"]


# -- the directory ---------------------------------------------------------------------------


def test_a_directory_others_can_write_needs_the_sticky_bit(directory: Path) -> None:
    """0777 is refused (others could replace the files); 1777, like /tmp, is accepted."""
    directory.chmod(0o777)
    message = refused(directory / "state.json")
    assert message == (
        f"{directory}: refusing the state directory: others can write in it,"
        " and it has no sticky bit (mode 0777)"
    )
    assert list(directory.iterdir()) == []
    directory.chmod(0o1777)
    assert opens(directory / "state.json") == State()


@needs_root
def test_a_directory_of_another_user_is_refused(directory: Path) -> None:
    """A directory owned by someone else (not root) is refused, naming its owner."""
    os.chown(directory, OTHER_UID, OTHER_UID)
    message = refused(directory / "state.json")
    assert (
        message
        == f"{directory}: refusing the state directory: it belongs to another user (uid 65534)"
    )


@needs_root
def test_temporaries_of_another_user_are_not_removed(directory: Path) -> None:
    """In a shared sticky directory, a look-alike temporary of another user is left alone."""
    directory.chmod(0o1777)
    theirs = directory / ".state.json.abcd1234"
    theirs.write_bytes(VICTIM)
    os.chown(theirs, OTHER_UID, OTHER_UID)
    ours = directory / ".state.json.efgh5678"
    ours.write_bytes(b"{")
    opens(directory / "state.json")
    assert theirs.read_bytes() == VICTIM
    assert not ours.exists()


def test_the_files_statusstream_creates_pass_its_own_checks(directory: Path) -> None:
    """A first run's lock and saved state are private files, and the next open accepts them."""
    path = directory / "new" / "state.json"
    state_file = StateFile(path)
    state_file.open()
    state_file.save(State())
    state_file.close()
    for created in (path, path.with_name("state.json.lock")):
        assert stat.S_IMODE(created.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert opens(path) == State()


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


# -- values out of range ---------------------------------------------------------------------


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
