"""HTTP_PROXY and NO_PROXY as the installed command takes them from the environment."""

from __future__ import annotations

import json

from tests.e2e.command import Cli, run
from tests.feedgen import incident, statuspage_rss
from tests.servers import Server, clear_proxies

FEED = statuspage_rss(
    [incident("tls1", "Reached", ("Investigating", "2025-11-03 14:32", "Over the wire."))]
)


def test_the_command_uses_the_environment_proxy_except_for_no_proxy(
    server: Server, cli: Cli
) -> None:
    """End to end: HTTP_PROXY carries one feed, and NO_PROXY sends the other direct."""
    clear_proxies(cli.env)
    with Server() as proxy:
        cli.env.update(HTTP_PROXY=proxy.url(""), NO_PROXY="127.0.0.1")
        proxy.respond("http://status.example/feed.rss", FEED)
        other = [incident("dir1", "Direct", ("Investigating", "2025-11-03 14:40", "No proxy."))]
        direct = server.serve("/direct.rss", statuspage_rss(other))
        feeds = cli.feeds("Proxied http://status.example/feed.rss", f"Direct {direct}")
        result = run(cli, "--once", "--since", "all", feeds, measure=False)
    assert result.code == 0, result.err
    titles = sorted(json.loads(line)["title"] for line in result.out.splitlines())
    assert titles == ["Direct", "Reached"]
    assert [request.path for request in proxy.requests] == ["http://status.example/feed.rss"]
    assert len(server.hits("/direct.rss")) == 1
