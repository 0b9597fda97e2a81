"""Real status-page feeds served over HTTP to the installed command.

They are read from the shared fixtures folder (third-party data, never copied here); the tests
skip, saying why, where it is absent.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

from tests.e2e.command import Cli
from tests.real_feeds import real_feeds
from tests.servers import Server

SNAPSHOTS = ["2020-01-05", "2020-01-11", "2020-01-21", "2020-01-23T0200", "2020-01-23T2139"]
_HEADER = re.compile(r"<small>(.*?)</small><br><strong>(.*?)</strong>", re.DOTALL)
_WHEN = re.compile(r"([A-Z][a-z]{2})\s+(\d+),\s+(\d\d:\d\d)")


def headers(path: Path) -> Counter[tuple[str, str, str]]:
    """(incident link, label, 'Mon D HH:MM') of every update, read straight from the XML."""
    found: Counter[tuple[str, str, str]] = Counter()
    for item in ElementTree.parse(path).getroot().iter("item"):
        link = item.findtext("link") or ""
        for small, label in _HEADER.findall(item.findtext("description") or ""):
            match = _WHEN.search(re.sub(r"<[^>]+>", "", small))
            assert match is not None
            found[(link, label.lower().replace(" ", "_"), " ".join(match.groups()))] += 1
    return found


def as_header(event: dict[str, str]) -> tuple[str, str, str]:
    month_day_time = re.match(r"\d{4}-(\d\d)-(\d\d)T(\d\d:\d\d)", event["time"])
    assert month_day_time is not None
    month, day, clock = month_day_time.groups()
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return (event["link"], event["status"], f"{months[int(month) - 1]} {int(day)} {clock}")


def test_digitalocean_polling_sequence(server: Server, cli: Cli) -> None:
    """Five real snapshots served in turn: each run emits exactly the updates its snapshot adds."""
    real_fixtures = real_feeds()
    feeds = cli.feeds(f"DigitalOcean {server.url('/history.rss')}")
    previous: Counter[tuple[str, str, str]] | None = None
    for snapshot in SNAPSHOTS:
        path = real_fixtures / f"statuspage-digitalocean-{snapshot}.rss"
        server.serve("/history.rss", path.read_bytes())
        result = cli.run("--once", feeds)
        assert result.code == 0, result.stderr
        events = [json.loads(line) for line in result.stdout.splitlines()]
        current = headers(path)
        if previous is None:
            assert events == []
        else:
            assert Counter(as_header(event) for event in events) == current - previous, snapshot
            new_incidents = {link for link, _, _ in current} - {link for link, _, _ in previous}
            firsts = {event["link"] for event in events if event["change"] == "new"}
            assert firsts == new_incidents
        previous = current
    assert cli.run("--once", feeds).stdout == ""


def test_rss_and_atom_twins_give_the_same_events(server: Server, cli: Cli) -> None:
    """A page's RSS and Atom feeds of one moment yield identical events (but `feed`, `observed`)."""
    real_fixtures = real_feeds()
    for stem in ("githubstatus-2026-02-05", "claude-2026-02-04", "streamyard-2024-06"):
        outputs = []
        for extension in ("rss", "atom"):
            body = (real_fixtures / f"statuspage-{stem}.{extension}").read_bytes()
            url = server.serve(f"/{stem}.{extension}", body)
            result = cli.run("--once", "--since", "all", "--no-state", cli.feeds(f"Page {url}"))
            assert result.code == 0, result.stderr
            events = [json.loads(line) for line in result.stdout.splitlines()]
            for event in events:
                del event["feed"], event["observed"]
            outputs.append(events)
        assert outputs[0] == outputs[1], stem
        assert len(outputs[0]) > 40


def test_every_real_feed_polls_cleanly(server: Server, cli: Cli) -> None:
    """Every real fixture, served at once: exit 0, events for each, no warning, no traceback."""
    real_fixtures = real_feeds()
    lines = []
    for path in sorted(real_fixtures.glob("*.*")):
        if path.suffix in (".rss", ".atom"):
            lines.append(f"{path.name} {server.serve('/' + path.name, path.read_bytes())}")
    result = cli.run("--once", "--since", "all", "--no-state", cli.feeds(*lines))
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "warning" not in result.stderr
    sources = {json.loads(line)["source"] for line in result.stdout.splitlines()}
    assert len(sources) == len(lines)
