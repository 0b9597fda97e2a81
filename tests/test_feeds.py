"""Feed definitions (SPEC §2): text lines and OPML -> `FeedSpec`, every problem reported."""

from __future__ import annotations

import re
import shlex

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusstream import providers
from statusstream.errors import DefinitionError, UsageError
from statusstream.feeds import (
    Definitions,
    FeedSpec,
    _strip_comment,
    from_argument,
    load,
    parse_line,
    split_words,
)

SECRET = "s3cr3t-T0KEN"
PROBLEM = re.compile(r"^feeds\.txt:\d+: \S.*$")


def specs(text: str, origin: str = "feeds.txt") -> tuple[FeedSpec, ...]:
    return load([(origin, text)]).feeds


def one(line: str) -> FeedSpec:
    [spec] = specs(line + "\n")
    return spec


def problems(text: str, origin: str = "feeds.txt") -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load([(origin, text)])
    return str(caught.value).splitlines()


def problem(line: str) -> str:
    [only] = problems(line + "\n")
    assert PROBLEM.match(only), only
    return only


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


# -- OPML ------------------------------------------------------------------------------------

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Status pages</title></head>
  <body>
    <outline text="Folder">
      <outline type="rss" text="GitHub text" title="GitHub" xmlUrl="https://www.githubstatus.com/history.rss"/>
      <outline text="Deeper">
        <outline type="rss" text="OpenAI" xmlUrl=" https://status.openai.com/feed.rss "/>
      </outline>
    </outline>
    <outline type="rss" xmlUrl="https://status.example.test/feed.atom"/>
    <outline type="link" text="Not a feed" url="https://example.test/"/>
  </body>
</opml>
"""


def test_opml_outlines_with_xml_url_are_feeds() -> None:
    """Every outline with xmlUrl, nested or not, is a feed; title, else text, is its name."""
    found = specs(OPML, origin="subs.opml")
    assert [(spec.name, spec.url) for spec in found] == [
        ("GitHub", "https://www.githubstatus.com/history.rss"),
        ("OpenAI", "https://status.openai.com/feed.rss"),
        (None, "https://status.example.test/feed.atom"),
    ]
    assert all(spec.origin.startswith("subs.opml:outline ") for spec in found)


def test_opml_is_recognised_without_a_declaration_and_with_a_bom() -> None:
    """`<opml` near the start makes it OPML, with or without an XML declaration or a BOM."""
    plain = '<opml version="1.0"><body><outline xmlUrl="https://a.test/feed"/></body></opml>'
    assert [spec.url for spec in specs(plain)] == ["https://a.test/feed"]
    with_bom = specs("\ufeff" + OPML)
    assert with_bom[0].url == "https://www.githubstatus.com/history.rss"


def test_opml_bad_url_is_reported_with_its_outline() -> None:
    """A bad xmlUrl is a problem naming the file and the outline; good outlines are checked too."""
    opml = (
        "<opml><body>"
        '<outline text="ok" xmlUrl="https://a.test/feed"/>'
        '<outline text="bad" xmlUrl="javascript:alert(1)"/>'
        '<outline text="worse" xmlUrl="file:///etc/passwd"/>'
        "</body></opml>"
    )
    assert problems(opml, origin="subs.opml") == [
        "subs.opml:outline 2: unsupported scheme 'javascript' in 'javascript:alert(1)'"
        " (only http and https)",
        "subs.opml:outline 3: unsupported scheme 'file' in 'file:///etc/passwd'"
        " (only http and https)",
    ]


def test_broken_opml_is_one_problem() -> None:
    """An OPML file that is not well-formed XML is reported, naming the file."""
    [message] = problems("<opml><body><outline xmlUrl='https://a.test/'></body>", origin="x.opml")
    assert message.startswith("x.opml: not a valid OPML document: ")


def test_opml_names_are_cleaned() -> None:
    """Control characters in an OPML title are dropped."""
    opml = '<opml><body><outline title="A&#x9b;31m B" xmlUrl="https://a.test/feed"/></body></opml>'
    assert specs(opml)[0].name == "A 31m B"


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


@settings(max_examples=500)
@given(st.text(st.sampled_from(list("ab#=: /.\t\r\n\x0b\x0c\x1c\x85\u00a0\u2003"))))
def test_a_line_without_quotes_splits_as_shlex_splits_it(line: str) -> None:
    """`split_words` skips `shlex` when nothing is quoted; the words must be the same."""
    assert split_words(line) == shlex.split(_strip_comment(line), posix=True)


# -- URLs without a scheme, host names, spellings of one URL ---------------------------------


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("www.githubstatus.com/history.rss", "https://www.githubstatus.com/history.rss"),
        ("GitHub www.githubstatus.com/history.rss", "https://www.githubstatus.com/history.rss"),
        ("status.openai.com", "https://status.openai.com"),
        ("githubstatus.com/history.rss interval=5m", "https://githubstatus.com/history.rss"),
        ("localhost:8080/feed.rss", "https://localhost:8080/feed.rss"),
        ("//status.example.com/feed", "https://status.example.com/feed"),
    ],
)
def test_a_url_without_a_scheme_gets_the_https_form(line: str, hint: str) -> None:
    """A URL written without `https://` is a `file:line:` problem that suggests the https form."""
    assert problem(line).endswith(f"; did you mean {hint!r}?")


@pytest.mark.parametrize("line", ["feeds.txt", "Status Page", "1.5", "notes/feeds.txt"])
def test_a_word_that_is_no_url_gets_no_https_hint(line: str) -> None:
    """A file name or plain words are not taken for a URL without its scheme."""
    assert "https://" not in problem(line)


def test_an_opml_url_without_a_scheme_gets_the_https_form() -> None:
    """An OPML outline whose xmlUrl lacks its scheme gets the same hint as a text line."""
    opml = '<opml><body><outline xmlUrl="www.githubstatus.com:443/history.rss"/></body></opml>'
    assert problems(opml, origin="subs.opml") == [
        "subs.opml:outline 1: no scheme in 'www.githubstatus.com:443/history.rss';"
        " did you mean 'https://www.githubstatus.com:443/history.rss'?"
    ]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("a" * 64 + ".example.com", "a host name label of 64 characters (at most 63)"),
        (".".join(["a" * 63] * 4) + ".com", "a host name of 259 characters (at most 253)"),
        ("a..example.com", "an empty label (`..`) in the host name"),
        ("\u2603.example", "not a valid international host name (Codepoint U+2603"),
        ("\u00fc" * 60 + ".example", "not a valid international host name (Label too long)"),
    ],
)
def test_a_host_name_that_cannot_be_resolved_is_a_problem(host: str, expected: str) -> None:
    """Labels over 63 characters, hosts over 253, empty labels and bad IDNA are `file:line:`."""
    message = problem(f"https://{host}/feed.rss")
    assert message.startswith(f"feeds.txt:1: {expected}")


@pytest.mark.parametrize(
    "host",
    [
        "a" * 63 + ".example.com",
        ".".join(["a" * 63] * 3) + "." + "a" * 61,
        "example.com.",
        "b\u00fccher.example",
        "127.0.0.1",
        "[::1]",
        "under_score.example",
    ],
)
def test_a_host_name_within_the_limits_is_accepted(host: str) -> None:
    """63-character labels, 253 characters, a trailing dot, IDNA, IP addresses are fine."""
    assert one(f"https://{host}/feed").url == f"https://{host}/feed"


@pytest.mark.parametrize(
    "other",
    [
        "https://A.TEST/feed",
        "https://a.test:443/feed",
        "https://a.test./feed",
        "HTTPS://A.Test.:443/feed",
        "https://user:pw@a.test/feed",
    ],
)
def test_one_url_spelt_another_way_is_one_feed(other: str) -> None:
    """Host case, the default port and a trailing dot do not make another feed: a warning."""
    definitions = load([("feeds.txt", f"https://a.test/feed\n{other}\n")])
    assert [spec.url for spec in definitions.feeds] == ["https://a.test/feed"]
    [warning] = definitions.warnings
    assert warning.startswith("feeds.txt:2: ")
    assert warning.endswith("is already defined at feeds.txt:1; using that one")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("http://a.test/feed", "http://a.test:80/feed"),
        ("http://a.test", "http://a.test/"),
        ("https://b\u00fccher.example/feed", "https://xn--bcher-kva.example/feed"),
        ("http://[::1]:80/feed", "http://[::1]/feed"),
    ],
)
def test_other_spellings_of_one_url(first: str, second: str) -> None:
    """Port 80 for http, an empty path, a host in IDNA, an IPv6 address: one feed each pair."""
    definitions = load([("feeds.txt", f"{first}\n{second}\n")])
    assert [spec.url for spec in definitions.feeds] == [first]
    assert len(definitions.warnings) == 1


@pytest.mark.parametrize(
    "other",
    [
        "http://a.test/feed",
        "https://a.test:8443/feed",
        "https://a.test/Feed",
        "https://a.test/feed?x=1",
        "https://b.a.test/feed",
    ],
)
def test_different_urls_stay_different_feeds(other: str) -> None:
    """Another scheme, port, path case, query or host is another feed, without a warning."""
    definitions = load([("feeds.txt", f"https://a.test/feed\n{other}\n")])
    assert len(definitions.feeds) == 2
    assert definitions.warnings == ()


# -- command-line arguments ------------------------------------------------------------------


def test_an_argument_url_is_one_feed() -> None:
    """An http(s) URL argument is a feed with that URL and no name; credentials become a header."""
    spec = from_argument(f"https://bot:{SECRET}@a.test/feed", "argument 1")
    assert (spec.url, spec.name, spec.origin) == ("https://a.test/feed", None, "argument 1")
    assert [name for name, _ in spec.headers] == ["Authorization"]


def test_an_argument_catalog_name_is_that_page() -> None:
    """A catalog name argument is the entry's URL, title and provider, as in a file."""
    spec = from_argument("GitHub", "argument 2")
    assert spec == parse_line("github", "argument 2")


def test_a_bad_argument_url_names_the_argument() -> None:
    """A URL argument that fails the checks says which argument and why."""
    with pytest.raises(ValueError, match=r"^argument 3: unsupported scheme 'ftp'"):
        from_argument("ftp://a.test/feed", "argument 3")


@pytest.mark.parametrize(
    ("word", "ending"),
    [
        ("githb", "; did you mean 'github' from the catalog?"),
        (
            "www.githubstatus.com/history.rss",
            "; did you mean 'https://www.githubstatus.com/history.rss'?",
        ),
        ("feeds.txtt", " (statusstream --catalog lists the names)"),
    ],
)
def test_any_other_argument_names_the_three_possibilities(word: str, ending: str) -> None:
    """Neither URL nor catalog name: the message names file, URL and catalog name, and a hint."""
    with pytest.raises(ValueError) as caught:
        from_argument(word, "argument 1")
    assert str(caught.value) == (
        f"{word!r} is not a file, an http(s):// URL or a catalog name{ending}"
    )
