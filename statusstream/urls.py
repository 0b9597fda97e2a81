"""Feed URLs: the checks a URL passes before it is polled, its host as resolved and sent, the
credentials split off it, the form two spellings of one URL share, and the https:// form of
a URL written without its scheme."""

from __future__ import annotations

import base64
import functools
import re
from urllib.parse import unquote, urlsplit, urlunsplit

import idna

from statusstream.text import clean, has_control

_URL_LIKE = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|(?:javascript|data|file|mailto|about|vbscript):)",
    re.IGNORECASE,
)
_USERINFO = re.compile(r"(//)[^/?#@]*@")
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


def looks_like_url(word: str) -> bool:
    """Whether `word` is written as a URL (`scheme://...`, `javascript:...`), good or bad."""
    return _URL_LIKE.match(word) is not None


def check_url(url: str) -> str:
    """Only absolute http and https URLs with a host, and nothing that could drive a terminal."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unclosed `[` of an IPv6 address, ...
        message = f"invalid URL {shown(url)!r}: {exc}"
        raise ValueError(message) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        hint = scheme_hint(url)
        if hint is not None:
            message = f"no scheme in {shown(url)!r}; did you mean {shown(hint)!r}?"
            raise ValueError(message)
        message = (
            f"unsupported scheme {clean(scheme)[:20]!r} in {shown(url)!r} (only http and https)"
        )
        raise ValueError(message)
    if not parts.hostname:
        message = f"no host in {shown(url)!r}"
        raise ValueError(message)
    if _URL_FORBIDDEN.search(url) or has_control(url):
        message = f"white space or control characters in {shown(url)!r}"
        raise ValueError(message)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        message = f"bad port in {shown(url)!r}"
        raise ValueError(message)
    try:
        wire_host(parts.hostname)
    except ValueError as exc:
        message = f"{exc} in {shown(url)!r}"
        raise ValueError(message) from None
    return url


def wire_host(host: str) -> str:
    """The host as it is resolved and sent: IDNA for a name that is not ASCII (as httpx2 encodes
    it), each label 1 to 63 characters, 253 in all; `ValueError` for a host that is none of it.
    """
    if ":" in host:  # an IPv6 address, checked by `urlsplit`
        return host
    if not host.isascii():
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


@functools.cache
def host_of(url: str) -> str:
    """The host of a checked URL, in lower case: what the per-host limit counts by."""
    return urlsplit(url).hostname or ""


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


def normal_form(url: str) -> str:
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


def shown(text: str) -> str:
    """A URL or line as quoted in a message: one clean line, short, credentials hidden."""
    return clean(_USERINFO.sub(r"\1***@", text))[:80]
