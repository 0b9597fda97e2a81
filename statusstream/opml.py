"""OPML subscription lists: the feed outlines read from one, and one written for a list of feeds.

What an outline's URL and name mean as a feed definition is `feeds`' business; this module
knows the format only.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Outline:
    """An `<outline>` with an `xmlUrl`."""

    number: int  # its place among all the document's outlines, from 1: "outline 3"
    url: str  # `xmlUrl`, as written
    title: str  # `title`, else `text`, else ""


def is_opml(text: str) -> bool:
    """Whether a definitions text is an OPML document: `<opml` near its start."""
    return "<opml" in text[:2048].lower()


def outlines(text: str) -> list[Outline]:
    """Every `<outline xmlUrl=...>`, nested or not, in document order.

    `ValueError` for a text that is not well-formed XML.
    """
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        message = f"not a valid OPML document: {exc}"
        raise ValueError(message) from None
    found = []
    for number, outline in enumerate(root.iter("outline"), 1):
        url = outline.get("xmlUrl")
        if url is not None:
            title = outline.get("title") or outline.get("text") or ""
            found.append(Outline(number, url, title))
    return found


def document(feeds: Iterable[tuple[str | None, str]], title: str = "statusstream feeds") -> str:
    """An OPML 2.0 subscription list of (name, URL) pairs; a feed without a name shows its URL."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    body = ElementTree.SubElement(root, "body")
    for name, url in feeds:
        shown = name or url
        ElementTree.SubElement(body, "outline", type="rss", text=shown, title=shown, xmlUrl=url)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, "unicode") + "\n"
