"""`fastxml`, the fast path of `parse_document`, against feedparser (`parse_with_feedparser`).

Whatever the fast path does not decline it must read exactly as feedparser does: every real
fixture, hand-written feeds with feedparser's quirks, and a Hypothesis corpus of RSS and Atom
documents (titles with entities, Unicode, CDATA and mojibake; dates in many forms; missing and
repeated fields; text, HTML and XHTML content; markup where text belongs).
"""

from __future__ import annotations

import warnings
import xml.sax.saxutils
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from statusstream import fastxml, providers, tracker
from statusstream.document import parse_document, parse_with_feedparser
from statusstream.errors import FeedError
from statusstream.model import Document
from statusstream.state import FeedState

REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
FIXTURES = sorted(REAL.glob("*.rss")) + sorted(REAL.glob("*.atom")) if REAL.is_dir() else []
OBSERVED = datetime(2026, 9, 1, tzinfo=UTC)
ALL = datetime.min.replace(tzinfo=UTC)


def slow(body: bytes) -> Document:
    with warnings.catch_warnings():  # feedparser's `updated` -> `published` fallback warns
        warnings.simplefilter("ignore", DeprecationWarning)
        return parse_with_feedparser(body)


def assert_alike(body: bytes) -> bool:
    """The fast path declines `body` or reads it as feedparser does; True if it read it."""
    if fastxml.read(body) is None:
        return False
    assert parse_document(body) == slow(body)
    return True


def events(document: Document) -> list[str]:
    provider = providers.detect(document)
    source = tracker.Source("x", "https://x.test/feed", provider.name)
    plan = tracker.plan(FeedState(), provider.extract(document), source, OBSERVED, ALL)
    return [pending.event.to_json() for pending in plan.pending]


# -- real feeds ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FIXTURES, ids=[path.name for path in FIXTURES])
def test_real_fixtures_read_alike(path: Path) -> None:
    """Each real feed: the fast path's document and events are feedparser's."""
    body = path.read_bytes()
    if fastxml.read(body) is None:
        pytest.skip(f"{path.name}: declined, read by feedparser")
    fast = parse_document(body)
    assert fast == slow(body)
    assert events(fast) == events(slow(body))
    assert events(fast), "a real feed that gives no events is no test"


def test_statuspage_and_incidentio_fixtures_take_the_fast_path() -> None:
    """The common formats are what the fast path is for: none of their real feeds declined."""
    if not FIXTURES:
        pytest.skip(f"no real fixtures at {REAL}")
    common = [path for path in FIXTURES if path.name.startswith(("statuspage-", "incidentio-"))]
    declined = [path.name for path in common if fastxml.read(path.read_bytes()) is None]
    assert common
    assert declined == []


# -- hand-written feeds ------------------------------------------------------------------------


def escaped(markup: str) -> str:
    """HTML as Statuspage puts it in XML text: `&`, `<`, `>` and `'` escaped."""
    return xml.sax.saxutils.escape(markup, {"'": "&apos;"})


UPDATES = (
    "<p><small>Nov <var data-var='date'>17</var>, <var data-var='time'>08:10</var> UTC</small>"
    "<br><strong>Resolved</strong> - Fixed.</p>"
    "<p><small>Nov <var data-var='date'>17</var>, <var data-var='time'>08:00</var> UTC</small>"
    "<br><strong>Investigating</strong> - Looking.</p>"
    "<p>This incident affected: API, Billing.</p>"
)
STATUSPAGE_RSS = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Example Status</title>
    <link>https://status.example.test</link>
    <description>Statuspage</description>
    <pubDate>Thu, 20 Nov 2025 10:43:00 +0000</pubDate>
    <item>
      <title>API errors</title>
      <description>
{escaped(UPDATES)}      </description>
      <pubDate>Mon, 17 Nov 2025 08:00:00 +0000</pubDate>
      <link>https://status.example.test/incidents/abc</link>
      <guid>https://status.example.test/incidents/abc</guid>
      <maintenanceEndDate>Mon, 17 Nov 2025 10:00:00 +0000</maintenanceEndDate>
    </item>
  </channel>
</rss>
""".encode()

STATUSPAGE_ATOM = f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xml:lang="en-US" xmlns="http://www.w3.org/2005/Atom">
  <id>tag:status.example.test,2005:/history</id>
  <link rel="alternate" type="text/html" href="https://status.example.test"/>
  <link rel="self" type="application/atom+xml" href="https://status.example.test/history.atom"/>
  <title>Example Status</title>
  <updated>2025-11-20T10:43:00-08:00</updated>
  <author><name>Example</name></author>
  <entry>
    <id>tag:status.example.test,2005:Incident/123</id>
    <published>2025-11-17T00:00:00-08:00</published>
    <updated>2025-11-17T02:10:31.5-08:00</updated>
    <link rel="alternate" type="text/html" href="https://status.example.test/incidents/abc"/>
    <title>API errors</title>
    <content type="html">{escaped(UPDATES.replace("UTC", "PST"))}</content>
  </entry>
</feed>
""".encode()


def rss(items: str, channel: str = "<title>T</title>", head: str = "") -> bytes:
    return (
        f'{head}<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"'
        f' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        f' xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>{channel}{items}</channel></rss>'
    ).encode()


def atom(entries: str, feed: str = "<title>T</title>") -> bytes:
    return f'<feed xmlns="http://www.w3.org/2005/Atom">{feed}{entries}</feed>'.encode()


def test_a_statuspage_feed_reads_alike_and_gives_its_updates() -> None:
    """Statuspage RSS and Atom: the fast path reads them, as feedparser does, with updates."""
    for body in (STATUSPAGE_RSS, STATUSPAGE_ATOM):
        assert assert_alike(body)
        document = parse_document(body)
        assert document.title == "Example Status"
        assert document.link == "https://status.example.test"
        assert document.items[0].link == "https://status.example.test/incidents/abc"
        assert [json.count('"status"') for json in events(document)] != []
    assert len(events(parse_document(STATUSPAGE_RSS))) == 2


QUIRKS = {
    "guid is the link": rss("<item><title>a</title><guid>https://x.test//i/1</guid></item>"),
    "link after guid": rss("<item><guid>g</guid><link>https://x.test/l?a=1&amp;b=2</link></item>"),
    "link before guid": rss(
        "<item><link>https://x.test/l</link><guid>https://x.test/g</guid></item>"
    ),
    "empty link then guid": rss("<item><link></link><guid>https://x.test/g</guid></item>"),
    "guid not a permalink": rss('<item><guid isPermaLink="false">https:///g</guid></item>'),
    "guid permalink True": rss('<item><guid isPermaLink="True">https:///g</guid></item>'),
    "link with entities": rss("<item><link>https://x.test/?a=1&amp;amp;b=2&amp;c;</link></item>"),
    "channel link entities": rss(
        "", "<title>T</title><link>https://x.test/&amp;amp;x&amp;y;</link>"
    ),
    "second title ignored": rss("<item><title>one</title><title>two</title></item>"),
    "empty title then one": rss("<item><title> </title><title>two</title></item>"),
    "channel titles": rss("<item><title>i</title></item>", "<title>a</title><title>b</title>"),
    "title after items": rss("<item><title>i</title></item><title>late</title>", ""),
    "image title": rss("", "<image><title>logo</title><url>https://x.test/i.png</url></image>"),
    "cdata and entities": rss(
        "<item><title><![CDATA[A & B <c>]]> &amp; &#8211; &#x85;</title>"
        "<description><![CDATA[<p>raw</p>]]></description></item>"
    ),
    "mojibake": rss("<item><title>CafÃ© â\x80\x93</title></item>"),
    "mojibake and more": rss("<item><title>CafÃ© \u2013</title></item>"),
    "c1 controls": rss("<item><title>\u0080 \u0093quoted\u0094 \u0081</title></item>"),
    "content then description": rss(
        "<item><content:encoded>c</content:encoded><description>d</description></item>"
    ),
    "description then content": rss(
        "<item><description>d</description><content:encoded>c</content:encoded></item>"
    ),
    "empty content": rss("<item><content:encoded/><description>d</description></item>"),
    "unknown leaves": rss(
        "<item><title>t</title><comments>c</comments><foo a='1'/><bar-baz>x</bar-baz>"
        "<category domain='d'>c</category><enclosure url='https://x.test/e'/></item>"
    ),
    "ttl and generator": rss("", "<title>T</title><ttl> 5 </ttl><generator>gen</generator>"),
    "rfc822 dates": rss(
        "<item><title>a</title><pubDate>Sat, 07 Sep 2019 00:03:14 PDT</pubDate></item>"
        "<item><title>b</title><pubDate>7 Sep 19 00:03 +0530</pubDate></item>"
        "<item><title>c</title><pubDate>Sun, 01 Jan 1961 23:59:59 -09:30</pubDate></item>"
        "<item><title>d</title><pubDate>Tue, 01 Jan 2999 23:59:59 -01:00</pubDate></item>"
        "<item><title>e</title><pubDate>Tue, 01 Jan 3000 00:00:00 UT</pubDate></item>"
        "<item><title>f</title><pubDate> </pubDate><updated>2025-01-01T00:00:00Z</updated></item>"
        "<item><title>g</title><pubDate></pubDate></item>"
    ),
    "atom links": atom(
        '<entry><id>https://x.test//e/1</id><link href="https://x.test/self" rel="self"/>'
        '<title type="html">&lt;b&gt;bold&lt;/b&gt;</title></entry>'
        '<entry><link href="https://x.test/1"/><link rel="alternate" href="https://x.test/2"/>'
        '<link rel="alternate" type="application/json" href="https://x.test/3"/></entry>'
        '<entry><link rel="ALTERNATE" type="HTML" href=""/><id>i</id></entry>'
        '<entry><link rel="" href="https://x.test/r"/></entry>',
        '<id>https://x.test/feed</id><title type="text">T</title>',
    ),
    "atom text content": atom(
        '<entry><content type="text">a &amp;lt;b&amp;gt; &amp;amp; c</content></entry>'
        '<entry><summary type="html">s</summary><content type="html">c</content></entry>'
        "<entry><summary>only</summary><published>2025-11-03T14:32:00.123456+05:30</published>"
        "<updated>2025-11-03T14:32Z</updated></entry>"
    ),
}


@pytest.mark.parametrize("body", QUIRKS.values(), ids=QUIRKS.keys())
def test_feedparser_quirks_are_reproduced(body: bytes) -> None:
    """Links from guids, entity fixes, ignored titles, mojibake, C1 controls, content, dates."""
    assert assert_alike(body), "declined"


def test_quirks_give_what_feedparser_gives() -> None:
    """A few of those quirks spelled out, so that they do not pass by mistake."""
    assert parse_document(QUIRKS["guid is the link"]).items[0].link == "https://x.test//i/1"
    assert parse_document(QUIRKS["second title ignored"]).items[0].title == "one"
    assert parse_document(QUIRKS["empty title then one"]).items[0].title == "two"
    assert parse_document(QUIRKS["mojibake"]).items[0].title == "Café \u2013"
    assert parse_document(QUIRKS["mojibake and more"]).items[0].title == "CafÃ© \u2013"
    assert parse_document(QUIRKS["c1 controls"]).items[0].title == "€ “quoted” \x81"
    assert parse_document(QUIRKS["content then description"]).items[0].html == "c"
    text = parse_document(QUIRKS["atom text content"]).items[0].html
    assert text == "a &lt;b&gt; &amp; c"  # text content is not HTML-escaped: feedparser's way
    dated = parse_document(QUIRKS["rfc822 dates"]).items
    assert dated[0].published == datetime(2019, 9, 7, 7, 3, 14, tzinfo=UTC)
    assert dated[1].published == datetime(2019, 9, 6, 18, 33, tzinfo=UTC)
    assert dated[2].published is None  # before 1970: no date
    assert dated[4].published is None  # from 3000 on: no date
    assert (dated[5].date_text, dated[5].updated) == ("2025-01-01T00:00:00Z", dated[5].updated)
    assert dated[6].date_text is None


DECLINED = {
    "doctype": b'<!DOCTYPE rss [<!ENTITY a "b">]>' + rss("<item><title>&a;</title></item>"),
    "doctype only": b"<!DOCTYPE rss>" + rss("<item><title>t</title></item>"),
    "undefined entity": rss("<item><title>&nbsp;</title></item>"),
    "not well-formed": rss("<item><title>t</item>"),
    "truncated": STATUSPAGE_RSS[:-40],
    "rdf": b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    b' xmlns="http://purl.org/rss/1.0/"><channel><title>T</title></channel>'
    b"<item><title>t</title></item></rdf:RDF>",
    "rss 0.91": b'<rss version="0.91"><channel><title>T</title></channel></rss>',
    "no version": b"<rss><channel><title>T</title></channel></rss>",
    "atom 0.3": b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>T</title></feed>',
    "xhtml content": atom(
        '<entry><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div>'
        "</content></entry>"
    ),
    "xhtml leaf": atom('<entry><content type="xhtml">x &amp; y</content></entry>'),
    "base64": atom('<entry><content type="application/octet-stream">eA==</content></entry>'),
    "src": atom('<entry><content src="https://x.test/c"/></entry>'),
    "xml:base": atom('<entry xml:base="https://x.test/"><link href="a"/></entry>'),
    "markup in text": rss("<item><description><p>raw</p></description></item>"),
    "dublin core": rss("<item><dc:date>2025-11-03T14:32:00Z</dc:date></item>"),
    "other namespace": rss('<item><x:y xmlns:x="urn:x">1</x:y></item>'),
    "a second description": rss("<item><description>a</description><summary>b</summary></item>"),
    "source": rss("<item><source url='https://x.test'>s</source></item>"),
    "odd date": rss("<item><pubDate>2025-11-03 14:32:00</pubDate></item>"),
    "unknown zone": rss("<item><pubDate>Mon, 03 Nov 2025 14:32:00 CET</pubDate></item>"),
    "impossible date": rss("<item><pubDate>Mon, 31 Feb 2025 14:32:00 GMT</pubDate></item>"),
    "unknown named like a key": rss("<item><date>today</date></item>"),
    "utf-16": STATUSPAGE_RSS.decode().replace("UTF-8", "UTF-16").encode("utf-16"),
    "undeclared latin-1": rss("<item><title>Caf\xe9</title></item>").decode().encode("latin-1"),
    "ebcdic charset": b'<?xml version="1.0" encoding="cp500"?><rss version="2.0"/>',
    "leading space": b"  " + STATUSPAGE_RSS,
}


@pytest.mark.parametrize("body", DECLINED.values(), ids=DECLINED.keys())
def test_what_only_feedparser_can_tell_is_declined(body: bytes) -> None:
    """DTDs, entities, RDF, old versions, XHTML, base64, xml:base, odd dates, charsets: None."""
    assert fastxml.read(body) is None
    try:
        expected: Document | str = slow(body)
    except FeedError as exc:
        expected = str(exc)
    try:
        found: Document | str = parse_document(body)
    except FeedError as exc:
        found = str(exc)
    assert found == expected


def test_charsets_feedparser_reads_the_same_way() -> None:
    """A BOM, Latin-1 and Windows-1252 declared, no declaration: read as feedparser reads them."""
    item = "<item><title>Caf\xe9 \u2013 \u201cx\u201d</title></item>"
    for declaration, codec in (
        ('<?xml version="1.0" encoding="ISO-8859-1"?>', "latin-1"),
        ('<?xml version="1.0" encoding="windows-1252"?>', "cp1252"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?>', "cp1252"),
        ("<?xml version='1.0'?>", "utf-8"),
        ("", "utf-8"),
    ):
        body = rss(item, head=declaration).decode().encode(codec, "xmlcharrefreplace")
        assert assert_alike(body), declaration
    for declaration in ("", '<?xml version="1.0" encoding="UTF-8"?>', "<?xml encoding='latin-1'?>"):
        assert assert_alike(b"\xef\xbb\xbf" + rss(item, head=declaration)), declaration


def test_the_tables_copied_from_feedparser_are_still_its_own() -> None:
    """Windows-1252 map and feedparser's handlers: an upgrade that changes them fails here."""
    from feedparser.api import StrictFeedParser
    from feedparser.html import _cp1252

    assert _cp1252 == fastxml._CP1252
    handled = {
        name.split("_", 2)[2].lower()
        for name in dir(StrictFeedParser)
        if name.startswith(("_start_", "_end_")) and name.count("_") == 2
    }
    assert handled <= fastxml._NOT_PLAIN


# -- dates ---------------------------------------------------------------------------------

_ZONES = ["GMT", "UT", "UTC", "Z", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT"]
_OFFSETS = st.builds(
    lambda sign, hours, minutes, colon: f"{sign}{hours:02d}{colon}{minutes:02d}",
    st.sampled_from("+-"),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(["", ":"]),
)
_MOMENTS = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))


def _rfc822(moment: datetime, day_name: bool, seconds: bool, short_year: bool, zone: str) -> str:
    year = f"{moment.year % 100:02d}" if short_year else f"{moment.year:04d}"
    clock = moment.strftime("%H:%M:%S" if seconds else "%H:%M")
    date = f"{moment.day} {moment.strftime('%b')} {year} {clock} {zone}"
    return f"{moment.strftime('%a')}, {date}" if day_name else date


def _rfc3339(moment: datetime, seconds: bool, fraction: str, zone: str) -> str:
    clock = moment.strftime("%H:%M:%S" if seconds else "%H:%M") + (fraction if seconds else "")
    return f"{moment.year:04d}-{moment.strftime('%m-%dT')}{clock}{zone}"


_RFC3339_ZONES = st.sampled_from(["Z", "z", ""]) | _OFFSETS.filter(lambda zone: zone[3] == ":")
DATES = st.one_of(
    st.builds(
        _rfc822,
        _MOMENTS,
        st.booleans(),
        st.booleans(),
        st.booleans(),
        st.sampled_from([*_ZONES, "CET", "gmt", "A", "Etc/GMT"]) | _OFFSETS,
    ),
    st.builds(
        _rfc3339, _MOMENTS, st.booleans(), st.sampled_from(["", ".5", ".123456"]), _RFC3339_ZONES
    ),
    st.sampled_from(
        [
            "",
            "Mon, 31 Feb 2025 10:00:00 GMT",
            "Mon, 03 Nov 2025 24:00:00 GMT",
            "Mon, 03 Nov 2025 23:59:60 GMT",
            "2025-02-29T10:00:00Z",
            "2025-11-03",
            "2025-11-03 10:00:00Z",
            "Nov 3, 2025",
            "Mon, 01 Jan 0001 00:00:00 +0100",
            "Fri, 31 Dec 9999 23:59:59 -0100",
            "yesterday",
        ]
    ),
)


@settings(max_examples=500, deadline=None)
@given(DATES)
@example("Sat, 07 Sep 2019 00:03:14 PDT")
@example("Thu, 01 Jan 2026 00:00:00 +0000")
def test_dates_read_as_feedparser_reads_them(text: str) -> None:
    """An RFC 822 or RFC 3339 date gives feedparser's moment, or is declined."""
    from feedparser.datetimes import _parse_date

    try:
        moment = fastxml.parse_date(text)
    except fastxml.Declined:
        return
    parsed = _parse_date(text)
    expected = None if parsed is None else datetime(*parsed[:6], tzinfo=UTC)
    assert moment == expected


# -- a corpus of documents -------------------------------------------------------------------


def rarely(usual: st.SearchStrategy[str], rare: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """`rare` one time in eight: what makes the fast path decline must not swamp the corpus."""
    return st.integers(0, 7).flatmap(lambda n: rare if n == 5 else usual)


_PIECES = rarely(
    st.one_of(
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8).map(
            lambda text: text.replace("&", "&amp;").replace("<", "&lt;").replace("]]>", "")
        ),
        st.sampled_from(
            [
                "&amp;", "&lt;p&gt;x&lt;/p&gt;", "&#8211;", "&#x85;", "&#x80;", "\u0085", "\u0096",
                "Ã©", "â\x80\x93", "Ã¢â\u201a¬â\u20ac\u0153", "\u00e9", "\u2019", "  ", "\n", "\t",
                "<![CDATA[<b>x</b> & y]]>", "<![CDATA[]]>", "&apos;&quot;", "&amp;amp;", "&amp;x;",
                "https://x.test//a", "https:///b", "HTTP://X", "<!-- c -->", "<?pi x?>", " ",
            ]
        ),
    ),
    st.sampled_from(["&nbsp;", "<b>b</b>", "\x01"]),
)  # fmt: skip
TEXT = st.lists(_PIECES, max_size=4).map("".join)
_TYPES = rarely(
    st.sampled_from(["", ' type="html"', ' type="text"', ' type="TEXT/HTML"', ' type="plain"']),
    st.sampled_from([' type="xhtml"', ' type="text/xml"', ' mode="base64"']),
)


_NOTHING = st.just("")


def _element(name: str, attributes: st.SearchStrategy[str] = _NOTHING) -> st.SearchStrategy[str]:
    return st.builds(lambda a, text: f"<{name}{a}>{text}</{name}>", attributes, TEXT | DATES)


_LINK_ATTRIBUTES = st.builds(
    lambda rel, kind, href: f"{rel}{kind}{href}",
    st.sampled_from(["", ' rel="alternate"', ' rel="self"', ' rel="ALTERNATE"', ' rel=""']),
    st.sampled_from(["", ' type="text/html"', ' type="application/json"', ' type="HTML"']),
    st.sampled_from(["", ' href="https://x.test/a"', ' href=""', ' href="https:////x.test/b"']),
)
_COMMON = [
    _element("title", _TYPES),
    _element("link", _LINK_ATTRIBUTES),
    _element("updated"),
    _element("summary", _TYPES),
    _element("content", _TYPES),
    _element("category", st.sampled_from(["", ' term="t"'])),
    _element("comments"),
    _element("foo", st.sampled_from(["", ' a="1"'])),
    _element("author"),
    st.just("<author><name>n</name><email>e@x.test</email></author>"),
]
_RARE = [
    _element("date"),
    _element("modified"),
    _element("source"),
    _element("dc:creator"),
    _element("content", st.just(' src="x"')),
    st.just("<author><foo>n</foo></author>"),
    st.just("<description><p>raw</p></description>"),
    st.just("<title xml:base='https://x.test/'>t</title>"),
]
ITEM_CHILDREN = rarely(
    st.one_of(
        *_COMMON,
        _element("description", _TYPES),
        _element("pubDate"),
        _element("guid", st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"'])),
        _element("content:encoded", _TYPES),
        _element("atom:link", _LINK_ATTRIBUTES),
        _element("maintenanceEndDate"),
    ),
    st.one_of(*_RARE),
)
ENTRY_CHILDREN = rarely(
    st.one_of(*_COMMON, _element("id"), _element("published")), st.one_of(*_RARE)
)
CHANNEL_CHILDREN = rarely(
    st.one_of(
        _element("title", _TYPES),
        _element("link", _LINK_ATTRIBUTES),
        _element("generator", st.sampled_from(["", ' uri="https://x.test" version="1"'])),
        _element("ttl"),
        _element("description"),
        _element("lastBuildDate"),
        _element("language"),
        _element("docs"),
        _element("id"),
    ),
    st.one_of(
        st.just("<image><title>i</title><url>https://x.test/i</url><link>l</link></image>"),
        st.just("<image><title></title></image>"),
        _element("ttl", st.just(' a="1"')),
        _element("textInput"),
    ),
)


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        items = "".join(
            "<item>" + "".join(draw(st.lists(ITEM_CHILDREN, max_size=7))) + "</item>"
            for _ in range(draw(st.integers(0, 3)))
        )
        channel = draw(st.lists(CHANNEL_CHILDREN, max_size=5))
        split = draw(st.integers(0, len(channel)))
        version = draw(rarely(st.sampled_from(["2.0", "2.01"]), st.sampled_from(["0.91", ""])))
        text = (
            f'<rss version="{version}" xmlns:atom="http://www.w3.org/2005/Atom"'
            ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            + "".join(channel[:split])
            + items
            + "".join(channel[split:])
            + "</channel></rss>"
        )
    else:
        entries = "".join(
            "<entry>" + "".join(draw(st.lists(ENTRY_CHILDREN, max_size=7))) + "</entry>"
            for _ in range(draw(st.integers(0, 3)))
        )
        feed = "".join(draw(st.lists(CHANNEL_CHILDREN, max_size=5)))
        lang = draw(st.sampled_from(["", ' xml:lang="en-US"']))
        text = f'<feed xmlns="http://www.w3.org/2005/Atom"{lang}>{feed}{entries}</feed>'
    declaration, codec = draw(
        st.sampled_from(
            [
                ('<?xml version="1.0" encoding="UTF-8"?>\n', "utf-8"),
                ("", "utf-8"),
                ('<?xml version="1.0" encoding="ISO-8859-1"?>', "latin-1"),
                ('<?xml version="1.0" encoding="windows-1252"?>', "cp1252"),
                ('<?xml version="1.0" encoding="utf-8"?>', "cp1252"),
            ]
        )
    )
    bom = b"\xef\xbb\xbf" if codec == "utf-8" and draw(st.booleans()) else b""
    return bom + (declaration + text).encode(codec, "xmlcharrefreplace")


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_documents_read_alike(body: bytes) -> None:
    """A generated RSS or Atom document: declined, or read exactly as feedparser reads it."""
    assert_alike(body)


def test_the_generated_corpus_often_takes_the_fast_path() -> None:
    """The corpus above tests something: a fair share of its documents is not declined."""
    read = 0
    total = 0

    @settings(max_examples=200, deadline=None, database=None)
    @given(documents())
    def count(body: bytes) -> None:
        nonlocal read, total
        total += 1
        read += fastxml.read(body) is not None

    count()
    assert read * 4 > total, f"only {read} of {total} generated documents took the fast path"
