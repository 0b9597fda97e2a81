"""HTTP_PROXY and NO_PROXY as the installed command takes them from the environment."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Cli, FeedServer
from tests.feedgen import incident, statuspage_rss
from tests.hostile import (
    HostileServer,
    hostile_server,  # noqa: F401 - the `hostile` fixture
    run,
)

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
FEED = statuspage_rss(
    [incident("tls1", "Reached", ("Investigating", "2025-11-03 14:32", "Over the wire."))]
)


def clear_proxies(environment: pytest.MonkeyPatch | dict[str, str]) -> None:
    for name in (*PROXY_VARIABLES, *(name.upper() for name in PROXY_VARIABLES)):
        if isinstance(environment, dict):
            environment.pop(name, None)
        else:
            environment.delenv(name, raising=False)


def test_the_command_uses_the_environment_proxy_except_for_no_proxy(
    hostile: HostileServer, server: FeedServer, cli: Cli
) -> None:
    """End to end: HTTP_PROXY carries one feed, and NO_PROXY sends the other direct."""
    clear_proxies(cli.env)
    cli.env.update(HTTP_PROXY=hostile.url(""), NO_PROXY="127.0.0.1")
    hostile.respond("http://status.example/feed.rss", FEED)
    other = [incident("dir1", "Direct", ("Investigating", "2025-11-03 14:40", "No proxy."))]
    direct = server.serve("/direct.rss", statuspage_rss(other))
    feeds = cli.feeds("Proxied http://status.example/feed.rss", f"Direct {direct}")
    result = run(cli, "--once", "--since", "all", feeds, measure=False)
    assert result.code == 0, result.err
    titles = sorted(json.loads(line)["title"] for line in result.out.splitlines())
    assert titles == ["Direct", "Reached"]
    assert [request.path for request in hostile.requests] == ["http://status.example/feed.rss"]
    assert len(server.hits("/direct.rss")) == 1
