"""The HTTP transports of `client.py`: their pools, found and counting what they read, and
the proxy the environment names for each URL."""

from __future__ import annotations

import httpcore2
import httpx2
import pytest

from statusstream import client as http_client
from tests.servers import clear_proxies


@pytest.mark.parametrize("proxy", [None, "http://127.0.0.1:9"], ids=["direct", "HTTP_PROXY"])
def test_every_pool_counts_its_socket_reads(
    monkeypatch: pytest.MonkeyPatch, proxy: str | None
) -> None:
    """`pools` finds the transport's pool (so a change in httpx2 fails here), counting reads."""
    clear_proxies(monkeypatch)
    if proxy is not None:
        monkeypatch.setenv("HTTP_PROXY", proxy)
    url = httpx2.URL("http://status.example.test/feed.rss")
    found = http_client.pools(http_client.open_transport(proxy=http_client.proxy_for(url)))
    assert len(found) == 1
    assert all(isinstance(pool, httpcore2.AsyncConnectionPool) for pool in found)
    assert all(isinstance(pool._network_backend, http_client._CountingBackend) for pool in found)


@pytest.mark.parametrize(
    ("environment", "url", "expected"),
    [
        ({}, "http://a.test/f", None),
        ({"HTTP_PROXY": "http://p.test:3128"}, "http://a.test/f", "http://p.test:3128"),
        ({"HTTP_PROXY": "http://p.test:3128"}, "https://a.test/f", None),
        ({"HTTPS_PROXY": "p.test:3128"}, "https://a.test/f", "http://p.test:3128"),
        ({"ALL_PROXY": "http://p.test:1"}, "https://a.test/f", "http://p.test:1"),
        ({"HTTP_PROXY": "http://p.test:1", "NO_PROXY": "a.test"}, "http://a.test/f", None),
        ({"HTTP_PROXY": "http://p.test:1", "NO_PROXY": "a.test"}, "http://www.a.test/f", None),
        (
            {"HTTP_PROXY": "http://p.test:1", "NO_PROXY": "b.test"},
            "http://a.test/f",
            "http://p.test:1",
        ),
        ({"HTTP_PROXY": "http://p.test:1", "NO_PROXY": "*"}, "http://a.test/f", None),
    ],
)
def test_the_proxy_for_a_url_is_the_environments(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], url: str, expected: str | None
) -> None:
    """HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY, as curl and httpx2 read them."""
    clear_proxies(monkeypatch)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert http_client.proxy_for(httpx2.URL(url)) == expected
