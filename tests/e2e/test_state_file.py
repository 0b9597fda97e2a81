"""The state file under faults: kill -9 mid-save, a full disk, a newer version, a dead holder.

A full disk is simulated with RLIMIT_FSIZE in the child (writes fail with EFBIG), which,
unlike a read-only directory, stops root too.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import time
from collections.abc import Callable

from statusstream.state import VERSION, State
from tests.e2e.command import COMMAND, Cli, run, state_temporaries, wait_for
from tests.feedgen import API_DOWN, DOWN, FIXED, incident, statuspage_rss
from tests.servers import Connection, Request, Server, head


def ids(stdout: bytes) -> list[str]:
    return [json.loads(line)["id"] for line in stdout.splitlines()]


def limit_file_size(size: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


def growing_feed(server: Server, path: str) -> str:
    """A feed with one more incident at every request (and 200 old ones, for a bigger state)."""

    async def handler(request: Request, connection: Connection) -> None:
        count = len(server.hits(path))
        incidents = [
            incident(f"n{n}", f"Incident {n}", ("Investigating", f"2025-11-03 {n % 24:02}:00", "x"))
            for n in range(count + 200, 0, -1)
        ]
        body = statuspage_rss(incidents)
        fields = {"Content-Type": "application/rss+xml", "Content-Length": str(len(body))}
        await connection.send(head(200, fields, b"OK") + body)

    return server.route(path, handler)


def test_kill_9_during_saves_never_leaves_a_bad_state(server: Server, cli: Cli) -> None:
    """Killed at any moment of its saves, a run leaves a valid state and loses no update."""
    url = growing_feed(server, "/growing.rss")
    feeds = cli.feeds(f"{url} interval=0.02s")
    output = cli.directory / "out.jsonl"
    with output.open("wb") as sink:
        for round in range(10):
            wanted = len(server.requests) + 1 + round % 4
            with subprocess.Popen(
                [str(COMMAND), "--since", "all", feeds],
                stdout=sink,
                stderr=subprocess.DEVNULL,
                env=cli.env,
                cwd=cli.directory,
            ) as process:
                wait_for(lambda wanted=wanted: len(server.requests) >= wanted)
                process.send_signal(signal.SIGKILL)
            if cli.state.exists():
                State.from_bytes(cli.state.read_bytes(), "state")  # raises if damaged
            assert len(state_temporaries(cli.state)) <= 1  # at most the one this kill cut short
    result = run(cli, "--once", "--since", "all", feeds)
    assert result.code == 0, result.err
    assert state_temporaries(cli.state) == []
    lines = output.read_bytes().splitlines() + result.stdout.splitlines()
    written = {json.loads(line)["incident"] for line in lines if line.endswith(b"}")}
    served = len(server.hits("/growing.rss")) + 200
    assert written >= {f"https://status.example.test/incidents/n{n}" for n in range(1, served)}


def test_a_save_cut_short_earlier_is_cleaned_up(server: Server, cli: Cli) -> None:
    """Temporary files a killed save left beside the state are removed by the next run."""
    url = server.respond("/a.rss", statuspage_rss([DOWN]))
    cli.state.parent.mkdir(parents=True, exist_ok=True)
    leftover = cli.state.with_name(".state.json.a1b2c3d4")
    leftover.write_bytes(b'{"version": 1, "fee')
    unrelated = cli.state.with_name(".state.json.mine-keep")
    unrelated.write_bytes(b"not ours")
    result = run(cli, "--once", cli.feeds(url))
    assert result.code == 0, result.err
    assert not leftover.exists()
    assert unrelated.exists()


def test_a_full_disk_at_save_keeps_the_old_state_and_emits_again(server: Server, cli: Cli) -> None:
    """Saving fails (EFBIG): old state intact, exit 1, a clear message; the next run re-emits."""
    url = server.respond("/a.rss", statuspage_rss([DOWN]))
    feeds = cli.feeds(url)
    assert run(cli, "--once", feeds).code == 0
    before = cli.state.read_bytes()
    server.respond("/a.rss", statuspage_rss([FIXED]))
    for size, mode in ((64, "--once"), (0, "--once"), (64, "--interval=1h")):  # 0: nor the pid
        failed = run(cli, mode, feeds, preexec_fn=limit_file_size(size), measure=False)
        assert failed.code == 1, failed.err
        assert "Traceback" not in failed.err
        assert f"{cli.state}: cannot save the state: File too large" in failed.err
        assert "will be written again" in failed.err
        assert cli.state.read_bytes() == before
        assert [json.loads(line)["status"] for line in failed.stdout.splitlines()] == ["resolved"]
        assert state_temporaries(cli.state) == []
    again = run(cli, "--once", feeds)
    assert again.code == 0, again.err
    assert ids(again.stdout) == ids(failed.stdout)  # the same update, the same id
    assert run(cli, "--once", feeds).stdout == b""


def test_a_state_file_from_a_newer_version_is_refused(server: Server, cli: Cli) -> None:
    """A state written by a newer statusstream: exit 2, a clear message, the file untouched."""
    url = server.respond("/a.rss", statuspage_rss([DOWN]))
    cli.state.parent.mkdir(parents=True, exist_ok=True)
    newer = b'{"version": %d, "feeds": {}, "shiny": true}' % (VERSION + 1)
    cli.state.write_bytes(newer)
    result = run(cli, "--once", cli.feeds(url))
    assert result.code == 2
    assert (
        f"{cli.state}: written by a newer statusstream (state version {VERSION + 1}" in result.err
    )
    assert cli.state.read_bytes() == newer
    assert server.requests == []


def test_an_absurd_retry_after_never_bricks_the_state(server: Server, cli: Cli) -> None:
    """A 503 with a Retry-After of 400 nines: the state stays readable and the wait is a day."""
    url = server.respond(
        "/busy.rss", b"busy", status=503, headers={"Retry-After": "9" * 400}, reason=b"Busy"
    )
    feeds = cli.feeds(url)
    assert run(cli, "--once", feeds).code == 1
    again = run(cli, "--once", feeds)
    assert again.code != 2, again.err
    assert "Traceback" not in again.err
    [record] = json.loads(cli.state.read_bytes())["feeds"].values()
    assert record["retry_at"] <= time.time() + 86400


def test_a_retry_at_ten_years_ahead_is_refused(server: Server, cli: Cli) -> None:
    """A state whose feed may not be polled for ten years: exit 2, the file untouched."""
    url = server.respond("/a.rss", statuspage_rss([DOWN]))
    cli.state.parent.mkdir(parents=True, exist_ok=True)
    ahead = {"retry_at": time.time() + 10 * 365 * 86400, "baselined": True}
    data = json.dumps({"version": 2, "feeds": {url: ahead}}).encode()
    cli.state.write_bytes(data)
    result = run(cli, "--once", cli.feeds(url))
    assert result.code == 2
    assert f"{cli.state}: damaged state file" in result.err
    assert "retry_at" in result.err and "out of range" in result.err
    assert "Traceback" not in result.err
    assert cli.state.read_bytes() == data
    assert server.requests == []


def test_a_lone_surrogate_in_the_state_is_refused_at_start(server: Server, cli: Cli) -> None:
    """A hand-edited etag with an escaped lone surrogate: exit 2 at once, not a traceback later."""
    url = server.respond("/a.rss", statuspage_rss([DOWN]))
    cli.state.parent.mkdir(parents=True, exist_ok=True)
    data = b'{"version": 2, "feeds": {"%s": {"etag": "\\ud800", "baselined": true}}}' % (
        url.encode()
    )
    cli.state.write_bytes(data)
    result = run(cli, "--once", cli.feeds(url))
    assert result.code == 2, result.err
    assert "lone surrogate" in result.err
    assert "Traceback" not in result.err
    assert cli.state.read_bytes() == data


def test_a_symlinked_lock_is_refused_by_the_command(server: Server, cli: Cli) -> None:
    """`state.json.lock` planted as a link to a victim: exit 2, one line, the victim intact."""
    url = server.respond("/a.rss", statuspage_rss([DOWN]))
    victim = cli.directory / "victim.txt"
    victim.write_bytes(b"keep me\n")
    cli.state.parent.mkdir(parents=True, exist_ok=True)
    lock = cli.state.with_name("state.json.lock")
    lock.symlink_to(victim)
    result = run(cli, "--once", cli.feeds(url))
    assert result.code == 2
    assert f"{lock}: refusing the lock file: it is a symbolic link" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert victim.read_bytes() == b"keep me\n"
    assert server.requests == []


def test_a_stale_lock_never_blocks(server: Server, cli: Cli) -> None:
    """A lock file left by a killed run, or naming a dead pid, does not stop the next run."""
    url = server.respond("/a.rss", statuspage_rss([DOWN]))
    feeds = cli.feeds(url)
    with cli.popen("--interval", "1h", feeds) as process:
        wait_for(cli.state.exists)
        process.kill()
        process.communicate(timeout=30)
    lock = cli.state.with_name("state.json.lock")
    assert lock.exists()
    assert run(cli, "--once", feeds).code == 0
    lock.write_text("999999999\n")  # no such process
    assert run(cli, "--once", feeds).code == 0


def test_second_process_on_the_same_state_exits_75(server: Server, cli: Cli) -> None:
    """A second statusstream on a state file in use exits 75 naming the file and the pid."""
    url = server.serve("/a.rss", statuspage_rss([API_DOWN]))
    feeds = cli.feeds(url)
    with cli.popen("--interval", "1h", feeds) as first:
        try:
            wait_for(lambda: cli.state.exists())
            result = cli.run("--once", feeds)
            assert result.code == 75
            assert str(cli.state) in result.stderr
            assert f"pid {first.pid}" in result.stderr
        finally:
            first.send_signal(signal.SIGTERM)
            first.communicate(timeout=30)


def test_corrupt_state_exits_2_and_is_left_untouched(server: Server, cli: Cli) -> None:
    """An unparsable state file: exit 2, a message naming it, the bytes unchanged."""
    url = server.serve("/a.rss", statuspage_rss([API_DOWN]))
    cli.state.write_bytes(b'{"version": 1, "feeds": {"x": [')
    result = cli.run("--once", cli.feeds(url))
    assert result.code == 2
    assert str(cli.state) in result.stderr
    assert cli.state.read_bytes() == b'{"version": 1, "feeds": {"x": ['
    assert server.requests == []
