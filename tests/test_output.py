"""`Output`: what the kernel took is what counts as written, and a stalled reader stops nothing.

Unit tests drive `Output.write` on a pipe inside trio; end-to-end tests run the installed
command with stdout on a pipe the test controls (its size set with F_SETPIPE_SZ, its content
measured with FIONREAD while the writer is stopped).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import termios
import time

import pytest
import trio

from statusstream.errors import OutputClosed
from statusstream.output import Output
from tests.conftest import COMMAND, Cli
from tests.feedgen import incident, statuspage_rss
from tests.hostile import (
    HostileServer,
    hostile_server,  # noqa: F401 - the `hostile` fixture
    run,
)

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
PAGE = 4096
LINE = "x" * 999  # 1,000 bytes with its newline
MANY = [
    incident(f"i{n}", f"Incident {n}", ("Resolved", f"2025-11-{n:02d} 10:00", "y" * 3000))
    for n in range(1, 29)
]


def small_pipe() -> tuple[int, int]:
    read, write = os.pipe()
    fcntl.fcntl(write, F_SETPIPE_SZ, PAGE)
    return read, write


def pending(fd: int) -> int:
    """Bytes in the pipe that nobody has read yet."""
    return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"), "little")


def ids(stdout: bytes) -> list[str]:
    return [json.loads(line)["id"] for line in stdout.splitlines()]


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


async def test_the_pipe_is_given_back_blocking() -> None:
    """fd 1 is shared with whatever runs after statusstream: its mode is restored."""
    read, write = os.pipe()
    output = Output(write)
    assert not os.get_blocking(write)
    output.close()
    assert os.get_blocking(write)
    os.close(read)
    os.close(write)


def test_lines_a_partial_write_did_not_finish_are_written_next_time(
    hostile: HostileServer, cli: Cli
) -> None:
    """The reader leaves with the pipe part full: every line whose bytes the kernel took in
    full counts as written (read or not), and exactly the others come next time."""
    url = hostile.respond("/a.rss", statuspage_rss(MANY))
    feeds = cli.feeds(url)
    everything = run(cli, "--once", "--since", "all", "--no-state", feeds).stdout
    read, write = small_pipe()
    with subprocess.Popen(
        [str(COMMAND), "--once", "--since", "all", feeds],
        stdout=write,
        stderr=subprocess.PIPE,
        env=cli.env,
    ) as process:
        os.close(write)
        head = os.read(read, 1500)  # the first line and part of the second
        time.sleep(1.0)  # the pipe fills again, and the writer waits
        process.send_signal(signal.SIGSTOP)
        time.sleep(0.2)
        taken = len(head) + pending(read)
        os.close(read)
        process.send_signal(signal.SIGCONT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert b"Traceback" not in stderr
    whole = everything[:taken].count(b"\n")
    assert 0 < whole < len(everything.splitlines())
    assert ids(run(cli, "--once", feeds).stdout) == ids(everything)[whole:]


def test_sigterm_stops_a_run_whose_reader_stalled(hostile: HostileServer, cli: Cli) -> None:
    """stdout is a full pipe nobody reads: SIGTERM still saves the state and exits 0, and
    the lines the pipe took are not written again."""
    url = hostile.respond("/a.rss", statuspage_rss(MANY))
    feeds = cli.feeds(url)
    read, write = small_pipe()
    with subprocess.Popen(
        [str(COMMAND), "--since", "all", "--interval", "1h", feeds],
        stdout=write,
        stderr=subprocess.PIPE,
        env=cli.env,
    ) as process:
        os.close(write)
        deadline = time.monotonic() + 20
        while pending(read) < PAGE and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
        head = os.read(read, 2 * PAGE)
        os.close(read)
    assert process.returncode == 0, stderr
    assert b"stopped by SIGTERM; state saved" in stderr
    whole = head.count(b"\n")
    everything = run(cli, "--once", "--since", "all", "--no-state", feeds).stdout
    assert ids(run(cli, "--once", feeds).stdout) == ids(everything)[whole:]
