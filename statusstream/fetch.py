"""One conditional GET through the transports of `client.py`; any failure is a `FetchError`.

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

import email.utils
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx2

from statusstream.client import HEADERS, Clients, close_idle, counting_reads
from statusstream.errors import FetchError
from statusstream.pacing import RETRY_AFTER_CAP
from statusstream.reasons import describe
from statusstream.settings import DEFAULT_MAX_BODY
from statusstream.text import clean

MAX_REDIRECTS = 5
MAX_VALIDATOR = 256
_PRINTABLE = re.compile(r"[\x20-\x7e]*")
_DIGITS = re.compile(r"[0-9]+")  # `str.isdigit` also takes "²", which `int` refuses
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?([0-9]{1,10})(?![0-9])", re.IGNORECASE)
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int  # 200, or 304 for not modified
    body: bytes
    etag: str | None
    last_modified: str | None
    max_age: float | None


async def fetch(
    clients: Clients,
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
    try:
        with counting_reads(max_body):
            return await _follow(clients, url, headers, validators, max_body)
    except FetchError as exc:
        redacted = _redact(str(exc), headers.values())
        if redacted == str(exc):
            raise
        raise FetchError(redacted, retry_after=exc.retry_after) from None
    except Exception as exc:  # whatever a server or a URL makes of httpx2 is this feed's failure
        raise FetchError(_redact(describe(exc, url), headers.values())) from exc


async def _follow(
    clients: Clients,
    url: str,
    own_headers: dict[str, str],
    validators: dict[str, str],
    max_body: int,
) -> Fetched:
    target = httpx2.URL(url)
    origin = _origin(target)
    for _ in range(MAX_REDIRECTS + 1):
        # The feed's headers (secrets) go only where the feed's definition sent them.
        own = own_headers if _trusted(origin, _origin(target)) else {}
        request = httpx2.Request("GET", target, headers=_merged(HEADERS, own, validators))
        response = await _send(clients.for_url(target), request)
        try:
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or location is None:
                return await _read(request, response, max_body, conditional=bool(validators))
        finally:
            await response.aclose()
        target = target.join(location)
        if target.scheme not in ("http", "https"):
            message = f"redirect to an unsupported scheme {clean(target.scheme)[:20]!r}"
            raise FetchError(message)
    message = f"too many redirects (more than {MAX_REDIRECTS})"
    raise FetchError(message)


async def _send(transport: httpx2.AsyncBaseTransport, request: httpx2.Request) -> httpx2.Response:
    """Send; once more, on a new connection, only if a kept-alive one failed before any answer
    (the server closed it as we sent: it timed out idle). A new connection that fails is the
    server's own answer, and is not asked again."""
    connected = False

    async def trace(event: str, info: dict[str, Any]) -> None:
        nonlocal connected
        connected = connected or event.startswith("connection.connect_tcp")

    request.extensions["trace"] = trace
    try:
        return await transport.handle_async_request(request)
    except (httpx2.ReadError, httpx2.WriteError, httpx2.RemoteProtocolError) as exc:
        unanswered = not isinstance(exc, httpx2.RemoteProtocolError) or _UNANSWERED in str(exc)
        if connected or not unanswered:
            raise
    # Kept connections to that origin went idle together; they are likely stale together.
    await close_idle(transport, request.url)
    del request.extensions["trace"]
    return await transport.handle_async_request(request)


_UNANSWERED = "without sending a response"


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


async def _read(
    request: httpx2.Request, response: httpx2.Response, max_body: int, *, conditional: bool
) -> Fetched:
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
    if _DIGITS.fullmatch(declared) and int(declared) > max_body:
        message = f"body of {declared} bytes is over the {max_body} byte limit"
        raise FetchError(message)
    codings = response.headers.get("Content-Encoding", "").lower().split(",")
    accepted = request.headers.get("Accept-Encoding", "").lower().split(",")
    unknown = {coding.strip() for coding in codings} - {"", "identity"}
    unknown -= {coding.strip() for coding in accepted}
    if unknown:  # httpx2 would pass it through as it came, for the parser to fail on
        message = f"unsupported Content-Encoding {clean(', '.join(sorted(unknown)))[:40]!r}"
        raise FetchError(message)
    chunks = []
    size = 0
    async for piece in response.aiter_bytes():  # decoded, at most 1 MiB a piece
        size += len(piece)
        if size > max_body:
            message = f"body is over the {max_body} byte limit (decompressed)"
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


def _redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret header value, and each long word of one, replaced by `***`."""
    for secret in secrets:
        for part in (secret, *(word for word in secret.split() if len(word) >= 8)):
            if part:
                text = text.replace(part, "***")
    return text
