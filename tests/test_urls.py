"""Feed URLs: a URL without its scheme, host names, spellings of one URL (as definitions)."""

from __future__ import annotations

import pytest

from statusstream.feeds import load
from tests.definitions_helpers import one, problem, problems


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
