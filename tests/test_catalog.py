"""The built-in catalog: its data, its feeds file (`--catalog`), and bare names in definitions."""

from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from statusstream import catalog, providers
from statusstream.catalog import Entry
from statusstream.errors import DefinitionError
from statusstream.feeds import load, parse_line
from statusstream.urls import check_url

ENTRIES = catalog.entries()
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
STATUSIO_FEED = re.compile(r"^/pages/[0-9a-f]{24}/rss$")

# The services the catalog was asked for, by catalog name. PagerDuty is not among them: its
# status page is its own product, and its /history.rss answers with an HTML page, not a feed.
REQUESTED = (
    "openai",
    "anthropic",
    "github",
    "gitlab",
    "stripe",
    "cloudflare",
    "aws",
    "google-cloud",
    "azure",
    "slack",
    "discord",
    "atlassian",
    "twilio",
    "datadog",
    "vercel",
    "netlify",
    "heroku",
    "digitalocean",
    "fastly",
    "shopify",
    "zoom",
    "dropbox",
    "npm",
    "pypi",
    "docker",
    "circleci",
    "sentry",
    "mongodb",
    "supabase",
    "linear",
    "notion",
    "figma",
)

# Where each format keeps its feeds: (any URL the provider reads, the documented location).
PATH_PATTERNS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "statuspage": (re.compile(r"/history\.(rss|atom)$"), re.compile(r"^/history\.(rss|atom)$")),
    "incidentio": (
        re.compile(r"/(feed|history)\.(rss|atom)$"),
        re.compile(r"^/feed\.(rss|atom)$"),
    ),
    "instatus": (re.compile(r"/history\.(rss|atom)$"), re.compile(r"^/history\.(rss|atom)$")),
    "betterstack": (re.compile(r"/feed\.rss$"), re.compile(r"^/feed\.rss$")),
    "statusio": (STATUSIO_FEED, STATUSIO_FEED),
    "cachet": (re.compile(r"/(rss|atom)$"), re.compile(r"^/(rss|atom)$")),
}
HOST_PATTERNS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "aws": (
        re.compile(r"^status\.aws\.amazon\.com/rss/[\w.-]+\.rss$"),
        re.compile(r"^status\.aws\.amazon\.com/rss/all\.rss$"),
    ),
    "gcp": (
        re.compile(r"^[\w.-]*google\.com/.*feed\.atom$"),
        re.compile(r"^status\.cloud\.google\.com/en/feed\.atom$"),
    ),
    "azure": (
        re.compile(r"^(rssfeed\.)?azure\.status\.microsoft/[a-z-]+/status/feed/$"),
        re.compile(r"^azure\.status\.microsoft/en-us/status/feed/$"),
    ),
    "slack": (
        re.compile(r"^(slack-status\.com|status\.slack\.com)/feed/(atom|rss)$"),
        re.compile(r"^slack-status\.com/feed/(atom|rss)$"),
    ),
}


def feed_pattern(entry: Entry, *, documented: bool) -> re.Pattern[str] | None:
    """The pattern the entry's URL must match (host+path, or path), None for `generic`."""
    table = PATH_PATTERNS if entry.provider in PATH_PATTERNS else HOST_PATTERNS
    patterns = table.get(entry.provider)
    return None if patterns is None else patterns[documented]


def url_key(entry: Entry) -> str:
    parts = urlsplit(entry.url)
    return parts.path if entry.provider in PATH_PATTERNS else f"{parts.hostname}{parts.path}"


def ids(entries: tuple[Entry, ...]) -> list[str]:
    return [entry.name for entry in entries]


# -- the data ------------------------------------------------------------------------------


def test_at_least_a_hundred_entries() -> None:
    """The catalog covers at least 100 status pages."""
    assert len(ENTRIES) >= 100


def test_names_are_unique_lowercase_tokens() -> None:
    """Every name is one lowercase token and no two entries share one."""
    names = ids(ENTRIES)
    assert len(set(names)) == len(names)
    assert [name for name in names if not NAME.match(name)] == []


def test_urls_are_unique() -> None:
    """No two entries poll the same feed."""
    urls = [entry.url for entry in ENTRIES]
    assert len(set(urls)) == len(urls)


@pytest.mark.parametrize("entry", ENTRIES, ids=ids(ENTRIES))
def test_url_is_https_with_a_host(entry: Entry) -> None:
    """Every feed URL is https, has a host, no credentials, and passes the URL checks."""
    parts = urlsplit(entry.url)
    assert parts.scheme == "https"
    assert parts.hostname
    assert "@" not in parts.netloc
    assert check_url(entry.url) == entry.url


@pytest.mark.parametrize("entry", ENTRIES, ids=ids(ENTRIES))
def test_title_is_one_clean_line(entry: Entry) -> None:
    """A title is non-empty, trimmed, printable text (it becomes the events' `source`)."""
    assert entry.title == entry.title.strip() != ""
    assert entry.title.isprintable()


@pytest.mark.parametrize("entry", ENTRIES, ids=ids(ENTRIES))
def test_provider_matches_the_url(entry: Entry) -> None:
    """Each entry's provider is a known format and its URL has that platform's feed shape."""
    assert entry.provider in providers.NAMES, "every format in the data has a parser"
    pattern = feed_pattern(entry, documented=False)
    if pattern is not None:
        assert pattern.search(url_key(entry)), f"{entry.url} is not a {entry.provider} feed"


DOCUMENTED = tuple(e for e in ENTRIES if e.documented)


@pytest.mark.parametrize("entry", DOCUMENTED, ids=ids(DOCUMENTED))
def test_documented_entries_follow_their_platforms_location(entry: Entry) -> None:
    """An entry marked `documented` is at exactly its platform's documented feed location."""
    pattern = feed_pattern(entry, documented=True)
    assert pattern is not None, "a one-off (generic) feed is never `documented`"
    assert not urlsplit(entry.url).query
    assert pattern.match(url_key(entry)), f"{entry.url} is not where {entry.provider} puts feeds"


def test_the_requested_services_are_present() -> None:
    """The services the catalog was asked for are in it, under their plain names."""
    assert [name for name in REQUESTED if catalog.lookup(name) is None] == []


def test_lookup_ignores_case() -> None:
    """`lookup` finds an entry whatever the case, and answers None for an unknown name."""
    assert catalog.lookup("GitHub") == catalog.lookup("github") is not None
    assert catalog.lookup("no-such-page") is None


# -- the feeds file (`--catalog`) ----------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES, ids=ids(ENTRIES))
def test_every_entry_is_a_valid_definition_line(entry: Entry) -> None:
    """`NAME URL provider=P` for each entry parses to that URL and provider."""
    spec = parse_line(f"{entry.name} {entry.url} provider={entry.provider}", "catalog:1")
    assert spec is not None
    assert (spec.name, spec.url, spec.provider) == (entry.name, entry.url, entry.provider)


def test_feeds_text_loads_without_problems_or_warnings() -> None:
    """`as_feeds_text()` is a feeds file with every entry, no problem and no warning."""
    definitions = load([("catalog", catalog.as_feeds_text())])
    assert definitions.warnings == ()
    found = [(spec.name, spec.url, spec.provider) for spec in definitions.feeds]
    assert found == [(entry.title, entry.url, entry.provider) for entry in ENTRIES]


def test_feeds_text_read_back_is_each_bare_name() -> None:
    """Each catalog line read back is the feed its bare name gives: one `source`, the title."""
    definitions = load([("catalog", catalog.as_feeds_text())])
    for spec, entry in zip(definitions.feeds, ENTRIES, strict=True):
        assert spec == parse_line(entry.name, spec.origin)


def test_feeds_text_puts_the_name_first_for_grep() -> None:
    """`grep -i -E '^(openai|github) '` on the catalog selects exactly those two feeds."""
    text = catalog.as_feeds_text()
    chosen = [line for line in text.splitlines() if re.match(r"^(openai|github) ", line, re.I)]
    definitions = load([("-", "\n".join(chosen) + "\n")])
    assert sorted(spec.name or "" for spec in definitions.feeds) == ["GitHub", "OpenAI"]
    assert text.startswith("#")
    assert all(line.startswith("#") or " " in line for line in text.splitlines())


def test_feeds_text_shows_title_url_and_format_in_a_comment() -> None:
    """A catalog line is `name  # Title: URL (format)`: a bare name, then a comment."""
    lines = [line for line in catalog.as_feeds_text().splitlines() if not line.startswith("#")]
    assert len(lines) == len(ENTRIES)
    for line, entry in zip(lines, ENTRIES, strict=True):
        name, _, comment = line.partition("  # ")
        assert name.rstrip() == entry.name
        assert comment == f"{entry.title}: {entry.url} ({entry.provider})"


def test_a_provider_without_a_parser_is_no_option(monkeypatch: pytest.MonkeyPatch) -> None:
    """A format the running code cannot parse yet is shown, and the feed loads without it."""
    monkeypatch.setattr(providers, "NAMES", tuple(n for n in providers.NAMES if n != "cachet"))
    lines = catalog.as_feeds_text().splitlines()
    [opensuse] = [line for line in lines if line.startswith("opensuse ")]
    assert opensuse.endswith("# openSUSE: https://status.opensuse.org/rss (cachet)")
    definitions = load([("catalog", "\n".join(lines) + "\n")])
    assert len(definitions.feeds) == len(ENTRIES)
    [spec] = [spec for spec in definitions.feeds if spec.url == "https://status.opensuse.org/rss"]
    assert spec.provider is None


def test_names_lists_every_entry() -> None:
    """`names()` is every catalog name, in the data's order (what completion offers)."""
    assert catalog.names() == ids(ENTRIES)


# -- bare names in definitions -------------------------------------------------------------


def test_a_bare_name_stands_for_its_entry() -> None:
    """`stripe` alone is the Stripe feed: its title, URL and provider."""
    [spec] = load([("feeds.txt", "stripe   # payments\n")]).feeds
    entry = catalog.lookup("stripe")
    assert entry is not None
    assert (spec.name, spec.url, spec.provider) == (entry.title, entry.url, entry.provider)
    assert spec.origin == "feeds.txt:1"


@pytest.mark.parametrize("entry", ENTRIES, ids=ids(ENTRIES))
def test_every_name_resolves_as_a_bare_word(entry: Entry) -> None:
    """Each catalog name, alone on a line, gives that entry's feed."""
    spec = parse_line(entry.name)
    assert spec is not None
    assert (spec.name, spec.url, spec.provider) == (entry.title, entry.url, entry.provider)


def test_a_bare_name_takes_options() -> None:
    """`stripe interval=5m timeout=10s` keeps the entry and adds the options."""
    spec = parse_line("stripe interval=5m timeout=10s")
    assert spec is not None
    assert (spec.url, spec.interval, spec.timeout) == (
        "https://www.stripestatus.com/history.rss",
        300.0,
        10.0,
    )


def test_an_explicit_provider_overrides_the_catalogs() -> None:
    """`provider=` on a bare-name line wins over the catalog's."""
    spec = parse_line("github provider=generic")
    assert spec is not None
    assert spec.provider == "generic"


def test_a_bare_name_in_any_case() -> None:
    """`GitHub` is the `github` entry."""
    spec = parse_line("GitHub")
    assert spec is not None
    assert spec.url == "https://www.githubstatus.com/history.rss"


def test_a_bare_name_and_an_explicit_url_are_one_feed_with_a_warning() -> None:
    """`github` and the same URL spelt out are one feed, and the duplicate is reported."""
    text = "github\nGitHub https://www.githubstatus.com/history.rss\n"
    definitions = load([("feeds.txt", text)])
    assert len(definitions.feeds) == 1
    assert definitions.warnings[0].startswith("feeds.txt:2: ")


def test_an_unknown_bare_word_is_an_error_with_a_hint() -> None:
    """A misspelt name keeps the 'no feed URL' error and suggests the catalog name."""
    with pytest.raises(DefinitionError) as caught:
        load([("feeds.txt", "# mine\nstrpe interval=5m\n")])
    assert str(caught.value) == (
        "feeds.txt:2: no feed URL in 'strpe interval=5m' (expected: [NAME] URL [key=value ...]); "
        "did you mean 'stripe' from the catalog?"
    )


def test_an_unrelated_word_gets_no_hint() -> None:
    """A word like no catalog name is the plain 'no feed URL' error."""
    with pytest.raises(ValueError, match=r"^no feed URL in 'nonsense' \(expected: .*\)$"):
        parse_line("nonsense")


def test_several_words_without_a_url_are_not_a_catalog_name() -> None:
    """`Stripe Status` (two words, no URL) is an error, not the Stripe entry."""
    with pytest.raises(ValueError, match="no feed URL"):
        parse_line("Stripe Status")


def test_a_bare_name_with_a_bad_option_names_the_option() -> None:
    """An invalid option after a bare name is reported as such."""
    with pytest.raises(ValueError, match="invalid duration 'soon'"):
        parse_line("stripe interval=soon")


def test_importing_feeds_does_not_read_the_catalog() -> None:
    """The catalog is read only when a line needs it: importing feeds does not read its data."""
    code = (
        "import statusstream.feeds, statusstream.catalog as c; print(c.entries.cache_info().misses)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "0"
