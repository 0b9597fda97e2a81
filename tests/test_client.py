"""The HTTP clients of `client.py`: their pools, found and counting what they read."""

from __future__ import annotations

import httpcore2
import pytest

from statusstream import client as http_client
from tests.servers import clear_proxies


@pytest.mark.parametrize("proxy", [None, "http://127.0.0.1:9"], ids=["direct", "HTTP_PROXY"])
def test_every_pool_of_the_client_counts_its_socket_reads(
    monkeypatch: pytest.MonkeyPatch, proxy: str | None
) -> None:
    """`pools` finds the client's pools (so a change in httpx2 fails here), each counting reads."""
    clear_proxies(monkeypatch)
    if proxy is not None:
        monkeypatch.setenv("HTTP_PROXY", proxy)
    found = http_client.pools(http_client.open_client())
    assert len(found) == (2 if proxy else 1)
    assert all(isinstance(pool, httpcore2.AsyncConnectionPool) for pool in found)
    assert all(isinstance(pool._network_backend, http_client._CountingBackend) for pool in found)
