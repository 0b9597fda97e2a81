"""Why a request failed, in one line a user can act on: where, and the reason underneath.

httpx2 wraps what went wrong (`ConnectError: all attempts to connect ... failed`); the
reason a user needs (refused, name not found, certificate not trusted, too many open files)
is in the exceptions it came from, sometimes inside an exception group.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator

import httpx2


def describe(exc: BaseException, url: str) -> str:
    """A failed request in one line: where (host, and port when not the default) and why."""
    if isinstance(exc, httpx2.TimeoutException):
        return f"{where(url)}: timed out"
    if isinstance(exc, httpx2.InvalidURL | httpx2.UnsupportedProtocol | UnicodeError):
        return f"invalid URL: {text(exc)}"
    if isinstance(exc, httpx2.DecodingError):
        return f"{where(url)}: cannot decode the response body: {text(exc)}"
    if isinstance(exc, httpx2.ConnectError):
        return f"{where(url)}: cannot connect: {_cause(exc)}"
    if isinstance(exc, httpx2.TransportError):
        return f"{where(url)}: network error: {_cause(exc)}"
    return f"{where(url)}: {type(exc).__name__}: {text(exc)}"


def where(url: str) -> str:
    """The host of `url`, and its port when it is not the scheme's default."""
    try:
        parsed = httpx2.URL(url)
    except Exception:  # a URL httpx2 refuses is named by the error itself
        return "the request"
    port = f":{parsed.port}" if parsed.port is not None else ""
    return f"{parsed.host}{port}"


_ERRNOS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by the server",
    errno.ETIMEDOUT: "timed out",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files in the system",
}


def _cause(exc: BaseException) -> str:
    """The readable reason under an httpx2 error: refused, name not found, certificate..."""
    for inner in _causes(exc):
        if isinstance(inner, ssl.SSLCertVerificationError):
            return f"certificate not trusted ({inner.verify_message or text(inner)})"
        if isinstance(inner, ssl.SSLError):
            return f"TLS error ({inner.reason or text(inner)})"
        if isinstance(inner, socket.gaierror):
            return f"name not found ({inner.strerror or text(inner)})"
        if isinstance(inner, OSError) and inner.errno in _ERRNOS:
            return _ERRNOS[inner.errno]
    return text(exc)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it came from, depth first, through exception groups too."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(reversed(current.exceptions))
        for linked in (current.__context__, current.__cause__):
            if linked is not None:
                pending.append(linked)


def text(exc: BaseException) -> str:
    return " ".join((str(exc) or type(exc).__name__).split())[:200]
