"""Status-page formats: pure functions from a parsed `Document` to incident updates.

`all_providers()` is the one table of them, in detection order: each recognises its format from
the feed itself (generator, link and id patterns, markup). `generic` is the fallback and
matches anything, so it comes last. A provider named for a feed is a hint, used when the feed
looks like its format (`detect(document, hint)`).
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from statusstream.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from statusstream.model import Document, Update

# Detection order. The modules are imported on first use: a run whose feeds all answer 304
# never needs them, and checking a definition needs only the names.
NAMES: tuple[str, ...] = (
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


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    detect: Callable[[Document], bool]
    extract: Callable[[Document], list[Update]]


@functools.cache
def all_providers() -> tuple[Provider, ...]:
    """The table of providers, in detection order."""
    table = []
    for name in NAMES:
        module = importlib.import_module(f"{__name__}.{name}")
        table.append(Provider(name, module.detect, module.extract))
    return tuple(table)


def by_name(name: str) -> Provider:
    """The provider of that name; `UsageError` for a name not in the table."""
    for provider in all_providers():
        if provider.name == name:
            return provider
    message = f"unknown provider {name!r} (known: {', '.join(NAMES)})"
    raise UsageError(message)


def detect(document: Document, hint: str | None = None) -> Provider:
    """The provider named by `hint` if the document looks like its format, else the first
    provider that recognises the document.

    A hint comes from a definition's `provider=` or a catalog line; pages move between
    platforms, so a feed that no longer looks like the named format is read as it now is.
    """
    if hint:
        named = by_name(hint)
        if named.detect(document):
            return named
    return next(provider for provider in all_providers() if provider.detect(document))
