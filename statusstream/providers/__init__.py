"""Status-page formats: pure functions from a parsed `Document` to incident updates.

`PROVIDERS` is the one table of them, in detection order: each recognises its format from
the feed itself (generator, link and id patterns, markup). `generic` is the fallback and
matches anything, so it comes last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


PROVIDERS: tuple[Provider, ...] = (
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

NAMES: tuple[str, ...] = tuple(provider.name for provider in PROVIDERS)


def by_name(name: str) -> Provider:
    for provider in PROVIDERS:
        if provider.name == name:
            return provider
    message = f"unknown provider {name!r} (known: {', '.join(NAMES)})"
    raise KeyError(message)


def detect(document: Document) -> Provider:
    """The first provider that recognises the document."""
    return next(provider for provider in PROVIDERS if provider.detect(document))
