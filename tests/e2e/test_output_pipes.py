"""stdout that fails: a full disk (/dev/full), a reader that leaves (`| head -1`), a closed
descriptor.

Each stops the run cleanly (no traceback), and nothing that was not written counts as
emitted: the next run writes it.
"""

from __future__ import annotations

import json
import os
import subprocess

import jsonschema

from statusstream.events import json_schema
from tests.e2e.command import COMMAND, Cli, run
from tests.feedgen import incident, statuspage_rss
from tests.servers import Server

MANY = [
    incident(f"i{n}", f"Incident {n}", ("Resolved", f"2025-11-{n:02d} 10:00", "x" * 5000))
    for n in range(1, 29)
]


def ids(stdout: bytes) -> list[str]:
    return [json.loads(line)["id"] for line in stdout.splitlines()]


SCHEMA = jsonschema.Draft202012Validator(json_schema())


def events(result_stdout: str) -> list[dict[str, object]]:
    parsed = [json.loads(line) for line in result_stdout.splitlines()]
    for event in parsed:
        SCHEMA.validate(event)
    return parsed


def test_a_full_disk_on_stdout_stops_and_loses_nothing(server: Server, cli: Cli) -> None:
    """stdout on /dev/full: exit 1 with the reason, no traceback; the next run writes it all."""
    url = server.respond("/a.rss", statuspage_rss(MANY))
    feeds = cli.feeds(url)
    for mode in (["--once"], ["--interval", "1h"]):
        cli.state.unlink(missing_ok=True)
        with open("/dev/full", "wb") as full:
            result = run(cli, *mode, "--since", "all", feeds, stdout=full.fileno())
        assert result.code == 1, result.err
        assert "cannot write to stdout: No space left on device" in result.err
        assert "Traceback" not in result.err
        after = run(cli, "--once", feeds)
        assert len(ids(after.stdout)) == len(MANY)


def test_a_reader_leaving_in_continuous_mode_is_quiet(server: Server, cli: Cli) -> None:
    """`statusstream feeds | head -1` without --once: exit 0, no traceback, the rest next time."""
    url = server.respond("/a.rss", statuspage_rss(MANY))
    feeds = cli.feeds(url)
    with subprocess.Popen(
        f"'{COMMAND}' --since all --interval 1h '{feeds}' | head -1",
        shell=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**cli.env, "SHELLOPTS": "pipefail"},
    ) as pipeline:
        stdout, stderr = pipeline.communicate(timeout=60)
    assert pipeline.returncode == 0, stderr
    assert b"Traceback" not in stderr
    first = ids(stdout)
    rest = ids(run(cli, "--once", feeds).stdout)
    everything = ids(run(cli, "--once", "--since", "all", "--no-state", feeds).stdout)
    assert len(first) == 1
    # Lines the pipe took but `head` never read are gone; every later one comes next time.
    assert 0 < len(rest) < len(everything)
    assert rest == everything[-len(rest) :]


def test_a_closed_stdout_is_an_error_not_a_traceback(server: Server, cli: Cli) -> None:
    """Started with fd 1 closed (`>&-`): exit 1 and a message, nothing recorded as written."""
    url = server.respond("/a.rss", statuspage_rss(MANY[:2]))
    feeds = cli.feeds(url)
    result = run(
        cli, "--once", "--since", "all", feeds, stdout=None, preexec_fn=lambda: os.close(1),
        measure=False,
    )  # fmt: skip
    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    assert "cannot write to stdout" in result.err
    assert len(ids(run(cli, "--once", feeds).stdout)) == 2


def test_a_reader_gone_before_the_first_line(server: Server, cli: Cli) -> None:
    """A reader gone before the first line: exit 0, quietly; everything is written next time."""
    url = server.respond("/a.rss", statuspage_rss(MANY))
    read, write = os.pipe()
    os.close(read)
    try:
        result = run(cli, "--once", "--since", "all", cli.feeds(url), stdout=write)
    finally:
        os.close(write)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    assert len(ids(run(cli, "--once", cli.feeds(url)).stdout)) == len(MANY)


def test_head_closing_stdout_is_quiet_and_loses_nothing(server: Server, cli: Cli) -> None:
    """`| head -1` ends with exit 0 and no traceback; what was not written comes next time."""
    many = [
        incident(f"i{n}", f"Incident {n}", ("Resolved", f"2025-11-{n:02d} 10:00", "x" * 10000))
        for n in range(1, 29)
    ]
    url = server.serve("/a.rss", statuspage_rss(many))
    feeds = cli.feeds(url)
    with subprocess.Popen(
        f"'{COMMAND}' --once --since all '{feeds}' | head -1",
        shell=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**cli.env, "SHELLOPTS": "pipefail"},
    ) as pipeline:
        stdout, stderr = pipeline.communicate(timeout=60)
    assert pipeline.returncode == 0, stderr
    assert len(stdout.splitlines()) == 1
    assert "Traceback" not in stderr
    rest = events(cli.run("--once", feeds).stdout)
    assert 0 < len(rest) < 28
    assert rest[-1]["title"] == "Incident 28"
