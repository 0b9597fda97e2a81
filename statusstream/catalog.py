"""The built-in catalog of well-known status pages (`statusstream --catalog`, bare names).

The data is `data/catalog.tsv`, packaged with the code and read on first use only: a program
that never names a catalog entry never pays for it.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

from statusstream.text import clean

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


def names() -> list[str]:
    """Every catalog name, in the order of the data file."""
    return list(_by_name())


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
    """The catalog as a feeds file: a bare name a line (first, for `grep`), its title and URL
    in a comment. Read back, each name stands for its entry, as it does anywhere else, so
    the events' `source` is the entry's title either way."""
    all_entries = entries()
    lines = [
        f"# statusstream built-in catalog: {len(all_entries)} status pages.",
        "# Each line: a NAME, which stands for that page in a feeds file or on the command",
        "# line; then, as a comment, the title (the events' source), the feed URL and its",
        "# format. Pick the ones you want, for example:",
        "#   statusstream --catalog | grep -i -E '^(openai|github) ' | statusstream --once",
    ]
    width = max(len(entry.name) for entry in all_entries)
    for entry in all_entries:
        title = clean(entry.title)
        lines.append(f"{entry.name:<{width}}  # {title}: {entry.url} ({entry.provider})")
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
