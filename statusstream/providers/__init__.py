"""Status-page formats: pure functions from a parsed `Document` to incident updates.

`PROVIDERS` is the one table of them, in detection order: each recognises its format from
the feed itself (generator, link and id patterns, markup). `generic` is the fallback and
matches anything, so it comes last. A provider named for a feed is a hint, used when the feed
looks like its format (`detect(document, hint)`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from statusstream.errors import UsageError
from statusstream.model import Document, Update
from statusstream.providers import (
    aws,
    azure,
    betterstack,
    cachet,
    gcp,
    generic,
    incidentio,
    instatus,
    slack,
    statusio,
    statuspage,
)


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    detect: Callable[[Document], bool]
    extract: Callable[[Document], list[Update]]


# Detection order: the more specific formats first, `generic` (which takes anything) last.
PROVIDERS = (
    Provider("statuspage", statuspage.detect, statuspage.extract),
    Provider("incidentio", incidentio.detect, incidentio.extract),
    Provider("aws", aws.detect, aws.extract),
    Provider("gcp", gcp.detect, gcp.extract),
    Provider("azure", azure.detect, azure.extract),
    Provider("slack", slack.detect, slack.extract),
    Provider("statusio", statusio.detect, statusio.extract),
    Provider("betterstack", betterstack.detect, betterstack.extract),
    Provider("instatus", instatus.detect, instatus.extract),
    Provider("cachet", cachet.detect, cachet.extract),
    Provider("generic", generic.detect, generic.extract),
)
NAMES = tuple(provider.name for provider in PROVIDERS)


def by_name(name: str) -> Provider:
    """The provider of that name; `UsageError` for a name not in the table."""
    for provider in PROVIDERS:
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
    return next(provider for provider in PROVIDERS if provider.detect(document))
