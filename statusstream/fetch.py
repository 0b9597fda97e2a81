"""One conditional GET with httpx2, bounded in size; transport errors become `FetchError`.

The caller bounds the time (`trio.fail_after` around `fetch`), which also cuts off a server
that trickles its answer.
"""

from __future__ import annotations

import email.utils
import re
import time
from dataclasses import dataclass

import httpx2

from statusstream import __version__
from statusstream.errors import FeedError

USER_AGENT = f"statusstream/{__version__}"
MAX_REDIRECTS = 5
DEFAULT_MAX_BODY = 10 * 1024 * 1024
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


class FetchError(FeedError):
    """A failed request. `retry_after` is the server's own wish, in seconds from now."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int  # 200, or 304 for not modified
    body: bytes
    etag: str | None
    last_modified: str | None
    max_age: float | None


def make_client(
    concurrency: int, transport: httpx2.AsyncBaseTransport | None = None
) -> httpx2.AsyncClient:
    """The one client all feeds share: connection reuse, redirects, proxies from the environment."""
    return httpx2.AsyncClient(
        transport=transport,
        headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT},
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        limits=httpx2.Limits(
            max_connections=concurrency,
            max_keepalive_connections=concurrency,
            keepalive_expiry=90,
        ),
        # The caller's deadline covers the whole exchange; this only bounds each step.
        timeout=httpx2.Timeout(None),
        trust_env=True,
    )


_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


async def fetch(
    client: httpx2.AsyncClient,
    url: str,
    *,
    headers: dict[str, str],
    etag: str | None,
    last_modified: str | None,
    max_body: int = DEFAULT_MAX_BODY,
) -> Fetched:
    request_headers = dict(headers)
    if etag is not None:
        request_headers["If-None-Match"] = etag
    if last_modified is not None:
        request_headers["If-Modified-Since"] = last_modified
    try:
        async with client.stream("GET", url, headers=request_headers) as response:
            return await _read(response, max_body, conditional=bool(etag or last_modified))
    except httpx2.TooManyRedirects as exc:
        message = f"too many redirects (more than {MAX_REDIRECTS})"
        raise FetchError(message) from exc
    except httpx2.DecodingError as exc:
        message = f"cannot decode the response body: {_reason(exc)}"
        raise FetchError(message) from exc
    except httpx2.UnsupportedProtocol as exc:
        message = f"unsupported redirect target: {_reason(exc)}"
        raise FetchError(message) from exc
    except httpx2.TimeoutException as exc:
        message = "timed out"
        raise FetchError(message) from exc
    except httpx2.TransportError as exc:
        message = f"network error: {_reason(exc)}"
        raise FetchError(message) from exc
    except httpx2.InvalidURL as exc:
        message = f"invalid URL: {_reason(exc)}"
        raise FetchError(message) from exc


async def _read(response: httpx2.Response, max_body: int, *, conditional: bool) -> Fetched:
    status = response.status_code
    if status == 304:
        if not conditional:
            message = "HTTP 304 Not Modified to a request without validators"
            raise FetchError(message)
        return _fetched(response, b"")
    if not 200 <= status < 300:
        retry_after = None
        if status in (429, 503):
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        message = f"HTTP {status} {response.reason_phrase}".rstrip()
        raise FetchError(message, retry_after=retry_after)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_body:
        message = f"body of {declared} bytes is over the {max_body} byte limit"
        raise FetchError(message)
    chunks = []
    size = 0
    # Counted after decompression, so a small gzip bomb stops at the same limit.
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_body:
            message = f"body is over the {max_body} byte limit"
            raise FetchError(message)
        chunks.append(chunk)
    return _fetched(response, b"".join(chunks))


def _fetched(response: httpx2.Response, body: bytes) -> Fetched:
    max_age = _MAX_AGE.search(response.headers.get("Cache-Control", ""))
    return Fetched(
        status=200 if response.status_code != 304 else 304,
        body=body,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        max_age=float(max_age[1]) if max_age else None,
    )


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now: a number of seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:200]
