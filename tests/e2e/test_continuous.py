"""Continuous mode end to end: the installed command, a local server, real signals."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import time

from tests.e2e.command import Cli, wait_for
from tests.feedgen import API_DOWN, API_RESOLVED, DOWN, FIXED, OTHER, statuspage_rss
from tests.servers import Server


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    return stdout, stderr


def test_retry_after_is_honoured(server: Server, cli: Cli) -> None:
    """429 with Retry-After: 3600 gets exactly one request over many intervals."""
    url = server.serve("/a.rss", b"slow down", status=429, headers={"Retry-After": "3600"})
    with cli.popen("--interval", "0.2s", cli.feeds(url)) as process:
        wait_for(lambda: len(server.hits("/a.rss")) >= 1)
        time.sleep(2)  # ten intervals
        _, stderr = stop(process)
    assert len(server.hits("/a.rss")) == 1
    assert stderr.count("HTTP 429") == 1


def test_failing_feed_backs_off(server: Server, cli: Cli) -> None:
    """A feed answering 500 is retried with growing gaps, and reported once on stderr."""
    url = server.serve("/a.rss", b"oops", status=500)
    with cli.popen("--interval", "0.25s", cli.feeds(url)) as process:
        wait_for(lambda: len(server.hits("/a.rss")) >= 4)
        _, stderr = stop(process)
    times = [seen.at for seen in server.hits("/a.rss")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert gaps[1] > gaps[0] * 1.4
    assert gaps[2] > gaps[1] * 1.4
    assert stderr.count("HTTP 500") == 1


def test_health_lines_once_each(server: Server, cli: Cli) -> None:
    """--health: exactly one feed_failing line, then one feed_recovered line when it heals."""
    url = server.serve("/a.rss", b"oops", status=500)
    with cli.popen("--health", "--interval", "0.2s", cli.feeds(f"Flaky {url}")) as process:
        wait_for(lambda: len(server.hits("/a.rss")) >= 3)
        server.serve("/a.rss", statuspage_rss([DOWN]))
        count = len(server.hits("/a.rss"))
        wait_for(lambda: len(server.hits("/a.rss")) >= count + 3)
        stdout, stderr = stop(process)
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert [line["change"] for line in lines] == ["feed_failing", "feed_recovered"]
    failing = lines[0]
    assert failing["source"] == "Flaky"
    assert failing["incident"] is None
    assert failing["status"] is None
    assert "HTTP 500" in failing["title"]
    assert stderr.count("failing") == 1
    assert stderr.count("recovered") == 1


def test_sighup_adds_a_feed(server: Server, cli: Cli) -> None:
    """SIGHUP re-reads the definition file: a feed added to it is polled and emits."""
    first = server.serve("/a.rss", statuspage_rss([DOWN]))
    second = server.serve("/b.rss", statuspage_rss([OTHER], host="other.example.test"))
    feeds = cli.feeds(first)
    with cli.popen("--since", "all", "--interval", "1h", feeds) as process:
        assert process.stdout is not None
        assert json.loads(process.stdout.readline())["title"] == "Down"
        cli.feeds(first, second)
        process.send_signal(signal.SIGHUP)
        event = json.loads(process.stdout.readline())
        stop(process)
    assert event["title"] == "Slow"
    assert len(server.hits("/a.rss")) == 1


def test_sighup_with_a_bad_file_keeps_the_feeds(server: Server, cli: Cli) -> None:
    """A bad definition file on SIGHUP keeps the current feeds and says why."""
    url = server.serve("/a.rss", statuspage_rss([DOWN]))
    feeds = cli.feeds(f"{url} interval=0.3s")
    with cli.popen(feeds) as process:
        wait_for(lambda: len(server.hits("/a.rss")) >= 1)
        cli.feeds("not a url at all")
        process.send_signal(signal.SIGHUP)
        count = len(server.hits("/a.rss"))
        wait_for(lambda: len(server.hits("/a.rss")) >= count + 2)
        _, stderr = stop(process)
    assert "keeping the current 1 feeds" in stderr
    assert "feeds.txt:1: no feed URL" in stderr


def test_kill_9_then_restart_loses_nothing(server: Server, cli: Cli) -> None:
    """After kill -9 a restart re-emits nothing recorded and misses nothing new."""
    url = server.serve("/a.rss", statuspage_rss([DOWN]))
    feeds = cli.feeds(url)
    with cli.popen("--since", "all", "--interval", "1h", feeds) as process:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        wait_for(lambda: cli.state.exists() and url in cli.state.read_text())
        process.kill()
        process.communicate(timeout=30)
    assert first["status"] == "investigating"
    server.serve("/a.rss", statuspage_rss([FIXED]))
    with cli.popen("--interval", "1h", feeds) as process:
        assert process.stdout is not None
        event = json.loads(process.stdout.readline())
        stdout, _ = stop(process)
    assert event["status"] == "resolved"
    assert event["change"] == "update"
    assert stdout == ""


def test_sigterm_in_continuous_mode_saves_and_exits_0(server: Server, cli: Cli) -> None:
    """Continuous mode: events flow, SIGTERM stops promptly with exit 0 and the state saved."""
    url = server.serve("/a.rss", statuspage_rss([API_DOWN]))
    with cli.popen("--since", "all", "--interval", "1h", cli.feeds(url)) as process:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        assert first["status"] == "investigating"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert url in json.loads(cli.state.read_text())["feeds"]
    assert cli.run("--once", cli.feeds(url)).stdout == ""  # everything written was recorded


def test_continuous_mode_polls_each_feed_on_its_timer(server: Server, cli: Cli) -> None:
    """A feed with interval=1s is polled again and its new update emitted while running."""
    url = server.serve("/a.rss", statuspage_rss([API_DOWN]))
    with cli.popen(cli.feeds(f"{url} interval=1s")) as process:
        assert process.stdout is not None
        wait_for(lambda: len(server.hits("/a.rss")) >= 1)
        server.serve("/a.rss", statuspage_rss([API_RESOLVED]))
        event = json.loads(process.stdout.readline())
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert event["status"] == "resolved"
    assert process.returncode == 0
