"""The fixture every kind of test shares: one local HTTP server (tests/servers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import Server


@pytest.fixture
def server() -> Iterator[Server]:
    """A `Server` on 127.0.0.1, stopped after the test."""
    with Server() as running:
        yield running
