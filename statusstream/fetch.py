"""One conditional GET through the one shared httpx2 client; failures become `FetchError`.

The caller bounds the time (`trio.fail_after` around `fetch`), which also cuts off a server
that trickles its answer. Everything else a server could make unbounded is bounded here:

- the body: httpx2 decodes gzip, deflate, br and zstd a bounded piece at a time; both what
  is read from the socket (the head and any chunk framing included) and what it decodes to
  are counted while reading and capped at `max_body`, so a compression bomb or a stream of
  1-byte chunks with huge extensions costs no more than the cap;
- redirects: followed here, at most `MAX_REDIRECTS`, only to http and https, and the feed's
  own headers (secrets) only ever go to the origin of the URL they were defined for;
- cookies: none are kept, so no server can grow them or have them sent elsewhere;
- retries: a request is sent again at most once, on a new connection, and only when a
  kept-alive connection was closed under it before any answer came (the server timed it out
  as we sent).
"""

from __future__ import annotations

import contextvars
import email.utils
import errno
import http.cookiejar
import math
import re
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpcore2
import httpx2

from statusstream import __version__
from statusstream.errors import FetchError
from statusstream.text import clean

USER_AGENT = f"statusstream/{__version__}"
MAX_REDIRECTS = 5
# Status feeds are rarely over 100 KB. A hostile body at the cap costs feedparser up to ~60x
# its size in memory (and seconds of CPU per MiB), so the cap is what bounds a poll.
DEFAULT_MAX_BODY = 4 * 1024 * 1024
MAX_VALIDATOR = 256
# Seconds an idle connection is kept: longer than the default interval, so a continuous run
# polls a host over the connection of its last poll; servers often close at 60-75 s.
KEEPALIVE = 90.0
# Idle connections kept in all: enough for every host of a large run, a few each.
MAX_IDLE = 1024
RETRY_AFTER_CAP = 86400.0  # a server's wish to be left alone, honoured for at most a day
_PRINTABLE = re.compile(r"[\x20-\x7e]*")
_DIGITS = re.compile(r"[0-9]+")  # `str.isdigit` also takes "²", which `int` refuses
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?([0-9]{1,10})(?![0-9])", re.IGNORECASE)
_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": (
        "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9,"
        " */*;q=0.5"
    ),
}
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int  # 200, or 304 for not modified
    body: bytes
    etag: str | None
    last_modified: str | None
    max_age: float | None


def open_client(concurrency: int) -> httpx2.AsyncClient:
    """The one client all feeds share: keep-alive for every host, proxies and CA bundles from
    the environment (`HTTP_PROXY`, `NO_PROXY`, `SSL_CERT_FILE`, ...), no cookies.

    The pool itself does not cap connections: the poller's limits on requests in flight do,
    and a pool cap would close one host's idle connection to open another's.
    """
    client = httpx2.AsyncClient(
        headers=_HEADERS,
        cookies=http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[])),
        follow_redirects=False,
        limits=httpx2.Limits(
            max_connections=None,
            max_keepalive_connections=max(MAX_IDLE, concurrency),
            keepalive_expiry=KEEPALIVE,
        ),
        timeout=httpx2.Timeout(None),  # the caller's deadline covers the whole exchange
        trust_env=True,
    )
    _count_socket_reads(client)
    return client


async def fetch(
    client: httpx2.AsyncClient,
    url: str,
    *,
    headers: dict[str, str],
    etag: str | None,
    last_modified: str | None,
    max_body: int = DEFAULT_MAX_BODY,
) -> Fetched:
    """GET `url`; a `FetchError` for anything but a 2xx body within limits or a valid 304.

    `headers` are the feed's own, secrets: no error message ever contains their values.
    """
    validators = {}
    etag, last_modified = validator(etag), validator(last_modified)  # a state may hold others
    if etag is not None:
        validators["If-None-Match"] = etag
    if last_modified is not None:
        validators["If-Modified-Since"] = last_modified
    budget = _WireBudget(max_body)
    token = _budget.set(budget)
    try:
        return await _follow(client, url, headers, validators, budget)
    except FetchError as exc:
        redacted = _redact(str(exc), headers.values())
        if redacted == str(exc):
            raise
        raise FetchError(redacted, retry_after=exc.retry_after) from None
    except Exception as exc:  # whatever a server or a URL makes of httpx2 is this feed's failure
        raise FetchError(_redact(describe(exc, url), headers.values())) from exc
    finally:
        _budget.reset(token)


async def _follow(
    client: httpx2.AsyncClient,
    url: str,
    own_headers: dict[str, str],
    validators: dict[str, str],
    budget: _WireBudget,
) -> Fetched:
    target = httpx2.URL(url)
    origin = _origin(target)
    for _ in range(MAX_REDIRECTS + 1):
        # The feed's headers (secrets) go only where the feed's definition sent them.
        own = own_headers if _trusted(origin, _origin(target)) else {}
        request = client.build_request("GET", target, headers=_merged(own, validators))
        response = await _send(client, request)
        try:
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or location is None:
                return await _read(response, budget, conditional=bool(validators))
        finally:
            await response.aclose()
        target = target.join(location)
        if target.scheme not in ("http", "https"):
            message = f"redirect to an unsupported scheme {clean(target.scheme)[:20]!r}"
            raise FetchError(message)
    message = f"too many redirects (more than {MAX_REDIRECTS})"
    raise FetchError(message)


async def _send(client: httpx2.AsyncClient, request: httpx2.Request) -> httpx2.Response:
    """Send; once more, on a new connection, only if a kept-alive one failed before any answer
    (the server closed it as we sent: it timed out idle). A new connection that fails is the
    server's own answer, and is not asked again."""
    connected = False

    async def trace(event: str, info: dict[str, Any]) -> None:
        nonlocal connected
        connected = connected or event.startswith("connection.connect_tcp")

    request.extensions["trace"] = trace
    try:
        return await client.send(request, stream=True)
    except (httpx2.ReadError, httpx2.WriteError, httpx2.RemoteProtocolError) as exc:
        unanswered = not isinstance(exc, httpx2.RemoteProtocolError) or _UNANSWERED in str(exc)
        if connected or not unanswered:
            raise
    # Kept connections to that origin went idle together; they are likely stale together.
    await _close_idle(client, request.url)
    del request.extensions["trace"]
    return await client.send(request, stream=True)


_UNANSWERED = "without sending a response"


async def _close_idle(client: httpx2.AsyncClient, url: httpx2.URL) -> None:
    port = url.port or (443 if url.scheme == "https" else 80)
    origin = httpcore2.Origin(url.raw_scheme, url.raw_host, port)
    for pool in pools(client):
        for connection in pool.connections:
            if connection.is_idle() and connection.can_handle_request(origin):
                await connection.aclose()


def _merged(*layers: dict[str, str]) -> dict[str, str]:
    """Headers merged with the case of names ignored, a later layer winning."""
    merged: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for name, value in layer.items():
            merged[name.lower()] = (name, value)
    return dict(merged.values())


def _origin(url: httpx2.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port  # the port is None when it is the scheme's default


def _trusted(origin: tuple[str, str, int | None], target: tuple[str, str, int | None]) -> bool:
    """May the feed's headers follow a redirect? To its own origin, or from http to https."""
    upgrade = origin[0] == "http" and target[0] == "https" and origin[2] is None is target[2]
    return target == origin or (upgrade and target[1] == origin[1])


async def _read(response: httpx2.Response, budget: _WireBudget, *, conditional: bool) -> Fetched:
    status = response.status_code
    if status == 304:
        async for _ in response.aiter_raw():  # to its end, so the connection can be reused
            pass
        if not conditional:
            message = "HTTP 304 Not Modified to a request without validators"
            raise FetchError(message)
        return _fetched(response, b"")
    if not 200 <= status < 300:
        retry_after = None
        if status in (429, 503):
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        message = f"HTTP {status} {clean(response.reason_phrase)[:80]}".rstrip()
        raise FetchError(message, retry_after=retry_after)
    declared = response.headers.get("Content-Length", "")
    if _DIGITS.fullmatch(declared) and int(declared) > budget.limit:
        message = f"body of {declared} bytes is over the {budget.limit} byte limit"
        raise FetchError(message)
    codings = response.headers.get("Content-Encoding", "").lower().split(",")
    accepted = response.request.headers.get("Accept-Encoding", "").lower().split(",")
    unknown = {coding.strip() for coding in codings} - {"", "identity"}
    unknown -= {coding.strip() for coding in accepted}
    if unknown:  # httpx2 would pass it through as it came, for the parser to fail on
        message = f"unsupported Content-Encoding {clean(', '.join(sorted(unknown)))[:40]!r}"
        raise FetchError(message)
    chunks = []
    size = 0
    async for piece in response.aiter_bytes():  # decoded, at most 1 MiB a piece
        size += len(piece)
        if size > budget.limit:
            message = f"body is over the {budget.limit} byte limit (decompressed)"
            raise FetchError(message)
        chunks.append(piece)
    return _fetched(response, b"".join(chunks))


def _fetched(response: httpx2.Response, body: bytes) -> Fetched:
    max_age = _MAX_AGE.search(response.headers.get("Cache-Control", ""))
    return Fetched(
        status=304 if response.status_code == 304 else 200,
        body=body,
        etag=validator(response.headers.get("ETag")),
        last_modified=validator(response.headers.get("Last-Modified")),
        max_age=float(max_age[1]) if max_age else None,
    )


# -- what is read from the socket -------------------------------------------------------


class _WireBudget:
    """Bytes one fetch may read from the network: the head, the framing and the body."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        # The head and chunk framing add to the body; a body at the cap must still fit.
        self._left = 2 * limit + 64 * 1024

    def take(self, size: int) -> None:
        self._left -= size
        if self._left < 0:
            message = f"response is over the {self.limit} byte limit (as read from the network)"
            raise FetchError(message)


# The fetch the current task is making: reads happen in the task that sends the request.
_budget: contextvars.ContextVar[_WireBudget | None] = contextvars.ContextVar(
    "statusstream_wire_budget", default=None
)


class _CountingStream(httpcore2.AsyncNetworkStream):
    """A connection whose reads count against the budget of the fetch that makes them."""

    def __init__(self, stream: httpcore2.AsyncNetworkStream) -> None:
        self._stream = stream

    # httpcore2's interface names the `timeout` parameters; the caller's deadline is trio's.
    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        data = await self._stream.read(max_bytes, timeout)
        budget = _budget.get()
        if budget is not None:
            budget.take(len(data))
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore2.AsyncNetworkStream:
        return _CountingStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _CountingBackend(httpcore2.AsyncNetworkBackend):
    def __init__(self, backend: httpcore2.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore2.AsyncNetworkStream:
        return _CountingStream(await self._backend.connect_tcp(*args, **kwargs))

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore2.AsyncNetworkStream:
        return _CountingStream(await self._backend.connect_unix_socket(*args, **kwargs))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def _count_socket_reads(client: httpx2.AsyncClient) -> None:
    """Put `_CountingBackend` under every connection pool of `client` (direct and proxies).

    httpcore2 takes a network backend, but httpx2's transport does not pass one through, so
    it is set on the pools the client made. Should httpx2 ever build them differently, the
    tests of the wire cap fail (`pools` finds none).
    """
    for pool in pools(client):
        pool._network_backend = _CountingBackend(pool._network_backend)


def pools(client: httpx2.AsyncClient) -> list[httpcore2.AsyncConnectionPool]:
    transports = [client._transport, *client._mounts.values()]
    found = [getattr(transport, "_pool", None) for transport in transports]
    return [pool for pool in found if isinstance(pool, httpcore2.AsyncConnectionPool)]


# -- headers and messages ------------------------------------------------------------------


def validator(value: str | None) -> str | None:
    """An ETag or Last-Modified that can be sent back as it came, and stored: else None.

    One with bytes outside printable ASCII cannot be sent back as it came, and a huge one
    would swell the state file; the feed then goes without conditional GET.
    """
    if value is None or not 0 < len(value) <= MAX_VALIDATOR or not _PRINTABLE.fullmatch(value):
        return None
    return value


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now, at most `RETRY_AFTER_CAP`: ASCII digits, or an HTTP
    date; None for anything else."""
    if value is None:
        return None
    value = value.strip()
    if _DIGITS.fullmatch(value):
        return min(float(value[:12]) if len(value) <= 12 else math.inf, RETRY_AFTER_CAP)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if moment.tzinfo is None:
        return None
    seconds = moment.timestamp() - (time.time() if now is None else now)
    return min(max(0.0, seconds), RETRY_AFTER_CAP)


def describe(exc: BaseException, url: str) -> str:
    """A failed request in one line: where (host, and port when not the default) and why."""
    if isinstance(exc, httpx2.TimeoutException):
        return f"{where(url)}: timed out"
    if isinstance(exc, httpx2.InvalidURL | httpx2.UnsupportedProtocol | UnicodeError):
        return f"invalid URL: {_text(exc)}"
    if isinstance(exc, httpx2.DecodingError):
        return f"{where(url)}: cannot decode the response body: {_text(exc)}"
    if isinstance(exc, httpx2.ConnectError):
        return f"{where(url)}: cannot connect: {_cause(exc)}"
    if isinstance(exc, httpx2.TransportError):
        return f"{where(url)}: network error: {_cause(exc)}"
    return f"{where(url)}: {type(exc).__name__}: {_text(exc)}"


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
            return f"certificate not trusted ({inner.verify_message or _text(inner)})"
        if isinstance(inner, ssl.SSLError):
            return f"TLS error ({inner.reason or _text(inner)})"
        if isinstance(inner, socket.gaierror):
            return f"name not found ({inner.strerror or _text(inner)})"
        if isinstance(inner, OSError) and inner.errno in _ERRNOS:
            return _ERRNOS[inner.errno]
    return _text(exc)


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


def _text(exc: BaseException) -> str:
    return " ".join((str(exc) or type(exc).__name__).split())[:200]


def _redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret header value, and each long word of one, replaced by `***`."""
    for secret in secrets:
        for part in (secret, *(word for word in secret.split() if len(word) >= 8)):
            if part:
                text = text.replace(part, "***")
    return text
