"""Sharding, OPML in and out, the terminal rendering, the progress line, --version."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from statusstream.feeds import in_shard
from tests.conftest import COMMAND, Cli, FeedServer
from tests.feedgen import StatusIncident, incident, statuspage_rss

URLS = [f"https://status{n}.example.test/history.rss" for n in range(300)]
API = StatusIncident(
    "api1",
    "API errors",
    incident("api1", "", ("Investigating", "2025-11-03 14:32", "Looking.")).updates,
    components=("API",),
)


def opml_urls(text: str) -> list[str]:
    return [outline.attrib["xmlUrl"] for outline in ElementTree.fromstring(text).iter("outline")]


def test_shards_split_the_feeds_exactly(cli: Cli) -> None:
    """--shard K/N for K = 1..N: disjoint, together every feed, the same on every run."""
    feeds = cli.feeds(*URLS)
    shards = [
        opml_urls(cli.run("--export-opml", "--shard", f"{k}/3", feeds).stdout) for k in (1, 2, 3)
    ]
    assert sorted(url for shard in shards for url in shard) == sorted(URLS)
    assert all(60 < len(shard) < 140 for shard in shards)
    assert all(in_shard(url, 2, 3) for url in shards[1])
    assert opml_urls(cli.run("--export-opml", "--shard", "2/3", feeds).stdout) == shards[1]


def test_bad_shard_is_a_usage_error(cli: Cli) -> None:
    """--shard 4/3 or 0/3 is refused with exit 2."""
    feeds = cli.feeds(*URLS[:2])
    for value in ("4/3", "0/3", "x", "1/0"):
        result = cli.run("--check", "--shard", value, feeds)
        assert result.code == 2, value
        assert "K/N" in result.stderr


def test_opml_round_trip(cli: Cli, tmp_path: Path) -> None:
    """Definitions -> --export-opml -> read back as OPML -> --export-opml: the same feeds."""
    feeds = cli.feeds('"Example One" https://one.example.test/history.rss', URLS[0])
    exported = cli.run("--export-opml", feeds).stdout
    opml = tmp_path / "feeds.opml"
    opml.write_text(exported)
    again = cli.run("--export-opml", str(opml)).stdout
    assert again == exported
    names = [o.attrib["text"] for o in ElementTree.fromstring(exported).iter("outline")]
    assert names == ["Example One", URLS[0]]


def test_opml_export_keeps_secrets_out(cli: Cli) -> None:
    """Header values never reach the exported OPML."""
    feeds = cli.feeds(f'{URLS[0]} header="Authorization: Bearer s3cret"')
    assert "s3cret" not in cli.run("--export-opml", feeds).stdout


def run_at_terminal(cli: Cli, *args: str) -> tuple[int, str]:
    """Run with stdout and stderr on a pseudo-terminal; returns the exit code and what it showed."""
    primary, secondary = pty.openpty()
    with subprocess.Popen(
        [str(COMMAND), *args],
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=cli.env,
    ) as process:
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the terminal's other side closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = process.wait(timeout=60)
    os.close(primary)
    return code, b"".join(chunks).decode()


def test_terminal_gets_readable_lines(server: FeedServer, cli: Cli) -> None:
    """At a terminal: one readable line per event; --json restores JSON Lines."""
    url = server.serve("/a.rss", statuspage_rss([API], title="Acme Status"))
    feeds = cli.feeds(f"Acme {url}")
    code, shown = run_at_terminal(cli, "--once", "--since", "all", "--no-state", feeds)
    assert code == 0
    assert "2025-11-03 14:32Z  Acme  INVESTIGATING  API errors [API]" in shown
    assert '{"id"' not in shown
    code, shown = run_at_terminal(cli, "--once", "--since", "all", "--no-state", "--json", feeds)
    line = next(line for line in shown.splitlines() if '{"id"' in line)
    assert json.loads(line[line.index("{") :])["title"] == "API errors"


def test_progress_only_at_a_terminal(server: FeedServer, cli: Cli) -> None:
    """A --once run shows done/total on a terminal's stderr, never on a pipe's."""
    urls = [server.serve(f"/{n}.rss", statuspage_rss([API])) for n in range(5)]
    feeds = cli.feeds(*urls)
    _, shown = run_at_terminal(cli, "--once", "--no-state", feeds)
    assert "5/5 feeds" in shown
    piped = cli.run("--once", "--no-state", feeds)
    assert "/5 feeds" not in piped.stderr


def test_version_verbose_lists_dependencies(cli: Cli) -> None:
    """--version prints the version; with -v also trio, httpx2, feedparser, click."""
    assert cli.run("--version").stdout.startswith("statusstream ")
    shown = cli.run("--version", "-v").stdout
    for package in ("trio", "httpx2", "feedparser", "click", "python"):
        assert f"  {package} " in shown


def test_help_has_examples(cli: Cli) -> None:
    """--help shows usage examples."""
    shown = cli.run("--help").stdout
    assert "Examples:" in shown
    assert "statusstream --once feeds.txt | jq ." in shown
