"""`Output`: what the kernel took is what counts as written, and a stalled reader stops nothing.

The tests drive `Output.write` on a pipe inside trio, its size set with F_SETPIPE_SZ. (The
installed command on such a pipe is tests/e2e/test_stalled_reader.py's.)
"""

from __future__ import annotations

import fcntl
import os
import termios

import pytest
import trio

from statusstream.errors import OutputClosed
from statusstream.output import Output

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
PAGE = 4096
LINE = "x" * 999  # 1,000 bytes with its newline


def small_pipe() -> tuple[int, int]:
    read, write = os.pipe()
    fcntl.fcntl(write, F_SETPIPE_SZ, PAGE)
    return read, write


def pending(fd: int) -> int:
    """Bytes in the pipe that nobody has read yet."""
    return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"), "little")


async def test_each_line_counts_once_the_kernel_took_all_of_it() -> None:
    """A full pipe takes part of a group: only its whole lines are reported, the rest after
    the reader makes room, in order, each once."""
    read, write = small_pipe()
    output = Output(write)
    taken: list[int] = []
    try:
        with trio.fail_after(10):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(output.write, [LINE] * 10, taken.append)
                await trio.sleep(0.2)
                assert taken == list(range(PAGE // 1000))  # 4 whole lines in 4,096 bytes
                received = b""
                while len(received) < 10_000:
                    await trio.lowlevel.wait_readable(read)
                    received += os.read(read, 65536)
        assert taken == list(range(10))
        assert received == (LINE + "\n").encode() * 10
        assert output.written == 10
    finally:
        output.close()
        os.close(read)
        os.close(write)


async def test_a_reader_gone_midway_reports_only_the_lines_taken() -> None:
    """EPIPE after a partial write: the lines before it count, the rest raise OutputClosed."""
    read, write = small_pipe()
    output = Output(os.dup(write))
    os.close(write)
    taken: list[int] = []
    try:
        with trio.fail_after(10), pytest.RaisesGroup(OutputClosed):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(output.write, [LINE] * 10, taken.append)
                await trio.sleep(0.2)
                os.close(read)
        assert taken == [0, 1, 2, 3]
    finally:
        output.close()


async def test_a_stalled_reader_leaves_the_event_loop_free() -> None:
    """A write to a full pipe waits in trio: a deadline around it still fires."""
    read, write = small_pipe()
    output = Output(write)
    try:
        with trio.move_on_after(0.3) as scope:
            await output.write([LINE] * 10, lambda index: None)
        assert scope.cancelled_caught
        assert output.written == 4
    finally:
        output.close()
        os.close(read)
        os.close(write)


async def test_a_line_cut_by_a_cancelled_write_is_ended_before_the_next_one() -> None:
    """Cancelled in the middle of a line on a full pipe: the rest of that line goes out
    before the next line, so a reader never sees two lines glued together."""
    read, write = small_pipe()
    output = Output(write)
    taken: list[int] = []
    try:
        with trio.fail_after(10):
            with trio.move_on_after(0.3):
                await output.write([LINE] * 10, taken.append)
            assert taken == [0, 1, 2, 3]  # the fifth line was cut: not counted
            received = b""
            async with trio.open_nursery() as nursery:
                nursery.start_soon(output.write, ["next"], lambda index: None)
                while not received.endswith(b"next\n"):
                    await trio.lowlevel.wait_readable(read)
                    received += os.read(read, 65536)
        assert received.split(b"\n") == [LINE.encode()] * 5 + [b"next", b""]
    finally:
        output.close()
        os.close(read)
        os.close(write)


async def test_the_pipe_is_given_back_blocking() -> None:
    """fd 1 is shared with whatever runs after statusstream: its mode is restored."""
    read, write = os.pipe()
    output = Output(write)
    assert not os.get_blocking(write)
    output.close()
    assert os.get_blocking(write)
    os.close(read)
    os.close(write)
