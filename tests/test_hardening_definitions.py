"""Feed definitions from anyone: only http and https, refused before any request otherwise.

End to end for the schemes (exit 2, nothing fetched); Hypothesis for the loader, which must
answer any text with feeds or a `DefinitionError`, never another exception.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusstream import feeds
from statusstream.errors import DefinitionError
from statusstream.text import has_control
from tests.conftest import Cli
from tests.hostile import (
    HostileServer,
    hostile_server,  # noqa: F401 - the `hostile` fixture
    run,
)

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


def test_only_http_and_https_urls_are_accepted(hostile: HostileServer, cli: Cli) -> None:
    """file://, ftp://, javascript: and friends: exit 2, one message each, no request made."""
    good = hostile.respond("/good.rss", b"<rss/>")
    definitions = cli.feeds(good, *(f"Bad {url}" for url in REFUSED))
    result = run(cli, "--once", definitions)
    assert result.code == 2
    for number, url in enumerate(REFUSED, 2):
        scheme = urlsplit(url).scheme.lower()
        assert f"{definitions}:{number}: unsupported scheme {scheme!r}" in result.err
    assert hostile.requests == []
    assert result.stdout == b""


def test_opml_outlines_get_the_same_check(hostile: HostileServer, cli: Cli) -> None:
    """An OPML file with a file:// outline is refused before any request."""
    good = hostile.respond("/good.rss", b"<rss/>")
    opml = cli.directory / "feeds.opml"
    opml.write_text(
        f'<opml version="2.0"><body><outline xmlUrl="{good}"/>'
        '<outline text="x" xmlUrl="file:///etc/passwd"/></body></opml>'
    )
    result = run(cli, "--once", str(opml))
    assert result.code == 2
    assert f"{opml}:outline 2: unsupported scheme 'file'" in result.err
    assert hostile.requests == []


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


# -- any text --------------------------------------------------------------------------

_SCHEMES = st.sampled_from(["http", "https", "HTTP", "file", "ftp", "javascript", "data", "x-y"])
_HOSTS = st.sampled_from(
    ["status.example.test", "127.0.0.1", "[::1]", "[::1", "", "ex ample", "例え.jp", "a:b@c"]
)
_PORTS = st.sampled_from(["", ":80", ":0", ":99999", ":x", ":"])
_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from("\"'#$\\ "),
    max_size=30,
)


@st.composite
def _urls(draw: st.DrawFn) -> str:
    userinfo = draw(st.sampled_from(["", "user@", "user:pa%40ss@", ":@", "a:b:c@"]))
    return (
        f"{draw(_SCHEMES)}://{userinfo}{draw(_HOSTS)}{draw(_PORTS)}/{draw(_TEXT)}"
        if draw(st.booleans())
        else f"{draw(_SCHEMES)}:{draw(_TEXT)}"
    )


_OPTIONS = st.one_of(
    st.builds(lambda v: f"interval={v}", _TEXT | st.sampled_from(["5m", "1e400", "0", "9" * 400])),
    st.builds(lambda v: f"timeout={v}", _TEXT),
    st.builds(lambda v: f"provider={v}", _TEXT | st.sampled_from(["statuspage", "generic"])),
    st.builds(lambda v: f'header="{v}"', _TEXT | st.sampled_from(["X-A: $HOME", "X-B: ${NOPE}"])),
    st.builds(lambda v: f"header={v}", _TEXT),
    _TEXT,
)
_LINES = st.one_of(
    st.builds(
        lambda name, url, options: " ".join([name, url, *options]),
        _TEXT,
        _urls(),
        st.lists(_OPTIONS, max_size=3),
    ),
    _TEXT,
    st.sampled_from(["# comment", "", "   ", "stripe", "'unclosed", 'a "b c']),
)
_OPML = st.builds(
    lambda declaration, outlines, tail: (
        f"{declaration}<opml><body>"
        + "".join(f'<outline text="{t}" xmlUrl="{u}"/>' for t, u in outlines)
        + tail
    ),
    st.sampled_from(["", '<?xml version="1.0" encoding="UTF-16"?>', "<?xml version='1.0'?>"]),
    st.lists(st.tuples(_TEXT, _urls()), max_size=4),
    st.sampled_from(["</body></opml>", "", "<outline", "&lol;</body></opml>"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINES, max_size=6).map("\n".join) | _OPML | st.text(max_size=200))
def test_any_definitions_text_gives_feeds_or_a_definition_error(text: str) -> None:
    """Whatever the text, `feeds.load` returns clean http(s) feeds or raises DefinitionError."""
    try:
        loaded = feeds.load([("feeds.txt", text)])
    except DefinitionError as exc:
        assert all(line.startswith("feeds.txt:") for line in str(exc).splitlines())
        assert not has_control(str(exc))
        return
    for spec in loaded.feeds:
        parts = urlsplit(spec.url)
        assert parts.scheme.lower() in ("http", "https")
        assert parts.hostname
        assert "@" not in parts.netloc
        assert not has_control(spec.url)
        for _, value in spec.headers:
            assert all(char == "\t" or (char.isascii() and char.isprintable()) for char in value)
