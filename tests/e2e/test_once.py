"""`--once` end to end: the baseline, conditional GETs, what is new, `--since`, failures, logs."""

from __future__ import annotations

import json
import time

import jsonschema

from statusstream.events import json_schema
from tests.e2e.command import Cli
from tests.feedgen import API_DOWN, API_RESOLVED, incident, statuspage_rss
from tests.servers import Server

OLD = incident("old1", "Old outage", ("Resolved", "2025-10-01 09:00", "Fixed long ago."))
SCHEMA = jsonschema.Draft202012Validator(json_schema())


def events(result_stdout: str) -> list[dict[str, object]]:
    parsed = [json.loads(line) for line in result_stdout.splitlines()]
    for event in parsed:
        SCHEMA.validate(event)
    return parsed


def test_first_run_is_a_silent_baseline(server: Server, cli: Cli) -> None:
    """The first sight of a feed emits nothing and says how many incidents it recorded."""
    url = server.serve("/a.rss", statuspage_rss([API_DOWN, OLD]))
    result = cli.run("--once", cli.feeds(f"Example {url}"))
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    assert "2 incidents recorded as the baseline" in result.stderr
    assert "1 feed polled: 0 not modified, 1 changed, 0 failed; 0 events written" in result.stderr


def test_second_run_sends_validators_and_gets_304(server: Server, cli: Cli) -> None:
    """Stored ETag and Last-Modified go back exactly as received; a 304 emits nothing."""
    url = server.serve("/a.rss", statuspage_rss([API_DOWN]))
    feeds = cli.feeds(url)
    cli.run("--once", feeds)
    first = server.hits("/a.rss")[0]
    assert "if-none-match" not in first.headers
    assert first.headers["user-agent"].startswith("statusstream/")
    result = cli.run("--once", feeds)
    assert result.code == 0
    assert result.stdout == ""
    second = server.hits("/a.rss")[1]
    assert second.headers["if-none-match"].startswith('"')
    assert second.headers["if-modified-since"].endswith("GMT")
    assert "1 not modified" in result.stderr


def test_new_updates_are_emitted_exactly_once(server: Server, cli: Cli) -> None:
    """An update added between runs is emitted once, as an `update` of its incident."""
    url = server.serve("/a.rss", statuspage_rss([API_DOWN]))
    feeds = cli.feeds(f"Example {url}")
    cli.run("--once", feeds)
    server.serve("/a.rss", statuspage_rss([API_RESOLVED]))
    result = cli.run("--once", feeds)
    assert result.code == 0, result.stderr
    [event] = events(result.stdout)
    assert event["status"] == "resolved"
    assert event["change"] == "update"
    assert event["time"] == "2025-11-03T15:10:00Z"
    assert event["published"] == "2025-11-03T14:32:00Z"
    assert event["message"] == "All good."
    assert event["source"] == "Example"
    assert event["incident"] == "https://status.example.test/incidents/api1"
    assert cli.run("--once", feeds).stdout == ""
    server.serve("/a.rss", statuspage_rss([API_RESOLVED]) + b"\n")  # same content, new bytes
    assert cli.run("--once", feeds).stdout == ""


def test_a_new_incident_is_new_then_updates(server: Server, cli: Cli) -> None:
    """A new incident's updates come oldest first, the first `new`, the rest `update`."""
    url = server.serve("/a.rss", statuspage_rss([OLD]))
    feeds = cli.feeds(url)
    cli.run("--once", feeds)
    server.serve("/a.rss", statuspage_rss([API_RESOLVED, OLD]))
    found = events(cli.run("--once", feeds).stdout)
    assert [(e["status"], e["change"]) for e in found] == [
        ("investigating", "new"),
        ("identified", "update"),
        ("resolved", "update"),
    ]
    assert found[0]["source"] == "Example Status"  # the feed's own title
    assert len({e["id"] for e in found}) == 3


def test_since_all_emits_everything_on_first_sight(server: Server, cli: Cli) -> None:
    """`--since all` emits every update of a new feed, with keys in the SPEC order."""
    url = server.serve("/a.rss", statuspage_rss([API_RESOLVED, OLD]))
    result = cli.run("--once", "--since", "all", cli.feeds(url))
    found = events(result.stdout)
    assert len(found) == 4
    assert list(found[0]) == [
        "id", "source", "feed", "provider", "incident", "title", "link", "kind", "change",
        "status", "message", "components", "time", "published", "observed",
    ]  # fmt: skip
    assert [e["time"] for e in found] == sorted(e["time"] for e in found)
    assert found[0]["provider"] == "statuspage"


def test_since_duration_uses_each_updates_own_time(server: Server, cli: Cli) -> None:
    """`--since 30d` on first sight emits only the updates of the last 30 days."""
    recent = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() - 86400))
    fresh = incident("new1", "Fresh", ("Investigating", recent, "Just now."))
    url = server.serve("/a.rss", statuspage_rss([fresh, OLD]))
    found = events(cli.run("--once", "--since", "30d", cli.feeds(url)).stdout)
    assert [(e["title"], e["change"]) for e in found] == [("Fresh", "new")]


def test_definitions_from_stdin(server: Server, cli: Cli) -> None:
    """Definitions piped on stdin (no argument, and `-`) are read."""
    url = server.serve("/a.rss", statuspage_rss([API_DOWN]))
    result = cli.run("--once", "--since", "all", input=f"Piped {url}\n")
    assert {e["source"] for e in events(result.stdout)} == {"Piped"}
    cli.state.unlink()
    result = cli.run("--once", "--since", "all", "-", input=f"Dash {url}\n")
    assert {e["source"] for e in events(result.stdout)} == {"Dash"}


def test_partial_failure_exits_1_and_keeps_the_rest(server: Server, cli: Cli) -> None:
    """One failing feed: exit 1, the other feed's events written, state saved."""
    good = server.serve("/good.rss", statuspage_rss([API_DOWN]))
    missing = server.url("/missing.rss")
    result = cli.run("--once", "--since", "all", cli.feeds(good, missing))
    assert result.code == 1
    assert len(events(result.stdout)) == 2
    assert "HTTP 404" in result.stderr
    assert "1 failed" in result.stderr
    assert "Traceback" not in result.stderr
    assert good in json.loads(cli.state.read_text())["feeds"]


def test_json_log_format(server: Server, cli: Cli) -> None:
    """`--log-format json`: every stderr line is a JSON object with level, feed and message."""
    good = server.serve("/good.rss", statuspage_rss([API_DOWN]))
    result = cli.run("--once", "--log-format", "json", cli.feeds(f"Good {good}", server.url("/x")))
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert {record["level"] for record in records} == {"info", "error"}
    assert all(list(record) == ["level", "feed", "message"] for record in records)
    failing = next(record for record in records if record["level"] == "error")
    assert "HTTP 404" in failing["message"]
    assert failing["feed"] == server.url("/x")
