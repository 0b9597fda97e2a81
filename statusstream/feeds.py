"""Feed definitions -> `FeedSpec`: text lines (SPEC §2) or an OPML document.

# comment
https://www.githubstatus.com/history.rss
OpenAI https://status.openai.com/feed.rss
"Google Cloud" https://status.cloud.google.com/en/feed.atom interval=5m
Internal https://status.example.com/feed.rss header="Authorization: Bearer $TOKEN"
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from statusstream import catalog, opml, providers
from statusstream.errors import DefinitionError
from statusstream.text import clean
from statusstream.timeutil import parse_duration
from statusstream.urls import (
    check_url,
    looks_like_url,
    normal_form,
    scheme_hint,
    shown,
    split_credentials,
)

_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e]*$")  # what every HTTP stack sends as it is
OPTIONS = ("interval", "timeout", "header", "provider")


@dataclass(frozen=True, slots=True)
class FeedSpec:
    url: str
    name: str | None = None
    interval: float | None = None
    timeout: float | None = None
    provider: str | None = None
    # Secrets: never in a repr, a log line, an error or the state file.
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    origin: str = ""  # "feeds.txt:12", for messages


@dataclass(frozen=True, slots=True)
class Definitions:
    feeds: tuple[FeedSpec, ...]
    warnings: tuple[str, ...]


def load(sources: Iterable[tuple[str, str] | FeedSpec]) -> Definitions:
    """Parse (name, text) sources, and take `FeedSpec`s (from the command line) as they are.

    `DefinitionError` lists every bad line. One URL written twice (also with another case of
    host, its default port or a trailing dot) is one feed, the first, and a warning.
    """
    feeds: dict[str, FeedSpec] = {}
    problems: list[str] = []
    warnings: list[str] = []
    for source in sources:
        if isinstance(source, FeedSpec):
            specs = [source]
        else:
            origin, text = source
            specs = (
                _parse_opml(origin, text, problems)
                if opml.is_opml(text)
                else _parse_lines(origin, text, problems)
            )
        for spec in specs:
            key = normal_form(spec.url)
            if key in feeds:
                warnings.append(
                    f"{spec.origin}: {spec.url} is already defined at "
                    f"{feeds[key].origin}; using that one"
                )
                continue
            feeds[key] = spec
    if problems:
        raise DefinitionError("\n".join(problems))
    return Definitions(tuple(feeds.values()), tuple(warnings))


def _parse_lines(origin: str, text: str, problems: list[str]) -> list[FeedSpec]:
    specs = []
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{origin}:{number}"
        try:
            spec = parse_line(line.removeprefix("\ufeff"), where)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if spec is not None:
            specs.append(spec)
    return specs


def _parse_opml(origin: str, text: str, problems: list[str]) -> list[FeedSpec]:
    """Every `<outline xmlUrl=...>`; its `title` or `text` is the name."""
    try:
        outlines = opml.outlines(text)
    except ValueError as exc:
        problems.append(f"{origin}: {exc}")
        return []
    specs = []
    for outline in outlines:
        where = f"{origin}:outline {outline.number}"
        try:
            url, credentials = split_credentials(check_url(outline.url.strip()))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        name = clean(outline.title) or None
        headers = (("Authorization", credentials),) if credentials else ()
        specs.append(FeedSpec(url=url, name=name, headers=headers, origin=where))
    return specs


def parse_line(line: str, origin: str = "") -> FeedSpec | None:
    """One definition line -> a `FeedSpec`; None for a blank or comment line; else `ValueError`."""
    tokens = split_words(line)
    if not tokens:
        return None
    position = next((i for i, token in enumerate(tokens) if looks_like_url(token)), None)
    title = None
    if position is None:  # perhaps `NAME [key=value ...]` for a catalog entry
        entry = catalog_entry(tokens)
        if entry is None:
            quoted = shown(line.partition("header=")[0])  # header values are secrets
            message = f"no feed URL in {quoted!r} (expected: [NAME] URL [key=value ...])"
            raise ValueError(message + _line_hint(tokens))
        known = entry.provider in providers.NAMES
        title, position = entry.title, 0
        tokens = [entry.url, *([f"provider={entry.provider}"] if known else []), *tokens[1:]]
    for token in tokens[:position]:
        key, equals, _ = token.partition("=")
        if equals and key in OPTIONS:  # not a name: `header=` before the URL holds a secret
            message = f"{key}= before the URL (expected: [NAME] URL [key=value ...])"
            raise ValueError(message)
    url, credentials = split_credentials(check_url(tokens[position]))
    name = title or clean(" ".join(tokens[:position])) or None
    options: dict[str, object] = {}
    headers: list[tuple[str, str]] = []
    for token in tokens[position + 1 :]:
        key, equals, value = token.partition("=")
        if headers and (not equals or key not in OPTIONS):
            # Perhaps the rest of an unquoted header value (`Bearer abc==`): a secret.
            message = 'unexpected text after a header= option (quote it: header="Name: value")'
            raise ValueError(message)
        if not equals:
            message = f"unexpected {clean(token)[:40]!r} after the URL (options are key=value)"
            raise ValueError(message)
        if key == "header":
            headers.append(parse_header(value))
        elif key in ("interval", "timeout"):
            options[key] = parse_duration(value)
        elif key == "provider":
            if value not in providers.NAMES:
                message = f"unknown provider {value!r} (known: {', '.join(providers.NAMES)})"
                raise ValueError(message)
            options[key] = value
        else:
            message = f"unknown option {key!r} (known: {', '.join(OPTIONS)})"
            raise ValueError(message)
    if credentials is not None:
        if any(header.lower() == "authorization" for header, _ in headers):
            message = "credentials in the URL and an Authorization header: keep one"
            raise ValueError(message)
        headers.append(("Authorization", credentials))
    return FeedSpec(
        url=url,
        name=name,
        interval=options.get("interval"),  # type: ignore[arg-type]
        timeout=options.get("timeout"),  # type: ignore[arg-type]
        provider=options.get("provider"),  # type: ignore[arg-type]
        headers=tuple(headers),
        origin=origin,
    )


def parse_header(value: str) -> tuple[str, str]:
    """`Name: value` with `$VAR` / `${VAR}` from the environment. Errors never quote the value."""
    name, colon, raw = value.partition(":")
    name = name.strip()
    if not colon or not _HEADER_NAME.match(name):
        message = "header= needs 'Name: value'"
        raise ValueError(message)

    def expand(match: re.Match[str]) -> str:
        variable = match["braced"] or match["plain"]
        if variable not in os.environ:
            message = f"header {name!r} uses ${variable}, which is not set"
            raise ValueError(message)
        return os.environ[variable]

    expanded = _VARIABLE.sub(expand, raw).strip()
    if any(char in expanded for char in "\r\n\0"):
        message = f"header {name!r} has a line break in its value"
        raise ValueError(message)
    if not _HEADER_VALUE.match(expanded):
        message = f"header {name!r} has a character other than printable ASCII in its value"
        raise ValueError(message)
    return name, expanded


def split_words(line: str) -> list[str]:
    """The words of a line as `shlex` splits them, after a `#` comment is cut off."""
    try:
        return shlex.split(_strip_comment(line), posix=True)
    except ValueError as exc:  # an unclosed quote
        message = f"cannot split the line: {exc}"
        raise ValueError(message) from None


def _strip_comment(line: str) -> str:
    """Cut a `#` comment that starts a word outside quotes; `#` inside a URL stays.

    Quotes and backslashes count as they do for `shlex`: `Bob\\'s` opens no quote.
    """
    if "#" not in line:  # the usual line: nothing to cut, no need to walk it
        return line
    quote = None
    escaped = False
    word_start = True
    for index, char in enumerate(line):
        literal, escaped = escaped, False
        if literal:
            pass
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and word_start:
            return line[:index]
        word_start = not literal and quote is None and char.isspace()
    return line


def _bare_word(tokens: list[str]) -> bool:
    """Whether the tokens are `WORD [key=value ...]`: the form of a catalog name."""
    return "=" not in tokens[0] and all("=" in token for token in tokens[1:])


def catalog_entry(tokens: list[str]) -> catalog.Entry | None:
    """The catalog entry that a line of a bare word (and options) stands for, if any."""
    if not _bare_word(tokens):
        return None
    return catalog.lookup(tokens[0])


def _line_hint(tokens: list[str]) -> str:
    """`; did you mean 'https://...'?` for a URL without its scheme, else a catalog hint."""
    for token in tokens:
        if "=" in token:  # an option, perhaps a secret header
            break
        hint = scheme_hint(token)
        if hint is not None:
            return f"; did you mean {shown(hint)!r}?"
    return catalog_hint(tokens)


def catalog_hint(tokens: list[str]) -> str:
    """`; did you mean 'stripe' from the catalog?` for a near miss, else ''."""
    if not _bare_word(tokens):
        return ""
    close = " or ".join(repr(name) for name in catalog.close_names(tokens[0]))
    return f"; did you mean {close} from the catalog?" if close else ""


def in_shard(url: str, shard: int, shards: int) -> bool:
    """Whether `url` belongs to shard `shard` of `shards` (1-based): the same on every machine."""
    value = int.from_bytes(hashlib.sha256(url.encode()).digest()[:8], "big")
    return value % shards == shard - 1
