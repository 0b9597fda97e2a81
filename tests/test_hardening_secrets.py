"""Header secrets and URL credentials: sent to the feed's own origin, written nowhere.

"Nowhere" is stdout (with --health, failures are events), stderr (with -v, in both log
formats), the state file, and every error message, also when the request fails.
"""

from __future__ import annotations

import base64

import httpx2
import trio

from statusstream.fetch import fetch
from tests.conftest import Cli
from tests.feedgen import incident, statuspage_rss
from tests.hostile import (
    HostileServer,
    hostile_server,  # noqa: F401 - the `hostile` fixture
    refused_url,
    run,
)

SECRET = "s3cr3t-T0KEN-value"
FEED = statuspage_rss([incident("a", "Down", ("Investigating", "2025-11-03 14:32", "Looking."))])


def assert_nowhere(secret: str, cli: Cli, *outputs: bytes) -> None:
    for output in (*outputs, cli.state.read_bytes()):
        assert secret.encode() not in output
        assert base64.b64encode(secret.encode()) not in output


def test_a_header_secret_goes_to_the_server_and_nowhere_else(
    hostile: HostileServer, cli: Cli
) -> None:
    """X-Token reaches the server; no output, log line or state mentions it, failing or not."""
    other = HostileServer()
    try:
        other.respond("/landing.rss", FEED)
        good = hostile.respond("/good.rss", FEED)
        failing = hostile.respond("/500.rss", b"oops", status=500)
        echoing = hostile.respond("/401.rss", b"", status=401, reason=f"bad {SECRET}".encode())
        hanging = hostile.hang("/hang.rss")
        reset = hostile.reset("/reset.rss")
        away = hostile.redirect("/away.rss", other.url("/landing.rss"))
        urls = [good, failing, echoing, hanging, reset, away, refused_url()]
        feeds = cli.feeds(*(f'{url} header="X-Token: $SECRET"' for url in urls))
        env = {**cli.env, "SECRET": SECRET}
        for log_format in ("text", "json"):
            cli.state.unlink(missing_ok=True)
            result = run(
                cli, "--once", "-v", "--health", "--since", "all", "--timeout", "1s",
                "--log-format", log_format, feeds, env=env,
            )  # fmt: skip
            assert result.code == 1
            assert "Traceback" not in result.err
            assert result.err.count("failing:") == 5
            assert "bad ***" in result.err
            assert_nowhere(SECRET, cli, result.stdout, result.stderr)
        for path in ("/good.rss", "/500.rss", "/401.rss", "/hang.rss", "/reset.rss", "/away.rss"):
            assert {request.headers["x-token"] for request in hostile.hits(path)} == {SECRET}
        landed = other.hits("/landing.rss")
        assert len(landed) == 2
        assert all("x-token" not in request.headers for request in landed)
    finally:
        other.stop()


def test_credentials_in_a_url_are_sent_as_basic_auth_and_hidden(
    hostile: HostileServer, cli: Cli
) -> None:
    """user:password@ in a URL becomes an Authorization header; the feed's URL is without it."""
    good = hostile.respond("/good.rss", FEED)
    failing = hostile.respond("/500.rss", b"oops", status=500)
    with_credentials = [url.replace("//", f"//reader:p%40ss-{SECRET}@") for url in (good, failing)]
    result = run(cli, "--once", "-v", "--health", "--since", "all", cli.feeds(*with_credentials))
    assert result.code == 1
    expected = "Basic " + base64.b64encode(f"reader:p@ss-{SECRET}".encode()).decode()
    assert hostile.hits("/good.rss")[0].headers["authorization"] == expected
    assert hostile.hits("/500.rss")[0].headers["authorization"] == expected
    assert f'"feed":"{good}"'.encode() in result.stdout
    assert_nowhere(SECRET, cli, result.stdout, result.stderr)
    assert b"reader" not in result.stdout + result.stderr + cli.state.read_bytes()


def test_a_bad_header_value_is_refused_without_quoting_it(cli: Cli) -> None:
    """A header value with controls or non-ASCII text is a definition error that hides it."""
    for value in (SECRET + "\x1b[31m", SECRET + "-pässwörd", SECRET + "\x01"):
        feeds = cli.feeds('https://status.example.test/feed.rss header="X-Token: $SECRET"')
        result = run(cli, "--once", "-v", feeds, env={**cli.env, "SECRET": value})
        assert result.code == 2
        assert "feeds.txt:1: header 'X-Token' has a character other than printable ASCII" in (
            result.err
        )
        assert SECRET not in result.err


def test_definition_errors_never_quote_a_header_value(cli: Cli) -> None:
    """Typos around header= (no URL, an unquoted value) are reported without the value."""
    feeds = cli.feeds(
        f'status.example.test/feed.rss header="X-Token: {SECRET}"',
        f"https://status.example.test/feed.rss header=X-Token: {SECRET}",
        f"https://user:{SECRET}@status.example.test:99999/feed.rss",
        f"ftp://user:{SECRET}@status.example.test/feed.rss",
    )
    result = run(cli, "--check", feeds)
    assert result.code == 2
    for number in range(1, 5):
        assert f"error: {feeds}:{number}: " in result.err
    assert SECRET not in result.err


async def test_header_secrets_follow_only_their_origin_or_an_upgrade() -> None:
    """Redirects carry the feed's headers only to its own origin or to https on the same host."""
    redirects = {
        "http://a.test/feed": "https://a.test/feed",
        "https://b.test/feed": "http://b.test/feed",
        "https://c.test/feed": "https://c.test:8443/feed",
        "http://d.test/feed": "https://e.test/feed",
        "https://f.test/feed": "https://f.test/other",
    }
    seen: dict[str, str | None] = {}

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen[str(request.url)] = request.headers.get("x-token")
        if location := redirects.get(str(request.url)):
            return httpx2.Response(301, headers={"Location": location})
        return httpx2.Response(200, content=FEED)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as client:
        with trio.fail_after(10):
            for url in redirects:
                await fetch(client, url, headers={"X-Token": SECRET}, etag=None, last_modified=None)
    assert seen == {
        "http://a.test/feed": SECRET,
        "https://a.test/feed": SECRET,
        "https://b.test/feed": SECRET,
        "http://b.test/feed": None,
        "https://c.test/feed": SECRET,
        "https://c.test:8443/feed": None,
        "http://d.test/feed": SECRET,
        "https://e.test/feed": None,
        "https://f.test/feed": SECRET,
        "https://f.test/other": SECRET,
    }


async def test_a_feed_header_replaces_a_default_whatever_its_case() -> None:
    """`header="user-agent: ..."` sends that User-Agent alone, not beside statusstream's own."""
    seen: list[list[tuple[bytes, bytes]]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.headers.raw)
        return httpx2.Response(200, content=FEED)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as client:
        own = {"user-agent": "MyBot/1.0", "accept-encoding": "identity"}
        await fetch(client, "https://a.test/feed", headers=own, etag='"v1"', last_modified=None)
    [raw] = seen
    names = [name.lower() for name, _ in raw]
    assert names.count(b"user-agent") == names.count(b"accept-encoding") == 1
    assert (b"user-agent", b"MyBot/1.0") in raw
    assert (b"accept-encoding", b"identity") in raw
    assert (b"If-None-Match", b'"v1"') in raw
