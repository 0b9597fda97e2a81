"""Feed definitions from anyone: only http and https, refused before any request otherwise.

A bad definition is `file:line: problem` on stderr and exit 2, with nothing fetched. (That
`feeds.load` answers any text with feeds or a `DefinitionError` is tests/test_feeds.py's.)
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.e2e.command import Cli, run
from tests.feedgen import incident, statuspage_rss
from tests.servers import Server

REFUSED = (
    "file:///etc/passwd",
    "FILE://localhost/etc/passwd",
    "ftp://example.test/feed.rss",
    "javascript:alert(1)",
    "JavaScript:fetch('//evil')",
    "data:application/rss+xml,<rss/>",
    "vbscript:msgbox",
    "gopher://example.test/1",
    "ws://example.test/feed",
    "about:blank",
)
API_DOWN = incident(
    "api1",
    "API errors",
    ("Investigating", "2025-11-03 14:32", "We are looking into API errors."),
    ("Identified", "2025-11-03 14:50", "A bad deploy; rolling back."),
)


def test_only_http_and_https_urls_are_accepted(server: Server, cli: Cli) -> None:
    """file://, ftp://, javascript: and friends: exit 2, one message each, no request made."""
    good = server.respond("/good.rss", b"<rss/>")
    definitions = cli.feeds(good, *(f"Bad {url}" for url in REFUSED))
    result = run(cli, "--once", definitions)
    assert result.code == 2
    for number, url in enumerate(REFUSED, 2):
        scheme = urlsplit(url).scheme.lower()
        assert f"{definitions}:{number}: unsupported scheme {scheme!r}" in result.err
    assert server.requests == []
    assert result.stdout == b""


def test_opml_outlines_get_the_same_check(server: Server, cli: Cli) -> None:
    """An OPML file with a file:// outline is refused before any request."""
    good = server.respond("/good.rss", b"<rss/>")
    opml = cli.directory / "feeds.opml"
    opml.write_text(
        f'<opml version="2.0"><body><outline xmlUrl="{good}"/>'
        '<outline text="x" xmlUrl="file:///etc/passwd"/></body></opml>'
    )
    result = run(cli, "--once", str(opml))
    assert result.code == 2
    assert f"{opml}:outline 2: unsupported scheme 'file'" in result.err
    assert server.requests == []


def test_controls_in_a_url_are_refused(cli: Cli) -> None:
    """A URL with a bidi override or a C1 control is a definition error, not a feed."""
    definitions = cli.feeds(
        "https://status.example.test/\u202efeed.rss", "https://status.example.test/\x9bfeed.rss"
    )
    result = run(cli, "--check", definitions)
    assert result.code == 2
    assert f"{definitions}:1: white space or control characters" in result.err
    assert f"{definitions}:2: white space or control characters" in result.err


def test_a_definitions_file_that_is_not_utf8_is_refused(cli: Cli) -> None:
    """A UTF-16 definitions file: exit 2 with a message naming it."""
    path = cli.directory / "feeds16.txt"
    path.write_bytes("https://status.example.test/feed.rss\n".encode("utf-16"))
    result = run(cli, "--check", str(path))
    assert result.code == 2
    assert f"{path}: not UTF-8 text" in result.err


def test_bad_definition_exits_2_before_any_request(server: Server, cli: Cli) -> None:
    """A bad line: `file:line: problem` on stderr, exit 2, no request made."""
    url = server.serve("/a.rss", statuspage_rss([API_DOWN]))
    feeds = cli.feeds(url, "", "ftp://example.test/feed.rss")
    result = cli.run("--once", feeds)
    assert result.code == 2
    assert f"{feeds}:3: unsupported scheme 'ftp'" in result.stderr
    assert server.requests == []
    assert cli.run("--check", feeds).code == 2
    assert cli.run("--check", cli.feeds(url)).code == 0
