"""`--export-opml` and `--shard`: the feeds written as OPML, read back, and split between runs."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from statusstream.feeds import in_shard
from tests.e2e.command import Cli

URLS = [f"https://status{n}.example.test/history.rss" for n in range(300)]


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
