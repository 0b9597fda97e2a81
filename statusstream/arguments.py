"""FEEDS on the command line (SPEC §1): each a definitions file, `-` for stdin, an http(s) URL
or a catalog name; the files read as UTF-8 text; what the shell completes while one is typed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from statusstream import catalog, providers
from statusstream.errors import DefinitionError, UsageError
from statusstream.feeds import FeedSpec, catalog_entry, catalog_hint
from statusstream.urls import check_url, looks_like_url, scheme_hint, shown, split_credentials


def default_to_stdin(words: tuple[str, ...]) -> tuple[str, ...]:
    """FEEDS as given; no FEEDS is `-` (stdin), unless stdin is a terminal: a usage error."""
    if words:
        return words
    if sys.stdin is not None and sys.stdin.isatty():  # None: started with fd 0 closed
        message = (
            "no feed definitions: give a file, a URL or a catalog name, or pipe them in "
            "(statusstream --once feeds.txt, or: echo URL | statusstream --once)"
        )
        raise UsageError(message)
    return ("-",)


def resolve(words: tuple[str, ...]) -> list[str | FeedSpec]:
    """Each FEEDS argument: a file name (or `-`) as it is, a URL or catalog name as its feed.

    A file that exists wins; a directory is not a definitions file. Every argument that is
    none of the three is reported at once, as a usage error.
    """
    arguments: list[str | FeedSpec] = []
    problems = []
    for number, word in enumerate(words, 1):
        if word == "-" or (os.path.lexists(word) and not os.path.isdir(word)):
            arguments.append(word)
            continue
        try:
            arguments.append(from_argument(word, f"argument {number}"))
        except ValueError as exc:
            if os.path.isdir(word):
                problems.append(f"{word!r} is a directory, not a feed-definition file")
            else:
                problems.append(str(exc))
    if problems:
        raise UsageError("\n".join(problems))
    return arguments


def from_argument(word: str, origin: str) -> FeedSpec:
    """A command-line argument that is not a file: an http(s) URL, or a catalog name.

    Anything else is a `ValueError` that names the three things it could have been.
    """
    if looks_like_url(word):
        try:
            url, credentials = split_credentials(check_url(word))
        except ValueError as exc:
            message = f"{origin}: {exc}"
            raise ValueError(message) from None
        headers = (("Authorization", credentials),) if credentials else ()
        return FeedSpec(url=url, headers=headers, origin=origin)
    entry = catalog_entry([word]) if word else None
    if entry is not None:
        known = entry.provider in providers.NAMES
        provider = entry.provider if known else None
        return FeedSpec(url=entry.url, name=entry.title, provider=provider, origin=origin)
    hint = scheme_hint(word)
    if hint is not None:
        suggestion = f"; did you mean {shown(hint)!r}?"
    else:
        suggestion = catalog_hint([word]) or " (statusstream --catalog lists the names)"
    message = f"{shown(word)!r} is not a file, an http(s):// URL or a catalog name{suggestion}"
    raise ValueError(message)


def sources(arguments: list[str | FeedSpec], stdin_text: str) -> list[tuple[str, str] | FeedSpec]:
    """What `feeds.load` takes: the files read (again, on each call), stdin as it was read once,
    the URL and catalog arguments as they are."""
    return [
        argument
        if isinstance(argument, FeedSpec)
        else ("<stdin>", stdin_text)
        if argument == "-"
        else (argument, read(argument))
        for argument in arguments
    ]


def read(name: str) -> str:
    """A definitions file (`-`: stdin) as text: UTF-8, with or without a byte order mark."""
    if name == "-" and sys.stdin is None:  # started with fd 0 closed (`<&-`)
        message = "-: cannot read: stdin is closed"
        raise UsageError(message)
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        message = f"{name}: cannot read: {exc.strerror}"
        raise UsageError(message) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"{name}: not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})"
        raise DefinitionError(message) from exc


def completions(incomplete: str) -> list[str]:
    """The catalog names that complete what is typed so far; none where it is, or begins, a path
    (the shell completes file names then)."""
    if not incomplete or _starts_a_path(incomplete):
        return []
    word = incomplete.lower()
    return [name for name in catalog.names() if name.startswith(word)]


def _starts_a_path(incomplete: str) -> bool:
    """Whether what is typed so far is, or begins, a path: completion offers files then."""
    if incomplete.startswith(("/", ".", "~")) or "/" in incomplete:
        return True
    try:
        return any(name.startswith(incomplete) for name in os.listdir("."))
    except OSError:
        return False
