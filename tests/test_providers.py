"""The provider table: names, order, forcing one by name, detection of every real feed."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statusstream import providers
from statusstream.document import parse_document
from statusstream.errors import UsageError
from statusstream.model import Document, Item
from statusstream.parsing import parse_feed
from tests.providers_helpers import GOLDEN, rss
from tests.real_feeds import real_feed, real_feeds, real_names

# The family a real feed's file name starts with -> the provider that must recognise it.
# LambStatus (`other-lambstatus-*`) publishes Statuspage's markup exactly (<small>date</small>
# <br><strong>Label</strong> - text, newest first), so the Statuspage reader is the right one.
FAMILIES = {
    "statuspage-": "statuspage",
    "incidentio-": "incidentio",
    "aws-": "aws",
    "gcp-": "gcp",
    "other-lambstatus-": "statuspage",
}


def expected_provider(name: str) -> str:
    return next(provider for prefix, provider in FAMILIES.items() if name.startswith(prefix))


def test_table_lists_every_provider_with_generic_last() -> None:
    """All providers are registered once, and the catch-all `generic` is tried last."""
    assert providers.NAMES == (
        "statuspage",
        "incidentio",
        "aws",
        "gcp",
        "azure",
        "slack",
        "statusio",
        "betterstack",
        "instatus",
        "cachet",
        "generic",
    )


def test_by_name_rejects_unknown_names() -> None:
    """An unknown provider name is a UsageError (not a KeyError) that lists the known ones."""
    with pytest.raises(UsageError, match="known: statuspage"):
        providers.by_name("nope")
    with pytest.raises(UsageError):
        parse_feed(rss([]), "nope")


def test_a_named_provider_that_matches_is_used() -> None:
    """`provider=generic` (which matches anything) reads even a Statuspage feed as generic."""
    body = rss(
        [
            {
                "title": "API down",
                "link": "https://status.example.test/incidents/a",
                "description": "&lt;p&gt;&lt;small&gt;Jan 2, 10:00 UTC&lt;/small&gt;&lt;br&gt;"
                "&lt;strong&gt;Investigating&lt;/strong&gt; - Looking.&lt;/p&gt;",
                "pubDate": "Thu, 02 Jan 2025 10:00:00 +0000",
            }
        ]
    )
    assert parse_feed(body).provider == "statuspage"
    assert parse_feed(body, "generic").provider == "generic"


@pytest.mark.parametrize("hint", ["incidentio", "aws", "azure", "instatus", "cachet"])
def test_a_named_provider_the_feed_does_not_look_like_falls_back_to_detection(hint: str) -> None:
    """A page that moved platform (catalog line still `provider=incidentio`) is read as it is."""
    body = real_feed("statuspage-claude-2026-02-04.atom")
    parsed = parse_feed(body, hint)
    assert parsed.provider == "statuspage"
    assert parsed.updates == parse_feed(body).updates


@pytest.mark.parametrize("name", real_names())
def test_every_real_feed_named_as_its_own_provider_reads_the_same(name: str) -> None:
    """A catalog line naming the right provider changes nothing."""
    body = real_feed(name)
    assert parse_feed(body, expected_provider(name)) == parse_feed(body)


def test_an_empty_feed_is_generic_and_yields_nothing() -> None:
    """A feed without items matches no specific provider and has no updates."""
    parsed = parse_feed(rss([]))
    assert (parsed.provider, parsed.updates) == ("generic", [])


@pytest.mark.parametrize("name", real_names())
def test_every_real_feed_parses_and_is_recognised(name: str) -> None:
    """Each real feed parses and is recognised as its family's provider, and only as that."""
    document = parse_document(real_feed(name))
    expected = expected_provider(name)
    assert providers.detect(document).name == expected
    candidates = providers.PROVIDERS[:-1]  # generic matches anything
    others = [p.name for p in candidates if p.name != expected and p.detect(document)]
    assert others == []
    assert parse_feed(real_feed(name)).updates


def test_every_real_feed_has_a_golden_file_and_back() -> None:
    """The golden files and the real feeds correspond one to one."""
    real_feeds()
    pinned = {path.name.removesuffix(".txt") for path in GOLDEN.glob("*.txt")}
    assert pinned == set(real_names())


_FRAGMENTS = st.sampled_from(
    [
        "<p><small>Jan 1, 0001 00:30 JST</small><br><strong>Resolved</strong> - x</p>",
        "<small>June 4, 9999 23:59 PDT</small><br /><b>Active</b> - y<br />",
        "<b>Status: Monitoring</b><br/><br/>z<br/><br/><b>Affected components</b><ul><li>A (",
        "Status: Fixed<br/>",
        "<br/><br/>⚠️ Affected components: ",
        "Impact Statement: a.Current Status: We are investigating.",
        '<div class="x-status-update-text"><p>u</p></div><hr><p>Affected products: </p>',
        "[RESOLVED] ",
        "<hr>",
        "</ul>",
        "&lt;br&gt;",
        "Feb 29, 24:61 XYZ",
        "Type: Maintenance\nAffected Components: A, , B\n",
        "Sep 31, 25:15:61 GMT+99 - Resolved - ",
        "Dec 31, 23:59:59 GMT-5:30 - Not started yet - y. ",
        "&lt;small&gt;Jan &lt;var&gt;1&lt;/var&gt;, 00:00:00 GMT+0&lt;/small&gt;",
    ]
)
_TEXT = st.lists(st.one_of(_FRAGMENTS, st.text(max_size=20)), max_size=6).map("".join)
_LINKS = st.sampled_from(
    [
        None,
        "",
        "https://status.example.test/incidents/a",
        "https://status.cloud.google.com/incidents/I",
        "https://slack-status.com/2026-01/ab",
        "https://x.instatus.com/incident/abcdef12",
        "https://s.test/incidents/4#update-1",
    ]
)
_IDS = st.sampled_from(
    [
        None,
        "tag:status.cloud.google.com,2022:feed:I.U",
        "http://status.aws.amazon.com/#ec2-us-east-1_1",
        "http://status.aws.amazon.com/#_",
        "https://s.test/incidents/4#update-1",
        "9b2f3c4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
    ]
)
_DATES = st.one_of(
    st.none(),
    st.datetimes(timezones=st.just(UTC)),
)


@st.composite
def _documents(draw: st.DrawFn) -> Document:
    items = tuple(
        Item(
            id=draw(_IDS),
            title=draw(_TEXT),
            link=draw(_LINKS),
            published=draw(_DATES),
            updated=draw(_DATES),
            date_text=draw(st.sampled_from([None, "", "Mon, 01 Jan 2001 00:00:00 -0700", "x"])),
            html=draw(_TEXT),
            summary=draw(_TEXT),
            categories=tuple(draw(st.lists(st.text(max_size=8), max_size=3))),
        )
        for _ in range(draw(st.integers(0, 4)))
    )
    return Document(title="t", link=draw(_LINKS), generator=None, ttl_minutes=None, items=items)


@settings(max_examples=300, deadline=None)
@given(_documents(), st.sampled_from(providers.PROVIDERS))
def test_any_provider_reads_any_items_without_failing(
    document: Document, provider: providers.Provider
) -> None:
    """Forced on odd items (bad dates, cut markup, year 1), every provider returns updates."""
    provider.detect(document)
    for update in provider.extract(document):
        assert update.incident
        assert not re.search(r"</?[A-Za-z][^>]*>", update.message)
