"""Feed bytes -> the feed's updates: parse, recognise the format, extract.

A pure, picklable function of the body, so that it can run in a worker process: parsing is
the CPU floor of a cold poll, and processes (not threads) spread it over the cores.
"""

from __future__ import annotations

from dataclasses import dataclass

from statusstream import providers
from statusstream.document import parse_document
from statusstream.model import Update


@dataclass(frozen=True, slots=True)
class Parsed:
    title: str
    provider: str
    ttl_minutes: int | None
    updates: list[Update]


def parse_feed(body: bytes, provider: str | None = None) -> Parsed:
    """`provider` (the feed's `provider=` option, or its catalog line's) names the format to
    read the feed as when the feed looks like it; otherwise, and without one, it is detected."""
    document = parse_document(body)
    chosen = providers.detect(document, provider)
    return Parsed(document.title, chosen.name, document.ttl_minutes, chosen.extract(document))
