"""OPML subscription lists: outlines read as feed definitions, and the list written."""

from __future__ import annotations

from statusstream import opml
from tests.definitions_helpers import problems, specs

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


def test_a_document_reads_back_as_its_feeds() -> None:
    """`document` lists each feed as an outline; one without a name shows its URL as its name."""
    feeds = [("GitHub", "https://www.githubstatus.com/history.rss"), (None, "https://a.test/?x&y")]
    text = opml.document(feeds)
    assert opml.is_opml(text)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    assert [(outline.title, outline.url) for outline in opml.outlines(text)] == [
        ("GitHub", "https://www.githubstatus.com/history.rss"),
        ("https://a.test/?x&y", "https://a.test/?x&y"),
    ]
