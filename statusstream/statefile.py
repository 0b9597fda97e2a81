"""The state file on disk: one process at a time, refused if unsafe, replaced atomically.

`StateFile.open` takes an `fcntl` lock on a `<state>.lock` file beside the state, so a stale
lock dies with its process, then reads the state; `save` writes a temporary file, fsyncs it
and renames it over the state with mode 0600. The file, its lock and its directory must not
be symbolic links nor writable by another user (a directory with the sticky bit excepted): in
a shared directory they could otherwise make statusstream overwrite any file, or trust a
state planted for it. Files are opened with O_NOFOLLOW and checked once open.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import tempfile
from pathlib import Path

from statusstream.errors import StateError, StateLockedError, StateSaveError
from statusstream.state import State

_TEMPORARY = re.compile(r"[a-z0-9_]{8}")  # the random part of a `tempfile.mkstemp` name


def default_path() -> Path:
    """$STATUSSTREAM_STATE, else $XDG_STATE_HOME (or ~/.local/state)/statusstream/state.json."""
    if explicit := os.environ.get("STATUSSTREAM_STATE"):
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(base) / "statusstream" / "state.json"


class StateFile:
    """The state on disk, held under an exclusive lock from `open` to `close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_fd: int | None = None
        self._saved: bytes | None = None  # what the file holds: the same is not written again

    def open(self) -> State:
        """Take the lock, then read the state (an empty one if there is no file yet)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            message = f"{self.path}: cannot create its directory: {exc.strerror}"
            raise StateError(message) from exc
        _check_directory(self.path.parent)
        self._lock()
        try:
            data = self._read()
            state = State() if data is None else State.from_bytes(data, str(self.path))
        except StateError:
            self.close()
            raise
        self._saved = data
        return state

    def _read(self) -> bytes | None:
        """The file's bytes, None if there is none; StateError if it is not ours alone."""
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _open_error(self.path, "state file", exc) from exc
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                message = f"{self.path}: cannot read the state file: not a regular file"
                raise StateError(message)
            _check_owned(self.path, "state file", info)
            chunks = []
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError as exc:
            message = f"{self.path}: cannot read the state file: {exc.strerror}"
            raise StateError(message) from exc
        finally:
            os.close(fd)

    def save(self, state: State) -> None:
        """Replace the file atomically; on any failure the old file stays as it was."""
        try:
            data = state.to_bytes()
        except UnicodeEncodeError as exc:  # text the checks let through: refuse, never crash
            message = f"{self.path}: cannot save the state: {exc.reason}; it is left as it was"
            raise StateSaveError(message) from exc
        if data == self._saved:
            return
        directory = self.path.parent
        temporary = None
        try:
            fd, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
            temporary = None
        except OSError as exc:
            message = (
                f"{self.path}: cannot save the state: {exc.strerror or exc}; the file is left"
                " as it was, and what was written since it was saved will be written again"
            )
            raise StateSaveError(message) from exc
        finally:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
        self._saved = data
        try:
            _fsync_directory(directory)
        except OSError as exc:  # the new file is in place; only its durability is in doubt
            message = f"{self.path}: saved, but its directory could not be synced: {exc.strerror}"
            raise StateSaveError(message) from exc

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(lock_path, flags, 0o600)
        except OSError as exc:
            raise _open_error(lock_path, "lock file", exc) from exc
        try:
            info = os.fstat(fd)
            # It is truncated and written in place: not a device, nor another name of a file.
            problem = None if stat.S_ISREG(info.st_mode) else "not a regular file"
            if problem is None and info.st_nlink != 1:
                problem = f"it has {info.st_nlink - 1} other hard links"
            if problem is not None:
                message = f"{lock_path}: refusing the lock file: {problem}"
                raise StateError(message)
            _check_owned(lock_path, "lock file", info)
        except BaseException:
            os.close(fd)
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                message = f"{lock_path}: cannot lock: {exc.strerror}"
                raise StateError(message) from exc
            pid = f" (pid {holder})" if holder.isdigit() else ""
            message = f"{self.path}: in use by another statusstream{pid}"
            raise StateLockedError(message) from exc
        with contextlib.suppress(OSError):  # the pid is for messages only; a full disk is no matter
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd
        self._remove_temporaries()

    def _remove_temporaries(self) -> None:
        """Delete what a save killed midway left behind; the lock says no save is running."""
        prefix = f".{self.path.name}."
        with contextlib.suppress(OSError):
            for leftover in self.path.parent.iterdir():
                name = leftover.name
                if name.startswith(prefix) and _TEMPORARY.fullmatch(name[len(prefix) :]):
                    with contextlib.suppress(OSError):
                        if leftover.lstat().st_uid == os.geteuid():  # not another user's file
                            leftover.unlink()


def _check_directory(directory: Path) -> None:
    """The state's directory: not a link, ours or root's, and others may not replace files in it."""
    try:
        info = os.lstat(directory)
    except OSError as exc:
        message = f"{directory}: cannot use the state directory: {exc.strerror}"
        raise StateError(message) from exc
    mode = stat.S_IMODE(info.st_mode)
    problem = None
    if stat.S_ISLNK(info.st_mode):
        problem = "it is a symbolic link"
    elif not stat.S_ISDIR(info.st_mode):
        problem = "not a directory"
    elif info.st_uid not in (os.geteuid(), 0):
        problem = f"it belongs to another user (uid {info.st_uid})"
    elif mode & 0o022 and not mode & stat.S_ISVTX:
        problem = f"others can write in it, and it has no sticky bit (mode {mode:04o})"
    if problem is not None:
        message = f"{directory}: refusing the state directory: {problem}"
        raise StateError(message)


def _check_owned(path: Path, what: str, info: os.stat_result) -> None:
    """A file we read or write in place: ours, and writable by no one else."""
    mode = stat.S_IMODE(info.st_mode)
    problem = None
    if info.st_uid != os.geteuid():
        problem = f"it belongs to another user (uid {info.st_uid})"
    elif mode & 0o022:
        problem = f"others can write to it (mode {mode:04o})"
    if problem is not None:
        message = f"{path}: refusing the {what}: {problem}"
        raise StateError(message)


def _open_error(path: Path, what: str, exc: OSError) -> StateError:
    if exc.errno == errno.ELOOP:
        return StateError(f"{path}: refusing the {what}: it is a symbolic link")
    verb = "read" if what == "state file" else "open"
    return StateError(f"{path}: cannot {verb} the {what}: {exc.strerror}")


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
