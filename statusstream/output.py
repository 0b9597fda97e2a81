"""stdout: events as JSON lines (readable lines at a terminal), written straight to fd 1.

Delivery is at-least-once, so what counts is what the kernel took: `write` reports each line
once all of its bytes were taken, and none after a failed or cancelled write. Nothing is
buffered in between (a buffered stream reports success for bytes it still holds). A pipe
whose reader stalls must not stop the run: on a pipe or socket fd 1 is made non-blocking
while statusstream runs, and a full pipe is waited for in the event loop, where a signal or
a deadline can still act.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import re
import stat
from collections.abc import Callable, Sequence
from typing import NoReturn

import trio

from statusstream.errors import OutputClosed, OutputError
from statusstream.events import Event

# JSON escapes only C0 controls. These others can also drive a terminal (DEL, C1 such as the
# CSI U+009B, bidi overrides) or break line-oriented readers (U+2028, U+2029, lone
# surrogates, which are not UTF-8). They only ever occur inside JSON strings, where \uXXXX
# means the same character, so escaping them changes no value.
_ESCAPED = ((0x7F, 0x9F), (0x2028, 0x202E), (0x2066, 0x2069), (0xD800, 0xDFFF))  # inclusive
_ESCAPE = {code: f"\\u{code:04x}" for first, last in _ESCAPED for code in range(first, last + 1)}
_NEEDS_ESCAPE = re.compile(
    "[" + "".join(f"{chr(first)}-{chr(last)}" for first, last in _ESCAPED) + "]"
)


FINISH_LINE = 1.0  # seconds a cancelled write may still take to end the line it cut


class Output:
    """Writes lines to a file descriptor (1: stdout) and says which ones the kernel took."""

    def __init__(
        self,
        fd: int | None,
        *,
        human: bool = False,
        before_write: Callable[[], None] | None = None,
    ) -> None:
        """`fd` None: stdout was closed when statusstream started (`>&-`), and fd 1 may
        since have been given to a file of ours; every write is then an error."""
        self._fd = fd
        self._human = human  # one readable line per event, for a terminal
        self._before_write = before_write  # wipes a progress line the lines would run into
        self._restore_blocking = False
        if self._fd is not None and _is_stream(self._fd) and os.get_blocking(self._fd):
            os.set_blocking(self._fd, False)
            self._restore_blocking = True
        self._lock = trio.Lock()  # one group at a time, so lines never interleave
        # The rest of a line whose write was cancelled part-way: it goes out before anything
        # else, or the next line would be glued to its start.
        self._tail = b""
        self.written = 0

    def close(self) -> None:
        """Give fd 1 back as it came (others may share the pipe after us)."""
        if self._restore_blocking and self._fd is not None:
            with contextlib.suppress(OSError):
                os.set_blocking(self._fd, True)
            self._restore_blocking = False

    def render(self, event: Event) -> str:
        return event.to_text() if self._human else event.to_json()

    async def write(self, lines: Sequence[str], taken: Callable[[int], None]) -> None:
        """Write `lines`, calling `taken(i)` as soon as the kernel took all of line i.

        Lines produced together go out in one write. A reader that leaves (`| head -1`)
        ends the run with `OutputClosed`; the lines it never got are written next time.
        """
        encoded = [_escaped(line).encode("utf-8") + b"\n" for line in lines]
        ends = list(itertools.accumulate(map(len, encoded)))
        async with self._lock:
            if self._before_write is not None:
                self._before_write()
            if self._tail:
                await self._send(memoryview(self._tail), [len(self._tail)], lambda index: None)
                self._tail = b""
            await self._send(memoryview(b"".join(encoded)), ends, self._counted(taken))

    def _counted(self, taken: Callable[[int], None]) -> Callable[[int], None]:
        def counted(index: int) -> None:
            self.written += 1
            taken(index)

        return counted

    async def _send(self, data: memoryview, ends: list[int], taken: Callable[[int], None]) -> None:
        sent = done = 0
        while sent < len(data):
            if self._fd is None:  # closed under an earlier group that waited for this one
                message = "cannot write to stdout: it is closed"
                raise OutputError(message)
            try:
                sent += os.write(self._fd, data[sent:])
            except BlockingIOError:
                try:
                    await trio.lowlevel.wait_writable(self._fd)
                except trio.Cancelled:
                    line_start = ends[done - 1] if done else 0
                    if sent > line_start:
                        await self._finish_line(data[sent : ends[done]])
                    raise
                continue
            except OSError as exc:
                self._fail(exc)
            while done < len(ends) and ends[done] <= sent:
                taken(done)
                done += 1

    async def _finish_line(self, rest: memoryview) -> None:
        """Cancelled in the middle of a line: give the reader a moment to take the rest (the
        line is not counted as written either way), else keep it for the next write."""
        assert self._fd is not None
        with trio.CancelScope(shield=True), trio.move_on_after(FINISH_LINE):
            while rest:
                try:
                    rest = rest[os.write(self._fd, rest) :]
                except BlockingIOError:
                    await trio.lowlevel.wait_writable(self._fd)
                except OSError:
                    return
        self._tail = bytes(rest)

    def _fail(self, exc: OSError) -> NoReturn:
        self.close()
        _silence_stdout(self._fd)
        self._fd = None
        if exc.errno == errno.EPIPE:
            message = "stdout was closed by its reader"
            raise OutputClosed(message) from exc
        message = f"cannot write to stdout: {exc.strerror or exc}"
        raise OutputError(message) from exc


def _escaped(line: str) -> str:
    return line.translate(_ESCAPE) if _NEEDS_ESCAPE.search(line) else line


def _is_stream(fd: int) -> bool:
    """A pipe or socket: where a reader can stall us (a file cannot; a terminal is the user's)."""
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _silence_stdout(fd: int | None) -> None:
    """Point `fd` at /dev/null so the interpreter's final flush cannot fail again."""
    if fd is None:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass
