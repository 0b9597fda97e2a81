"""What a new user types first: the README's first commands, its cron line, `--version -v`."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.e2e.command import COMMAND, Cli
from tests.feedgen import incident, statuspage_rss
from tests.servers import Server

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOWN = incident("a", "Down", ("Investigating", "2025-11-03 14:32", "Looking."))
FIXED = incident(
    "a",
    "Down",
    ("Investigating", "2025-11-03 14:32", "Looking."),
    ("Resolved", "2025-11-03 15:00", "Fixed."),
)
CRON_PATH = "/usr/bin:/bin"  # the PATH cron gives a job (Debian's, Vixie's and cronie's)


def first_block() -> list[str]:
    """The lines of the README's first shell block."""
    block = re.search(r"```sh\n(.*?)```", README.read_text(), re.DOTALL)
    assert block is not None
    return block[1].splitlines()


def cron_command() -> str:
    """The command of the README's cron line (what follows the five time fields)."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), re.DOTALL)
    [line] = [line for block in blocks for line in block.splitlines() if line.startswith("*/5")]
    return line.split(None, 5)[5]


def test_the_readme_starts_with_a_clone_and_a_virtual_environment() -> None:
    """The first command clones, enters the clone, makes a venv, activates it, installs."""
    install = first_block()[0]
    steps = [step.strip() for step in install.split("&&")]
    assert steps[0].startswith("git clone ")
    assert steps[1:] == [
        "cd statusstream",
        "python3 -m venv .venv",
        ". .venv/bin/activate",
        "pip install -e .",
    ]


def test_the_first_run_shows_the_exit_status_jq_would_hide(server: Server, cli: Cli) -> None:
    """The README's first run, against a feed that fails, prints statusstream's exit 1."""
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (Debian package jq; .ci/run installs it)")
    [run] = [line for line in first_block() if line.startswith("statusstream ")]
    url = re.search(r"https://\S+", run)
    assert url is not None
    command = run.replace(url[0], server.url("/gone.rss")).replace(
        "statusstream", shlex.quote(str(COMMAND)), 1
    )
    completed = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, env=cli.env, timeout=60
    )
    assert completed.stdout.splitlines()[-1] == "exit: 1", completed.stderr


def test_the_cron_line_runs_with_crons_path(server: Server, tmp_path: Path) -> None:
    """The cron line works as written where PATH has no venv: events appended, failures said."""
    home = tmp_path / "home"
    command = cron_command()
    program = command.split()[0]
    assert program.startswith(("/", "~/")), "cron's PATH has no virtual environment"
    installed = Path(program.replace("~", str(home), 1))
    installed.parent.mkdir(parents=True)
    installed.symlink_to(COMMAND)  # where the README's clone would have put it
    url = server.serve("/status.rss", statuspage_rss([DOWN]))
    (home / "feeds.txt").write_text(f"{url}\n")
    env = {"HOME": str(home), "PATH": CRON_PATH, "SHELL": "/bin/sh", "LOGNAME": "cron"}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["/bin/sh", "-c", command], capture_output=True, text=True, env=env, timeout=60
        )

    first = run()
    assert (first.returncode, first.stderr) == (0, "")
    server.serve("/status.rss", statuspage_rss([FIXED]))
    assert run().returncode == 0
    [event] = [json.loads(line) for line in (home / "incidents.jsonl").read_text().splitlines()]
    assert event["status"] == "resolved"
    (home / "feeds.txt").write_text(f"{server.url('/gone.rss')}\n")
    assert "statusstream exit 1" in run().stderr


def test_version_verbose_lists_every_runtime_dependency(cli: Cli) -> None:
    """`--version -v` names each dependency of pyproject.toml (trio-parallel too), and brotli."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [re.split(r"[\[<>=!~; ]", requirement)[0] for requirement in project["dependencies"]]
    shown = cli.run("--version", "-v").stdout
    listed = [line.split()[0] for line in shown.splitlines()[1:]]
    assert set(names) | {"brotli", "python"} <= set(listed)
    assert "(not installed)" not in shown
