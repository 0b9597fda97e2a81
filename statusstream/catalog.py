"""The built-in catalog of well-known status pages (`statusstream --catalog`, bare names).

The data is `data/catalog.tsv`, packaged with the code and read on first use only: a program
that never names a catalog entry never pays for it.
"""

from __future__ import annotations

import difflib
import functools
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

from statusstream import providers

_COLUMNS = ("name", "title", "url", "provider", "pattern")
_PATTERNS = {"documented": True, "provider-specific": False}


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    title: str
    url: str
    provider: str
    documented: bool  # the URL follows the platform's documented feed location


@functools.cache
def entries() -> tuple[Entry, ...]:
    """Every catalog entry, in the order of the data file."""
    data = resources.files("statusstream").joinpath("data").joinpath("catalog.tsv")
    return tuple(_parse(data.read_text(encoding="utf-8")))


def lookup(name: str) -> Entry | None:
    """The entry called `name` (any case), or None."""
    return _by_name().get(name.lower())


def close_names(word: str) -> list[str]:
    """Catalog names that `word` may have meant (a typo, a prefix), best first."""
    word = word.lower()
    names = list(_by_name())
    found = [name for name in names if len(word) >= 3 and name.startswith(f"{word}-")]
    found += difflib.get_close_matches(word, names, n=3, cutoff=0.75)
    return list(dict.fromkeys(found))[:3]


def as_feeds_text() -> str:
    """The catalog as a feeds file: `name url provider=...` a line, names first for `grep`."""
    all_entries = entries()
    lines = [
        f"# statusstream built-in catalog: {len(all_entries)} status pages.",
        "# Each line: NAME URL provider=FORMAT. Pick the ones you want, for example:",
        "#   statusstream --catalog | grep -i -E '^(openai|github) ' | statusstream --once",
    ]
    for entry in all_entries:
        words = [shlex.quote(entry.name), shlex.quote(entry.url)]
        if entry.provider in providers.NAMES:
            words.append(f"provider={shlex.quote(entry.provider)}")
        lines.append(" ".join(words))
    return "\n".join(lines) + "\n"


@functools.cache
def _by_name() -> dict[str, Entry]:
    return {entry.name: entry for entry in entries()}


def _parse(text: str) -> Iterator[Entry]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = tuple(line.split("\t"))
        if fields == _COLUMNS:
            continue
        if len(fields) != len(_COLUMNS) or fields[4] not in _PATTERNS:
            message = f"catalog.tsv:{number}: expected {' TAB '.join(_COLUMNS)}"
            raise ValueError(message)
        name, title, url, provider, pattern = fields
        yield Entry(name, title, url, provider, _PATTERNS[pattern])
