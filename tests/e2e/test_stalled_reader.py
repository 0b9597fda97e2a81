"""stdout a pipe whose reader stalls or leaves mid-line: what the kernel took counts as written.

The installed command writes to a pipe the test controls (its size set with F_SETPIPE_SZ, its
content measured with FIONREAD while the writer is stopped).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import termios
import time

from tests.e2e.command import COMMAND, Cli, run
from tests.feedgen import incident, statuspage_rss
from tests.servers import Server

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
PAGE = 4096
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


def test_lines_a_partial_write_did_not_finish_are_written_next_time(
    server: Server, cli: Cli
) -> None:
    """The reader leaves with the pipe part full: every line whose bytes the kernel took in
    full counts as written (read or not), and exactly the others come next time."""
    url = server.respond("/a.rss", statuspage_rss(MANY))
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


def test_sigterm_stops_a_run_whose_reader_stalled(server: Server, cli: Cli) -> None:
    """stdout is a full pipe nobody reads: SIGTERM still saves the state and exits 0, and
    the lines the pipe took are not written again."""
    url = server.respond("/a.rss", statuspage_rss(MANY))
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
