"""The README's recipes, run (or, for configs of tools not installed here, parsed) as written."""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.e2e.command import COMMAND, Cli
from tests.feedgen import StatusIncident, incident, statuspage_rss
from tests.servers import Server

README = Path(__file__).resolve().parents[2] / "README.md"

OPEN_API = StatusIncident(
    "open1",
    "API errors",
    incident("open1", "", ("Investigating", "2025-11-03 14:32", "Looking into it.")).updates,
    components=("API", "Billing"),
)
CLOSED_WEB = incident(
    "web1",
    "Website slow",
    ("Investigating", "2025-11-02 09:00", "Slow pages."),
    ("Resolved", "2025-11-02 10:00", "Fast again."),
)


def blocks(language: str) -> list[str]:
    """The README's fenced code blocks in `language`."""
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.DOTALL)


def block_containing(language: str, text: str) -> str:
    [found] = [block for block in blocks(language) if text in block]
    return found


def run_recipe(recipe: str, cli: Cli, feeds: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a README shell recipe with `statusstream feeds.txt` as a one-shot run of all updates."""
    command = recipe.replace("\\\n", " ").strip()
    command = command.replace(
        "statusstream feeds.txt", f"'{COMMAND}' --once --since all -q '{feeds}'"
    )
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        capture_output=True,
        text=True,
        env={**cli.env, **env},
        timeout=60,
    )


@pytest.fixture
def feeds(server: Server, cli: Cli) -> str:
    url = server.serve("/status.rss", statuspage_rss([OPEN_API, CLOSED_WEB], title="Acme Status"))
    return cli.feeds(f"Acme {url}")


@pytest.fixture(autouse=True)
def _jq() -> None:
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (Debian package jq; .ci/run installs it)")


def test_jq_only_open(cli: Cli, feeds: str) -> None:
    """The 'only what is still open' filter drops the resolved update and keeps the open ones."""
    result = run_recipe(block_containing("sh", "inside("), cli, feeds)
    assert result.returncode == 0, result.stderr
    statuses = [json.loads(line)["status"] for line in result.stdout.splitlines()]
    assert statuses == ["investigating", "investigating"]


def test_jq_one_component(cli: Cli, feeds: str) -> None:
    """The component filter keeps only events that list API."""
    result = run_recipe(block_containing("sh", "any(.components[]"), cli, feeds)
    assert result.returncode == 0, result.stderr
    titles = [json.loads(line)["title"] for line in result.stdout.splitlines()]
    assert titles == ["API errors"]


def test_jq_summary(cli: Cli, feeds: str) -> None:
    """The one-line summary prints time, source, status and title."""
    result = run_recipe(block_containing("sh", "jq -r"), cli, feeds)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "2025-11-02T09:00:00Z Acme: [investigating] Website slow",
        "2025-11-02T10:00:00Z Acme: [resolved] Website slow",
        "2025-11-03T14:32:00Z Acme: [investigating] API errors",
    ]


def test_slack_webhook(server: Server, cli: Cli, feeds: str) -> None:
    """The Slack recipe POSTs one JSON payload with a text per event."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed (Debian package curl)")
    recipe = block_containing("sh", "SLACK_WEBHOOK_URL")
    result = run_recipe(recipe, cli, feeds, SLACK_WEBHOOK_URL=server.url("/hook"))
    assert result.returncode == 0, result.stderr
    payloads = [json.loads(body) for body in server.posts]
    assert len(payloads) == 3
    assert payloads[-1]["text"].startswith("Acme: *investigating* API errors\nhttps://")


def test_cron_line(server: Server, cli: Cli, tmp_path: Path) -> None:
    """The cron command appends JSON lines to a file and exits 0; 1 when a feed fails."""
    [line] = [line for line in block_containing("sh", "*/5").splitlines() if line.startswith("*/5")]
    command = line.split(None, 5)[5].replace(
        "~/statusstream/.venv/bin/statusstream", f"'{COMMAND}'", 1
    )
    home = tmp_path / "home"
    home.mkdir()
    url = server.serve("/status.rss", statuspage_rss([CLOSED_WEB]))
    (home / "feeds.txt").write_text(f"{url}\n")
    env = {**cli.env, "HOME": str(home)}
    first = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    server.serve("/status.rss", statuspage_rss([OPEN_API, CLOSED_WEB]))
    subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env)
    [event] = [json.loads(line) for line in (home / "incidents.jsonl").read_text().splitlines()]
    assert event["title"] == "API errors"
    (home / "feeds.txt").write_text(f"{server.url('/gone.rss')}\n")
    failed = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env)
    assert "statusstream exit 1" in failed.stderr


def test_vector_config() -> None:
    """The Vector config parses and de-duplicates on `id` from a JSON stdin source."""
    config = tomllib.loads(block_containing("toml", "dedupe"))
    assert config["sources"]["status"] == {"type": "stdin", "decoding": {"codec": "json"}}
    assert config["transforms"]["unique"]["fields"]["match"] == ["id"]
    assert config["sinks"]["out"]["inputs"] == ["unique"]


def test_kafka_config() -> None:
    """The sharding recipe's Vector config sends to one Kafka topic keyed by `id`."""
    config = tomllib.loads(block_containing("toml", "kafka"))
    sink = config["sinks"]["kafka"]
    assert sink["type"] == "kafka"
    assert sink["key_field"] == "id"
    assert sink["inputs"] == ["status"]


def test_fluent_bit_config() -> None:
    """The Fluent Bit config reads JSON from stdin and prints it."""
    text = block_containing("ini", "[INPUT]")
    sections = {
        name: dict(line.split(None, 1) for line in body.strip().splitlines())
        for name, body in re.findall(r"\[(\w+)\]\n((?:[ \t]+\S.*\n)+)", text)
    }
    assert sections["INPUT"] == {"Name": "stdin", "Tag": "status", "Parser": "json"}
    assert sections["OUTPUT"]["Match"] == sections["INPUT"]["Tag"]
    assert set(sections) == {"SERVICE", "INPUT", "OUTPUT"}


def test_systemd_unit(tmp_path: Path) -> None:
    """The unit restarts on failure, keeps state under StateDirectory=, and verifies."""
    text = block_containing("ini", "[Service]")
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(text)
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert service["StateDirectory"] == "statusstream"
    assert "--state ${STATE_DIRECTORY}/state.json" in service["ExecStart"]
    if shutil.which("systemd-analyze") is None:
        return
    path = tmp_path / "statusstream.service"
    path.write_text(text.replace("/usr/local/bin/statusstream", str(COMMAND)))
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True
    )
    problems = [line for line in verified.stderr.splitlines() if "statusstream.service" in line]
    assert problems == [], verified.stderr
