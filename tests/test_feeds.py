"""Feed definitions (SPEC §2): text lines and OPML -> `FeedSpec`, every problem reported."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusstream import feeds, providers
from statusstream.errors import DefinitionError, UsageError
from statusstream.feeds import Definitions, FeedSpec, load, parse_line
from statusstream.text import has_control
from tests.definitions_helpers import one, problem, specs

SECRET = "s3cr3t-T0KEN"


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TOKEN", SECRET)
    return SECRET


# -- names and URLs --------------------------------------------------------------------------


def test_a_bare_url() -> None:
    """A line with only a URL is a feed without a name (the feed's title names it later)."""
    spec = one("https://www.githubstatus.com/history.rss")
    assert spec == FeedSpec(url="https://www.githubstatus.com/history.rss", origin="feeds.txt:1")
    assert spec.name is None


def test_unquoted_multi_word_name() -> None:
    """Every word before the URL makes up the name."""
    assert one("Open AI  Platform https://status.openai.com/feed.rss").name == "Open AI Platform"


@pytest.mark.parametrize("quote", ['"', "'"])
def test_quoted_name(quote: str) -> None:
    """A quoted name keeps its inner spaces and may hold `#` and the other quote."""
    other = "'" if quote == '"' else '"'
    line = (
        f"{quote}Google  Cloud #1 {other}x{other}{quote} https://status.cloud.google.com/feed.atom"
    )
    assert one(line).name == f"Google Cloud #1 {other}x{other}"


def test_name_is_cleaned() -> None:
    """Control characters in a name are dropped and its white space folded."""
    assert one('"Acme\x1b[2J\tStatus" https://a.test/feed').name == "Acme [2J Status"


def test_url_is_kept_as_written() -> None:
    """The URL is the feed's id: kept exactly, query and upper case included."""
    url = "HTTPS://Status.Example.test:8443/Feed.rss?lang=en&x=%20"
    assert one(url).url == url


def test_origin_names_file_and_line() -> None:
    """Each spec knows the file and line that defined it."""
    found = specs("# header\n\nhttps://a.test/1\n  \nhttps://a.test/2\n", origin="my feeds.txt")
    assert [spec.origin for spec in found] == ["my feeds.txt:3", "my feeds.txt:5"]


# -- comments and blank lines ----------------------------------------------------------------


def test_comments_and_blank_lines_are_ignored() -> None:
    """Whole-line comments (also indented), blank and white-space lines define nothing."""
    text = "# comment\n   # indented\n\n \t \n#https://a.test/commented-out\n"
    assert load([("feeds.txt", text)]) == Definitions(feeds=(), warnings=())


def test_trailing_comment_is_cut() -> None:
    """A `#` that starts a word after the definition begins a comment."""
    spec = one("GitHub https://www.githubstatus.com/history.rss interval=5m  # every 5 minutes")
    assert (spec.name, spec.interval) == ("GitHub", 300.0)


def test_hash_in_a_url_fragment_stays() -> None:
    """A `#` inside a word (a URL fragment) is not a comment."""
    assert one("https://a.test/feed#section # a comment").url == "https://a.test/feed#section"


def test_hash_inside_quotes_stays() -> None:
    """A `#` inside quotes is not a comment, even after a space."""
    assert one('"Team #2 status" https://a.test/feed').name == "Team #2 status"


def test_escaped_quote_does_not_hide_a_comment() -> None:
    """A backslash-escaped quote opens no quote, so a trailing comment is still cut."""
    assert one("Bob\\'s https://a.test/feed # comment").name == "Bob's"
    assert one('"Say \\"hi\\"" https://a.test/feed # comment').name == 'Say "hi"'


def test_escaped_space_before_a_hash_is_not_a_comment() -> None:
    """`A\\ #1` is one word, so its `#` starts no comment."""
    assert one("A\\ #1 https://a.test/feed").name == "A #1"


def test_crlf_line_endings() -> None:
    """Windows line endings are line endings."""
    found = specs("A https://a.test/1\r\nB https://a.test/2\r\n")
    assert [(spec.name, spec.url) for spec in found] == [
        ("A", "https://a.test/1"),
        ("B", "https://a.test/2"),
    ]


def test_utf8_bom_is_ignored() -> None:
    """A byte order mark at the start of a text (or of a concatenated file) is not part of it."""
    found = specs("\ufeffhttps://a.test/1\n\ufeff# second file\n\ufeffhttps://a.test/2\n")
    assert [spec.url for spec in found] == ["https://a.test/1", "https://a.test/2"]


def test_non_ascii_name() -> None:
    """Names may be any Unicode text."""
    assert one("Störungen 障害 https://a.test/feed").name == "Störungen 障害"


# -- options ---------------------------------------------------------------------------------


def test_interval_and_timeout() -> None:
    """interval= and timeout= take durations, in seconds."""
    spec = one("https://a.test/feed interval=5m timeout=10")
    assert (spec.interval, spec.timeout) == (300.0, 10.0)


def test_provider_option() -> None:
    """provider= forces one of the known providers."""
    for name in providers.NAMES:
        assert one(f"https://a.test/feed provider={name}").provider == name


def test_header_option(token: str) -> None:
    """header= takes `Name: value`, trimmed around the value."""
    spec = one('https://a.test/feed header="X-Api-Key:   abc 123  "')
    assert spec.headers == (("X-Api-Key", "abc 123"),)


def test_repeated_headers_are_all_kept_in_order() -> None:
    """header= may be given more than once; all are kept, in order."""
    spec = one("https://a.test/feed header='A: 1' header='B: 2' header='A: 3'")
    assert spec.headers == (("A", "1"), ("B", "2"), ("A", "3"))


@pytest.mark.parametrize(
    "value",
    ["Bearer $TOKEN", "Bearer ${TOKEN}", "Bearer ${TOKEN}x", "Bearer $TOKEN-x"],
)
def test_header_variables_are_expanded(token: str, value: str) -> None:
    """`$VAR` and `${VAR}` in a header value come from the environment."""
    [(name, expanded)] = one(f'https://a.test/feed header="Authorization: {value}"').headers
    assert name == "Authorization"
    assert expanded == value.replace("${TOKEN}", token).replace("$TOKEN", token)


def test_variable_in_single_quotes_is_expanded_too(token: str) -> None:
    """Expansion is statusstream's, not a shell's: single quotes expand as well."""
    assert one("https://a.test/feed header='X-Token: $TOKEN'").headers == (("X-Token", token),)


def test_unset_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A header using an unset variable is an error naming the header and the variable."""
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    message = problem('https://a.test/feed header="Authorization: Bearer ${NOT_SET_ANYWHERE}"')
    assert message == (
        "feeds.txt:1: header 'Authorization' uses $NOT_SET_ANYWHERE, which is not set"
    )


def test_header_secrets_are_not_in_the_repr(token: str) -> None:
    """A FeedSpec's repr (and so any log of it) never shows its headers."""
    definitions = load([("feeds.txt", 'Internal https://a.test/feed header="X-Token: $TOKEN"\n')])
    assert definitions.feeds[0].headers == (("X-Token", token),)
    assert token not in repr(definitions)
    assert token not in str(definitions.feeds[0])


@pytest.mark.parametrize(
    "line",
    [
        f'Internal header="Authorization: Bearer {SECRET}"',
        f"status.example.test/feed.rss header=Authorization:{SECRET}",
        f"https://a.test/feed header=Authorization: Bearer {SECRET}",
        f"https://a.test/feed header=Authorization:Bearer {SECRET}==",
        f"https://a.test/feed header=Authorization:Bearer {SECRET}=",
        f'https://a.test/feed header="X-Token: {SECRET}" header="{SECRET}"',
        f'https://a.test/feed header="X-Token {SECRET}"',
        f'https://a.test/feed header="X-Token: {SECRET}\\r\\nX: y" interval=x',
        f'https://a.test/feed header="X-Token: {SECRET}" bogus',
        f'https://a.test/feed header="Bad Name: {SECRET}"',
        f'https://a.test/feed header="X-Token: {SECRET}" unterminated="',
        f'header="X-Token: {SECRET}" https://a.test/feed',
        f'Name header="X-Token: {SECRET}" ftp://a.test/feed',
    ],
)
def test_header_values_never_appear_in_errors(line: str) -> None:
    """Whatever is wrong around header=, the error never quotes the header value."""
    message = problem(line)
    assert SECRET not in message


def test_header_value_from_a_variable_never_appears(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad expanded value (a line break) is reported without the value."""
    monkeypatch.setenv("TOKEN", f"{SECRET}\nInjected: 1")
    message = problem('https://a.test/feed header="X-Token: $TOKEN"')
    assert message == "feeds.txt:1: header 'X-Token' has a line break in its value"


def test_options_before_the_url_are_an_error() -> None:
    """`header=` (or another option) before the URL is refused, not taken as part of the name."""
    message = problem(f'header="X-Token: {SECRET}" https://a.test/feed')
    assert "before the URL" in message
    assert "before the URL" in problem("interval=5m https://a.test/feed")


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Nonexistent", "no feed URL in 'Nonexistent'"),
        ("www.githubstatus.com/history.rss", "no feed URL in"),
        ("file:///etc/passwd", "unsupported scheme 'file' in 'file:///etc/passwd'"),
        ("ftp://ftp.example.test/feed", "unsupported scheme 'ftp'"),
        ("javascript:alert(1)", "unsupported scheme 'javascript'"),
        ("data:text/xml,<rss/>", "unsupported scheme 'data'"),
        ("gopher://a.test/", "unsupported scheme 'gopher'"),
        ("https:///path/only", "no host in 'https:///path/only'"),
        ("http://:80/feed", "no host"),
        ("https://a.test:99999/feed", "bad port in 'https://a.test:99999/feed'"),
        ("https://a.test:http/feed", "bad port"),
        ("https://a.test:0/feed", "bad port"),
        ("https://[::1/feed", "https://[::1/feed"),
        ("https://a.test/feed bogus", "unexpected 'bogus' after the URL (options are key=value)"),
        ("https://a.test/feed every=5m", "unknown option 'every' (known: interval, timeout,"),
        ("https://a.test/feed Interval=5m", "unknown option 'Interval'"),
        ("https://a.test/feed interval=soon", "invalid duration 'soon'"),
        ("https://a.test/feed interval=0", "invalid duration '0': must be more than zero"),
        ("https://a.test/feed timeout=-1s", "invalid duration '-1s'"),
        ("https://a.test/feed interval=", "invalid duration ''"),
        ('"Google Cloud https://a.test/feed', "cannot split the line: No closing quotation"),
        ("https://a.test/feed provider=nope", "unknown provider 'nope' (known: statuspage,"),
        ("https://a.test/feed header=no-colon", "header= needs 'Name: value'"),
        ("https://a.test/feed header=': v'", "header= needs 'Name: value'"),
        ("https://a.test/fe\x1bed", "white space or control characters"),
        ("https://a.test/fe\x9bed", "white space or control characters"),
        ("https://a.test/\u202efeed", "white space or control characters"),
    ],
)
def test_each_error_names_file_line_and_problem(line: str, expected: str) -> None:
    """Each kind of bad line is one `file:line: message` problem saying what is wrong."""
    message = problem(f"# first line\n{line}")
    assert message.startswith("feeds.txt:2: ")
    assert expected in message


def test_errors_are_usage_errors_with_exit_code_2() -> None:
    """A DefinitionError is a UsageError: exit code 2."""
    with pytest.raises(UsageError) as caught:
        load([("feeds.txt", "nonsense\n")])
    assert caught.value.exit_code == 2


def test_error_messages_are_one_clean_line() -> None:
    """Controls in a bad line are not echoed raw into the message."""
    message = problem("Bad\x1b]0;title\x07Name")
    assert "\x1b" not in message and "\x07" not in message


def test_all_problems_of_all_files_are_reported_together() -> None:
    """Every bad line of every file is listed, in order, not just the first."""
    first = "ok https://a.test/1\nbad-one\nftp://a.test/\nok https://a.test/2\n"
    second = "https://a.test/3 interval=never\n"
    with pytest.raises(DefinitionError) as caught:
        load([("a.txt", first), ("b.txt", second)])
    lines = str(caught.value).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == ["a.txt:2", "a.txt:3", "b.txt:1"]


def test_parse_line_returns_none_for_nothing() -> None:
    """`parse_line` gives None for blank and comment lines, a spec for a feed line."""
    assert parse_line("") is None
    assert parse_line("   # just a comment") is None
    assert parse_line("https://a.test/feed", "x:1") == FeedSpec(
        url="https://a.test/feed", origin="x:1"
    )


def test_parse_line_raises_value_error() -> None:
    """`parse_line` signals a bad line with ValueError (the caller adds `file:line`)."""
    with pytest.raises(ValueError, match="unsupported scheme"):
        parse_line("ftp://a.test/")


# -- duplicates ------------------------------------------------------------------------------


def test_duplicate_url_is_one_feed_and_a_warning() -> None:
    """The same URL twice: the first definition is used, and a warning names both lines."""
    definitions = load(
        [("feeds.txt", "First https://a.test/feed\nhttps://b.test/\nSecond https://a.test/feed\n")]
    )
    assert [(spec.name, spec.url) for spec in definitions.feeds] == [
        ("First", "https://a.test/feed"),
        (None, "https://b.test/"),
    ]
    [warning] = definitions.warnings
    assert (
        warning
        == "feeds.txt:3: https://a.test/feed is already defined at feeds.txt:1; using that one"
    )


def test_duplicates_across_files_and_formats() -> None:
    """A URL defined in a text file and again in an OPML file is one feed, with a warning."""
    opml = (
        '<opml version="2.0"><body><outline text="A" xmlUrl="https://a.test/feed"/></body></opml>'
    )
    definitions = load([("a.txt", "https://a.test/feed\n"), ("b.opml", opml)])
    assert len(definitions.feeds) == 1
    assert definitions.warnings == (
        "b.opml:outline 1: https://a.test/feed is already defined at a.txt:1; using that one",
    )


# -- anything at all -------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "https://a.test/feed", "http://[::1]:8080/x", "https://[::1/", "ftp://x", "file:///x",
        "javascript:x", "data:,x", "HTTPS://A.TEST", "https://a.test:99999/", "https://:0/",
        "https://u:p@a.test/", "Name", "'quoted name'", '"dq', "'", '"', "\\", "\\'", "#", " # ",
        "header=", "header='A: b'", 'header="A: $TOKEN"', "header=A:${UNSET_VARIABLE_X}",
        "header='A: ${'", "interval=5m", "interval=", "timeout=0", "timeout=1e3", "provider=",
        "provider=generic", "x=y", "=", "$", "\t", "\n", "\r\n", "\x00", "\x1b[2J", "\x9b",
        "\u202e", "\ufeff", "<opml>", "<opml><body><outline xmlUrl='https://b.test/'/>",
        "</body></opml>", "<outline xmlUrl='ftp://x'/>", "&", "<!DOCTYPE x [<!ENTITY e 'e'>]>",
    ]
)  # fmt: skip
LINES = st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=12).map(" ".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), LINES))
def test_load_raises_only_definition_errors(text: str) -> None:
    """Whatever the text, `load` returns definitions or raises DefinitionError, nothing else."""
    try:
        definitions = load([("feeds.txt", text)])
    except DefinitionError as exc:
        for line in str(exc).splitlines():
            assert line.startswith("feeds.txt:"), line
        return
    for spec in definitions.feeds:
        assert spec.url.lower().startswith(("http://", "https://"))


@given(LINES.filter(lambda line: "\n" not in line and "\r" not in line))
def test_a_trailing_comment_changes_nothing(line: str) -> None:
    """A line that defines a feed defines the same feed with a comment after it."""
    try:
        definitions = load([("feeds.txt", line)])
    except DefinitionError:
        return
    assert load([("feeds.txt", line + " # a comment")]) == definitions


HEADER_FORMS = st.sampled_from(
    [
        f'header="Authorization: Bearer {SECRET}"',
        f"header='X-Token: {SECRET}'",
        f"header=X-Token:{SECRET}",
        f"header=Authorization: Bearer {SECRET}",
        f"header=Authorization:Bearer {SECRET}==",
        f'header="X-Token: {SECRET}',
    ]
)
OTHER_WORDS = st.sampled_from(
    [
        "https://a.test/feed", "ftp://a.test/", "Name", "bogus", "x=y", "interval=5m",
        "interval=soon", "provider=nope", "# comment", "header=bad", "https://a.test:0/",
    ]
)  # fmt: skip


@given(st.lists(OTHER_WORDS, max_size=4), HEADER_FORMS, st.lists(OTHER_WORDS, max_size=4))
def test_header_values_never_leak(before: list[str], header: str, after: list[str]) -> None:
    """Wherever header= stands and whatever else is wrong, its value is in no error or repr."""
    line = " ".join([*before, header, *after])
    try:
        definitions = load([("feeds.txt", line)])
    except DefinitionError as exc:
        assert SECRET not in str(exc)
        return
    assert SECRET not in repr(definitions)
    assert all(SECRET not in (spec.name or "") for spec in definitions.feeds)


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
