"""Who the state file, its lock and its directory may belong to (SPEC §4).

In a directory others can write to, another user could plant a symbolic link or a file of
their own where the state or its lock goes: statusstream would truncate the link's target,
or trust a planted state. Each is refused with one line naming the path (StateError, exit 2),
and nothing is changed. The tests run as root here, so "another user" is uid 65534 (chown).
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from statusstream.errors import StateError
from statusstream.state import State
from statusstream.statefile import StateFile

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
