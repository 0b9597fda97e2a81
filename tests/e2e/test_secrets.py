"""Header secrets and URL credentials: sent to the feed's own origin, written nowhere.

"Nowhere" is stdout (with --health, failures are events), stderr (with -v, in both log
formats), the state file, and every error message, also when the request fails.
"""

from __future__ import annotations

import base64

from tests.e2e.command import Cli, run
from tests.feedgen import incident, statuspage_rss
from tests.servers import Server, refused_url

SECRET = "s3cr3t-T0KEN-value"
FEED = statuspage_rss([incident("a", "Down", ("Investigating", "2025-11-03 14:32", "Looking."))])


def assert_nowhere(secret: str, cli: Cli, *outputs: bytes) -> None:
    for output in (*outputs, cli.state.read_bytes()):
        assert secret.encode() not in output
        assert base64.b64encode(secret.encode()) not in output


def test_a_header_secret_goes_to_the_server_and_nowhere_else(server: Server, cli: Cli) -> None:
    """X-Token reaches the server; no output, log line or state mentions it, failing or not."""
    other = Server()
    try:
        other.respond("/landing.rss", FEED)
        good = server.respond("/good.rss", FEED)
        failing = server.respond("/500.rss", b"oops", status=500)
        echoing = server.respond("/401.rss", b"", status=401, reason=f"bad {SECRET}".encode())
        hanging = server.hang("/hang.rss")
        reset = server.reset("/reset.rss")
        away = server.redirect("/away.rss", other.url("/landing.rss"))
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
            assert {request.headers["x-token"] for request in server.hits(path)} == {SECRET}
        landed = other.hits("/landing.rss")
        assert len(landed) == 2
        assert all("x-token" not in request.headers for request in landed)
    finally:
        other.stop()


def test_credentials_in_a_url_are_sent_as_basic_auth_and_hidden(server: Server, cli: Cli) -> None:
    """user:password@ in a URL becomes an Authorization header; the feed's URL is without it."""
    good = server.respond("/good.rss", FEED)
    failing = server.respond("/500.rss", b"oops", status=500)
    with_credentials = [url.replace("//", f"//reader:p%40ss-{SECRET}@") for url in (good, failing)]
    result = run(cli, "--once", "-v", "--health", "--since", "all", cli.feeds(*with_credentials))
    assert result.code == 1
    expected = "Basic " + base64.b64encode(f"reader:p@ss-{SECRET}".encode()).decode()
    assert server.hits("/good.rss")[0].headers["authorization"] == expected
    assert server.hits("/500.rss")[0].headers["authorization"] == expected
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
