"""What the command says about itself: `--help`, `--version`, `--schema`, `python -m`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema

from tests.e2e.command import COMMAND, Cli


def test_schema_option_prints_the_schema(cli: Cli) -> None:
    """`--schema` prints a draft 2020-12 JSON Schema."""
    result = cli.run("--schema")
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"][0] == "id"


def test_python_dash_m_runs(cli: Cli) -> None:
    """`python -m statusstream --version` works."""
    python = Path(COMMAND).with_name("python")
    completed = subprocess.run(
        [str(python), "-m", "statusstream", "--version"], capture_output=True, text=True
    )
    assert completed.returncode == 0
    assert "statusstream" in completed.stdout


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
