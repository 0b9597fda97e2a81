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
    """`provider` forces a format (the feed's `provider=` option); else it is detected."""
    document = parse_document(body)
    chosen = providers.by_name(provider) if provider else providers.detect(document)
    return Parsed(document.title, chosen.name, document.ttl_minutes, chosen.extract(document))
