"""The installed command, with a state file and a working directory of the test's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.command import Cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)
