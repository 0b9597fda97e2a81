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
# `www.githubstatus.com/history.rss`, `status.example.com`, `localhost:8080/feed`: a URL
# without its scheme (a port, a path, or a host that does not end like a file name).
_SCHEMELESS = re.compile(
    r"^(?://)?(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?)"
    r"(?P<port>:[0-9]+)?(?P<path>[/?#][!-~]*)?$"
)
_FILE_ENDINGS = {
    *("atom", "cfg", "conf", "csv", "ini", "json", "list", "log", "lst", "md", "opml", "rss"),
    *("text", "tsv", "txt", "xml", "yaml", "yml"),
}
DEFAULT_PORTS = {"http": 80, "https": 443}
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
                if _is_opml(text)
                else _parse_lines(origin, text, problems)
            )
        for spec in specs:
            key = same_feed(spec.url)
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


def from_argument(word: str, origin: str) -> FeedSpec:
    """A command-line argument that is not a file: an http(s) URL, or a catalog name.

    Anything else is a `ValueError` that names the three things it could have been.
    """
    if _URL_LIKE.match(word):
        try:
            url, credentials = split_credentials(check_url(word))
        except ValueError as exc:
            message = f"{origin}: {exc}"
            raise ValueError(message) from None
        headers = (("Authorization", credentials),) if credentials else ()
        return FeedSpec(url=url, headers=headers, origin=origin)
    entry = _catalog_entry([word]) if word else None
    if entry is not None:
        known = entry.provider in providers.NAMES
        provider = entry.provider if known else None
        return FeedSpec(url=entry.url, name=entry.title, provider=provider, origin=origin)
    hint = scheme_hint(word)
    if hint is not None:
        suggestion = f"; did you mean {_shown(hint)!r}?"
    else:
        suggestion = _catalog_hint([word]) or " (statusstream --catalog lists the names)"
    message = f"{_shown(word)!r} is not a file, an http(s):// URL or a catalog name{suggestion}"
    raise ValueError(message)


def same_feed(url: str) -> str:
    """The form of a checked URL that two spellings of one feed share: the scheme and host in
    lower case, the host in IDNA without a trailing dot, no default port, `/` for no path."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = wire_host(parts.hostname or "").removesuffix(".")
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None and parts.port != DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


def scheme_hint(word: str) -> str | None:
    """`https://` + `word` when `word` looks like a URL written without its scheme, else None."""
    match = _SCHEMELESS.match(word)
    if match is None:
        return None
    labels = match["host"].removesuffix(".").split(".")
    if not (match["port"] or match["path"]):  # `status.example.com`, not `feeds.txt`
        ending = labels[-1].lower()
        if len(labels) < 3 or not ending.isalpha() or ending in _FILE_ENDINGS:
            return None
    elif len(labels) < 2 and not match["port"]:  # `feeds/list.txt`
        return None
    return f"https://{word.removeprefix('//')}"


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


def _bare_word(tokens: list[str]) -> bool:
    """Whether the tokens are `WORD [key=value ...]`: the form of a catalog name."""
    return "=" not in tokens[0] and all("=" in token for token in tokens[1:])


def _catalog_entry(tokens: list[str]) -> catalog.Entry | None:
    """The catalog entry that a line of a bare word (and options) stands for, if any."""
    if not _bare_word(tokens):
        return None
    from statusstream import catalog  # read only for a line without a URL

    return catalog.lookup(tokens[0])


def _line_hint(tokens: list[str]) -> str:
    """`; did you mean 'https://...'?` for a URL without its scheme, else a catalog hint."""
    for token in tokens:
        if "=" in token:  # an option, perhaps a secret header
            break
        hint = scheme_hint(token)
        if hint is not None:
            return f"; did you mean {_shown(hint)!r}?"
    return _catalog_hint(tokens)


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
        hint = scheme_hint(url)
        if hint is not None:
            message = f"no scheme in {_shown(url)!r}; did you mean {_shown(hint)!r}?"
            raise ValueError(message)
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
    try:
        wire_host(parts.hostname)
    except ValueError as exc:
        message = f"{exc} in {_shown(url)!r}"
        raise ValueError(message) from None
    return url


def wire_host(host: str) -> str:
    """The host as it is resolved and sent: IDNA for a name that is not ASCII (as httpx2 encodes
    it), each label 1 to 63 characters, 253 in all; `ValueError` for a host that is none of it.
    """
    if ":" in host:  # an IPv6 address, checked by `urlsplit`
        return host
    if not host.isascii():
        import idna  # only for an international name

        try:
            host = idna.encode(host.lower()).decode("ascii")
        except idna.IDNAError as exc:
            message = f"not a valid international host name ({exc})"
            raise ValueError(message) from None
    name = host.removesuffix(".")
    if len(name) > 253:
        message = f"a host name of {len(name)} characters (at most 253)"
        raise ValueError(message)
    for label in name.split("."):
        if not label:
            message = "an empty label (`..`) in the host name"
            raise ValueError(message)
        if len(label) > 63:
            message = f"a host name label of {len(label)} characters (at most 63)"
            raise ValueError(message)
    return host


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
