"""Feed definitions -> `FeedSpec`: text lines (SPEC §2) or an OPML document.

# comment
https://www.githubstatus.com/history.rss
OpenAI https://status.openai.com/feed.rss
"Google Cloud" https://status.cloud.google.com/en/feed.atom interval=5m
Internal https://status.example.com/feed.rss header="Authorization: Bearer $TOKEN"
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

from statusstream import providers
from statusstream.errors import DefinitionError
from statusstream.text import clean, has_control
from statusstream.timeutil import parse_duration

if TYPE_CHECKING:
    from statusstream import catalog

_URL_LIKE = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|(?:javascript|data|file|mailto|about|vbscript):)",
    re.IGNORECASE,
)
_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e]*$")  # what every HTTP stack sends as it is
_USERINFO = re.compile(r"(//)[^/?#@]*@")
_QUOTING = re.compile(r"[\\'\"]")
_SHLEX_SPACE = re.compile(r"[ \t\r\n]+")  # the white space `shlex` splits at
_COMMENT = re.compile(r"(?:^|(?<=\s))#")  # as `_strip_comment` sees one
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")
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


def load(sources: Iterable[tuple[str, str]]) -> Definitions:
    """Parse (name, text) sources; `DefinitionError` lists every bad line."""
    feeds: dict[str, FeedSpec] = {}
    problems: list[str] = []
    warnings: list[str] = []
    for origin, text in sources:
        specs = (
            _parse_opml(origin, text, problems)
            if _is_opml(text)
            else _parse_lines(origin, text, problems)
        )
        for spec in specs:
            if spec.url in feeds:
                warnings.append(
                    f"{spec.origin}: {spec.url} is already defined at "
                    f"{feeds[spec.url].origin}; using that one"
                )
                continue
            feeds[spec.url] = spec
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


def parse_line(line: str, origin: str = "") -> FeedSpec | None:
    """One definition line -> a `FeedSpec`; None for a blank or comment line; else `ValueError`."""
    tokens = split_words(line)
    if not tokens:
        return None
    position = next((i for i, token in enumerate(tokens) if _URL_LIKE.match(token)), None)
    title = None
    if position is None:  # perhaps `NAME [key=value ...]` for a catalog entry
        entry = _catalog_entry(tokens)
        if entry is None:
            shown = _shown(line.partition("header=")[0])  # header values are secrets
            message = f"no feed URL in {shown!r} (expected: [NAME] URL [key=value ...])"
            raise ValueError(message + _catalog_hint(tokens))
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


def _bare_word(tokens: list[str]) -> bool:
    """Whether the tokens are `WORD [key=value ...]`: the form of a catalog name."""
    return "=" not in tokens[0] and all("=" in token for token in tokens[1:])


def _catalog_entry(tokens: list[str]) -> catalog.Entry | None:
    """The catalog entry that a line of a bare word (and options) stands for, if any."""
    if not _bare_word(tokens):
        return None
    from statusstream import catalog  # read only for a line without a URL

    return catalog.lookup(tokens[0])


def _catalog_hint(tokens: list[str]) -> str:
    """`; did you mean 'stripe' from the catalog?` for a near miss, else ''."""
    if not _bare_word(tokens):
        return ""
    from statusstream import catalog

    close = " or ".join(repr(name) for name in catalog.close_names(tokens[0]))
    return f"; did you mean {close} from the catalog?" if close else ""


@functools.cache
def host_of(url: str) -> str:
    """The host of a checked URL, in lower case: what the per-host limit counts by."""
    return urlsplit(url).hostname or ""


def check_url(url: str) -> str:
    """Only absolute http and https URLs with a host, and nothing that could drive a terminal."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unclosed `[` of an IPv6 address, ...
        message = f"invalid URL {_shown(url)!r}: {exc}"
        raise ValueError(message) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        message = (
            f"unsupported scheme {clean(scheme)[:20]!r} in {_shown(url)!r} (only http and https)"
        )
        raise ValueError(message)
    if not parts.hostname:
        message = f"no host in {_shown(url)!r}"
        raise ValueError(message)
    if _URL_FORBIDDEN.search(url) or has_control(url):
        message = f"white space or control characters in {_shown(url)!r}"
        raise ValueError(message)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        message = f"bad port in {_shown(url)!r}"
        raise ValueError(message)
    return url


def split_credentials(url: str) -> tuple[str, str | None]:
    """`https://user:pass@host/x` -> (`https://host/x`, a Basic `Authorization` value).

    Credentials in a URL are secrets like header values: the feed's URL, which appears in the
    output, the logs and the state file, is the one without them.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
    return urlunsplit(parts._replace(netloc=host)), f"Basic {token}"


def _shown(text: str) -> str:
    """A URL or line as quoted in a message: one clean line, short, credentials hidden."""
    return clean(_USERINFO.sub(r"\1***@", text))[:80]


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
    if not _QUOTING.search(line):  # the common line, at a tenth of the cost
        words = _COMMENT.split(line, 1)[0].strip(" \t\r\n")
        return _SHLEX_SPACE.split(words) if words else []
    try:
        return shlex.split(_strip_comment(line), posix=True)
    except ValueError as exc:  # an unclosed quote
        message = f"cannot split the line: {exc}"
        raise ValueError(message) from None


def _strip_comment(line: str) -> str:
    """Cut a `#` comment that starts a word outside quotes; `#` inside a URL stays.

    Quotes and backslashes count as they do for `shlex`: `Bob\\'s` opens no quote.
    """
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


def _is_opml(text: str) -> bool:
    return "<opml" in text[:2048].lower()


def _parse_opml(origin: str, text: str, problems: list[str]) -> list[FeedSpec]:
    """Every `<outline xmlUrl=...>`; its `title` or `text` is the name."""
    import xml.etree.ElementTree as ElementTree  # only for OPML, rarer than text lines

    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        problems.append(f"{origin}: not a valid OPML document: {exc}")
        return []
    specs = []
    for number, outline in enumerate(root.iter("outline"), 1):
        url = outline.get("xmlUrl")
        if url is None:
            continue
        where = f"{origin}:outline {number}"
        try:
            url, credentials = split_credentials(check_url(url.strip()))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        name = clean(outline.get("title") or outline.get("text") or "") or None
        headers = (("Authorization", credentials),) if credentials else ()
        specs.append(FeedSpec(url=url, name=name, headers=headers, origin=where))
    return specs


def in_shard(url: str, shard: int, shards: int) -> bool:
    """Whether `url` belongs to shard `shard` of `shards` (1-based): the same on every machine."""
    value = int.from_bytes(hashlib.sha256(url.encode()).digest()[:8], "big")
    return value % shards == shard - 1


def to_opml(specs: Iterable[FeedSpec], title: str = "statusstream feeds") -> str:
    """The feeds as an OPML 2.0 subscription list (names and URLs; options and secrets stay out)."""
    import xml.etree.ElementTree as ElementTree

    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    body = ElementTree.SubElement(root, "body")
    for spec in specs:
        name = spec.name or spec.url
        ElementTree.SubElement(body, "outline", type="rss", text=name, title=name, xmlUrl=spec.url)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, "unicode") + "\n"
