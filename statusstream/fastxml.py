"""The fast path of `document.parse_document`: plain RSS 2.0 and Atom 1.0, read with expat.

feedparser costs milliseconds a feed; most feeds are simple. `read` builds, with the C parser
of `xml.etree.ElementTree`, exactly the fields feedparser gives for a `Document`, or returns
None when it is not sure it would: feedparser then reads the document as before. It declines:
anything expat does not accept as it stands; a DOCTYPE or an entity declaration (never
expanded here); a byte-order mark other than UTF-8's, or a declared charset outside a short
list; roots other than `<rss version="2.x">` and Atom 1.0's `<feed>`; `xml:base`; namespaced
elements other than Atom's and `content:encoded`; markup inside a text element; content
types other than text and HTML; base64 and `src` content; item dates not written as RFC 822
or RFC 3339, or impossible; and elements whose meaning to feedparser is not plain (a second
description, `<source>`, Dublin Core, RDF, ...).

What it reproduces of feedparser 6 (every rule pinned down by `tests/test_document_fast.py`):
text is stripped, then re-read as UTF-8 where it is UTF-8 read as Latin-1, then C1 controls
are mapped as Windows-1252 does; `content` falls back to `summary`; an RSS `guid` (an Atom
`id`) is an item's link when it has no other; a second non-empty title is ignored; `&amp;`
and `&name;` in RSS links are undone as feedparser undoes them; Atom links are
`rel="alternate"` HTML ones, the last winning; RFC 822 zone names are feedparser's (an
unknown one, which feedparser reads as UTC, is declined), two-digit years its century.
"""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_XML = "{http://www.w3.org/XML/1998/namespace}"

# -- the bytes: feedparser's choice of charset, and the document it hands to expat ------

_BOM_UTF8 = b"\xef\xbb\xbf"
# UTF-16/32 byte-order marks, and the first bytes of `<?xm` in UTF-16/32 and EBCDIC.
_OTHER_STARTS = (
    b"\xfe\xff",
    b"\xff\xfe",
    b"\x00\x00\xfe\xff",
    b"\x4c\x6f\xa7\x94",
    b"\x00\x3c\x00\x3f",
    b"\x3c\x00\x3f\x00",
    b"\x00\x00\x00\x3c",
    b"\x3c\x00\x00\x00",
)
_PI_ENCODING = re.compile(rb"^<\?.*encoding=['\"](.*?)['\"].*\?>")
_UNICODE_NAMES = frozenset(
    {"u16", "utf-16", "utf16", "utf_16", "u32", "utf-32", "utf32", "utf_32"}
    | {"iso-10646-ucs-2", "iso-10646-ucs-4", "csucs4", "csunicode", "ucs-2", "ucs-4"}
)
# Charsets whose Python codec is the one feedparser would use, and that cannot fail silently.
_CHARSETS = frozenset(
    {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1"}
    | {"iso-8859-15", "windows-1252", "cp1252"}
)
_DECLARATION = re.compile(r"^<\?xml[^>]*?>")
_NEW_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>"
_FIRST_ELEMENT = re.compile(r"<\w", re.ASCII)


def _xml_text(body: bytes) -> str | None:
    """The text feedparser gives expat, or None where it would guess or strip a DOCTYPE."""
    bom = body.startswith(_BOM_UTF8)
    if bom:
        body = body[3:]
    elif body.startswith(_OTHER_STARTS):
        return None
    declared = ""
    if match := _PI_ENCODING.match(body):
        try:
            declared = match[1].decode("utf-8").lower()
        except UnicodeDecodeError:
            return None
        if bom and declared in _UNICODE_NAMES:
            declared = "utf-8"
    charset = declared or "utf-8"
    if charset not in _CHARSETS:
        return None
    try:
        if bom:
            body.decode("utf-8")  # feedparser ignores the declaration of a BOM'd non-UTF-8 body
        text = body.decode(charset)
    except UnicodeDecodeError:
        return None
    if declaration := _DECLARATION.match(text):
        text = _NEW_DECLARATION + text[declaration.end() :]
    else:
        text = _NEW_DECLARATION + "\n" + text
    first = _FIRST_ELEMENT.search(text)
    if first is None or "<!" in text[: first.start()]:
        return None
    return text


# -- text as feedparser leaves it --------------------------------------------------------


def _windows_1252() -> dict[int, str]:
    """The C1 controls mapped to what Windows-1252 puts there (five bytes it leaves out)."""
    table = {}
    for code in range(0x80, 0xA0):
        try:
            table[code] = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            continue
    return table


_CP1252 = _windows_1252()
_URI_FIXER = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
_ENTITY_LEFT = re.compile(r"&([A-Za-z0-9_]+);")


def _fix(text: str) -> str:
    """UTF-8 that was read as Latin-1 read again; C1 controls as Windows-1252 has them."""
    if text.isascii():
        return text
    with contextlib.suppress(UnicodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(_CP1252)


def _uri(text: str) -> str:
    """feedparser's `_urljoin` with no base: the slashes after `scheme://` dropped."""
    return _URI_FIXER.sub(r"\1\3", text) if ":///" in text else text


# -- dates ---------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_ZONES = {
    "GMT": 0, "UT": 0, "UTC": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
    "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}  # fmt: skip
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), +)?([0-9]{1,2}) +([A-Z][a-z]{2}) +([0-9]{4}|[0-9]{2})"
    r" +([0-9]{2}):([0-9]{2})(?::([0-9]{2}))? +(?:([+-])([0-9]{2}):?([0-9]{2})|([A-Z]{1,3}))"
)
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,9})?)?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))"
)


class Declined(Exception):
    """The document needs feedparser."""


def parse_date(text: str) -> datetime | None:
    """An RFC 822 or RFC 3339 date as feedparser reads it, in UTC; `Declined` for the rest."""
    if not text:
        return None
    if match := _RFC3339.fullmatch(text):
        fields = match.groups()
        year, month, day, hour, minute = (int(value) for value in fields[:5])
        second = int(fields[5] or 0)
        sign, zone_hours, zone_minutes = fields[6:]
    elif match := _RFC822.fullmatch(text):
        day_text, month_name, year_text, hour_text, minute_text, second_text = match.groups()[:6]
        sign, zone_hours, zone_minutes, zone_name = match.groups()[6:]
        month = _MONTHS.get(month_name, 0)
        if not month or (zone_name is not None and zone_name not in _ZONES):
            raise Declined
        day, year, hour, minute = int(day_text), int(year_text), int(hour_text), int(minute_text)
        second = int(second_text or 0)
        if len(year_text) == 2:
            year += 2000 if year < 90 else 1900
        if zone_name is not None:
            sign, zone_hours, zone_minutes = "+", str(_ZONES[zone_name]), "0"
    else:
        raise Declined
    offset = timedelta(hours=int(zone_hours or 0), minutes=int(zone_minutes or 0))
    try:
        stamp = datetime(year, month, day, hour, minute, second)
        return (stamp + offset if sign == "-" else stamp - offset).replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # feedparser would try its other formats
        raise Declined from None


# -- elements ------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Lower-case names feedparser has a handler for, or stores under a key it also uses itself:
# an element of another name, a leaf, is stored and never read, so it may be skipped.
_NOT_PLAIN = _words(
    "abstract author body category channel cloud content contributor copyright created"
    " description email enclosure entry expirationdate feed fullitem generator geom georssgeom"
    " guid height homepage id image info issued item keywords language lastbuilddate link"
    " managingeditor modified name newlocation pubdate published rights rss source subtitle"
    " summary tagline tags textinput title updated uri url webmaster where width"
    " date items links authors contributors enclosures license publisher expired href ttl"
    " guidislink entries namespaces version encoding bozo headers"
)
# Elements with a handler that touches nothing a `Document` holds.
_CHANNEL_SKIPPED = _words(
    "description subtitle tagline language copyright rights managingeditor webmaster pubdate"
    " published lastbuilddate updated category cloud"
)
_ITEM_SKIPPED = _words("category enclosure rights copyright")
_PERSONS = frozenset({"author", "contributor"})  # leaves, or Atom's <name>, <email>, <uri>
_PERSON_PARTS = frozenset({"name", "email", "uri"})
_IMAGE_PARTS = frozenset({"url", "title", "link", "width", "height", "description"})
_TEXT_TYPES = frozenset({"text", "plain", "html", "text/plain", "text/html"})
_HTML_TYPES = frozenset({"text/html", "html", "application/xhtml+xml", "xhtml"})
_NO_ATTRIBUTES: dict[str, str] = {}


@dataclass(slots=True)
class Entry:
    """One item as feedparser's entry holds it (dates converted, not yet checked)."""

    id: str | None = None
    title: str = ""
    link: str | None = None
    published: str | None = None
    published_at: datetime | None = None
    updated: str | None = None
    updated_at: datetime | None = None
    summary: str | None = None
    content: str | None = None  # the first content element's


@dataclass(slots=True)
class Feed:
    """The channel as feedparser's `feed` holds it, and its entries."""

    title: str | None = None
    link: str | None = None
    generator: str | None = None
    ttl: str | None = None
    entries: list[Entry] = field(default_factory=list)


def read(body: bytes) -> Feed | None:
    """What feedparser would read from `body`, or None when only feedparser can tell."""
    text = _xml_text(body)
    if text is None:
        return None
    parser = ET.XMLParser()
    try:
        parser.feed(text)
        root = parser.close()
    except ET.ParseError:
        return None
    try:
        if root.tag == "rss":
            return _Reader().rss(root)
        if root.tag == _ATOM + "feed":
            return _Reader().atom(root)
    except Declined:
        return None
    return None


class _Reader:
    """Walks the tree as feedparser's event handlers would see it."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        # feedparser's `title_depth`: a title is ignored after a non-empty one at its depth
        self.title_depth = -1

    def name(self, tag: str) -> str:
        """Atom's and the empty namespace are one to feedparser, and names are lower case."""
        name = self.names.get(tag)
        if name is None:
            if not tag.startswith("{"):
                name = tag.lower()
            elif tag.startswith(_ATOM):
                name = tag[len(_ATOM) :].lower()
            elif tag.lower() == _CONTENT + "encoded":
                name = "content:encoded"
            else:
                raise Declined
            self.names[tag] = name
        return name

    # -- documents -------------------------------------------------------------------------

    def rss(self, root: ET.Element) -> Feed:
        if not _attributes(root).get("version", "").startswith("2.") or len(root) != 1:
            raise Declined
        channel = root[0]
        if self.name(channel.tag) != "channel" or _attributes(channel):
            raise Declined
        return self.channel(channel, depth=3, item="item")

    def atom(self, root: ET.Element) -> Feed:
        if any(key != "version" for key in _attributes(root)):
            raise Declined
        return self.channel(root, depth=2, item="entry")

    def channel(self, element: ET.Element, depth: int, item: str) -> Feed:
        feed = Feed()
        for child in element:
            name = self.name(child.tag)
            if name == item:
                feed.entries.append(self.entry(child, depth + 1))
            elif name == "title":
                value = _text(child, _attributes(child))
                if not -1 < self.title_depth <= depth:
                    feed.title = value
                if value:
                    self.title_depth = depth
            elif name == "link":
                link = _link(child, entry=False)
                if link is not None:
                    feed.link = link
            elif name in ("id", "guid"):
                guid, is_link = _guid(child)
                if is_link and feed.link is None:
                    feed.link = guid
            elif name == "generator":
                feed.generator = _text(child, _attributes(child))
            elif name == "ttl":
                if _attributes(child):  # feedparser would keep the attributes, not the text
                    raise Declined
                feed.ttl = _text(child, _NO_ATTRIBUTES)
            elif name == "image" and item == "item":
                self.image(child, depth + 1)
            elif name in _PERSONS:
                self.person(child)
            elif name in _CHANNEL_SKIPPED or _plain(name):
                _leaf(child)
            else:
                raise Declined
        return feed

    def image(self, element: ET.Element, depth: int) -> None:
        _attributes(element)
        self.title_depth = -1
        for child in element:
            name = self.name(child.tag)
            if name not in _IMAGE_PARTS:
                raise Declined
            value = _text(child, _attributes(child))
            if name == "title" and value:
                self.title_depth = depth

    def person(self, element: ET.Element) -> None:
        _attributes(element)
        for child in element:
            if self.name(child.tag) not in _PERSON_PARTS:
                raise Declined
            _leaf(child)

    def entry(self, element: ET.Element, depth: int) -> Entry:
        if _attributes(element):
            raise Declined
        self.title_depth = -1
        entry = Entry()
        has_content = False
        for child in element:
            name = self.name(child.tag)
            if name == "title":
                value = _text(child, _attributes(child))
                if not -1 < self.title_depth <= depth:
                    entry.title = value
                if value:
                    self.title_depth = depth
            elif name == "link":
                link = _link(child, entry=True)
                if link is not None:
                    entry.link = link
            elif name in ("guid", "id"):
                entry.id, is_link = _guid(child)
                if is_link and entry.link is None:
                    entry.link = entry.id
            elif name in ("pubdate", "published"):
                entry.published = _text(child, _attributes(child))
                entry.published_at = parse_date(entry.published)
            elif name == "updated":
                entry.updated = _text(child, _attributes(child))
                entry.updated_at = parse_date(entry.updated)
            elif name in ("description", "summary"):
                if entry.summary is not None and not has_content:
                    raise Declined  # feedparser would read it as content
                entry.summary = _text(child, _content_attributes(child))
            elif name in ("content", "content:encoded"):
                value = _text(child, _content_attributes(child))
                has_content = True
                if entry.content is None:
                    entry.content = value
                if entry.summary is None:
                    entry.summary = value
            elif name in _PERSONS:
                self.person(child)
            elif name in _ITEM_SKIPPED or _plain(name):
                _leaf(child)
            else:
                raise Declined
        return entry


def _plain(name: str) -> bool:
    """An element feedparser stores under its own name and nobody reads."""
    return "_" not in name and ":" not in name and name not in _NOT_PLAIN


def _attributes(element: ET.Element) -> dict[str, str]:
    """Attributes by lower-case name; `Declined` for `xml:base` and other namespaces."""
    attributes = element.attrib
    if not attributes:
        return _NO_ATTRIBUTES
    found = {}
    for key, value in attributes.items():
        if key.startswith("{"):
            if key == _XML + "lang":
                continue
            raise Declined
        lowered = key.lower()
        if lowered == "base":
            raise Declined
        found[lowered] = value
    return found


def _content_attributes(element: ET.Element) -> dict[str, str]:
    attributes = _attributes(element)
    if "src" in attributes:
        raise Declined
    return attributes


def _leaf(element: ET.Element) -> None:
    """An element skipped: it must not hold elements feedparser would read."""
    _attributes(element)
    if len(element):
        raise Declined


def _raw(element: ET.Element) -> str:
    """The text of an element without child elements, stripped."""
    if len(element):
        raise Declined
    return (element.text or "").strip()


def _text(element: ET.Element, attributes: dict[str, str]) -> str:
    """A text element's value: text or HTML, not base64."""
    if attributes:
        kind = attributes.get("type")
        if (kind is not None and kind.lower() not in _TEXT_TYPES) or "mode" in attributes:
            raise Declined
    return _fix(_raw(element))


def _link(element: ET.Element, *, entry: bool) -> str | None:
    """The link an element sets, None if it sets none."""
    attributes = _attributes(element)
    if "url" in attributes or "uri" in attributes:
        raise Declined
    if "href" not in attributes:
        value = _fix(_uri(_raw(element)))
        if "&" not in value:
            return value
        if entry:
            value = value.replace("&amp;", "&")
        return _ENTITY_LEFT.sub(r"&\g<1>", value)
    if len(element):
        raise Declined
    rel = attributes.get("rel", "alternate").lower()
    kind = attributes.get("type")
    if kind is None:
        kind = "application/atom+xml" if rel == "self" else "text/html"
    if rel == "alternate" and kind.lower() in _HTML_TYPES:
        return _uri(attributes["href"])
    return None


def _guid(element: ET.Element) -> tuple[str, bool]:
    """An RSS guid or Atom id, and whether it is also the item's link (if it has none)."""
    attributes = _attributes(element)
    is_link = attributes.get("ispermalink", "true") == "true"
    value = _raw(element)
    return _fix(_uri(value) if is_link else value), is_link
