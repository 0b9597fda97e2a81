"""One conditional GET with httpx2, bounded in size; transport errors become `FetchError`.

The caller bounds the time (`trio.fail_after` around `fetch`), which also cuts off a server
that trickles its answer. Everything else a server could make unbounded is bounded here:

- the body: both the bytes on the wire and what they decompress to are counted while reading
  and capped at `max_body`. The body is decompressed here, not by httpx2, a bounded piece at
  a time, so a gzip or brotli bomb costs no more than the cap, and data after the end of a
  compressed stream is counted but never kept;
- redirects: followed here, at most `MAX_REDIRECTS`, only to http and https, and the feed's
  own headers (secrets) only ever go to the origin of the URL they were defined for;
- cookies: none are kept, so no server can grow them or have them sent elsewhere.
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import re
import time
import urllib.request
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import httpx2

from statusstream import __version__
from statusstream.errors import FeedError
from statusstream.text import clean
from statusstream.transport import Http11Transport

try:
    import brotli  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - the httpx2[brotli] extra brings it
    brotli = None

USER_AGENT = f"statusstream/{__version__}"
MAX_REDIRECTS = 5
# Status feeds are rarely over 100 KB. A hostile body at the cap costs feedparser up to ~60x
# its size in memory (and seconds of CPU per MiB), so the cap is what bounds a poll.
DEFAULT_MAX_BODY = 4 * 1024 * 1024
PIECE = 64 * 1024  # the most one step of decompression may produce
MAX_VALIDATOR = 256
KEEPALIVE = 90.0  # seconds an idle connection is kept
_PRINTABLE = re.compile(r"[\x20-\x7e]*")
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


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
    """The one client all feeds share: connection reuse, proxies from the environment.

    Direct connections go through our own `Http11Transport`; when the environment names a
    proxy, httpx2's transport does it all (proxies, `NO_PROXY`), as httpx2 knows how.
    """
    if transport is None and not _environment_proxies():
        transport = Http11Transport(max_idle=concurrency, keepalive_expiry=KEEPALIVE)
    return httpx2.AsyncClient(
        transport=transport,
        headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
        cookies=http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[])),
        follow_redirects=False,  # `fetch` follows them
        limits=httpx2.Limits(
            max_connections=concurrency,
            max_keepalive_connections=concurrency,
            keepalive_expiry=KEEPALIVE,
        ),
        # The caller's deadline covers the whole exchange; this only bounds each step.
        timeout=httpx2.Timeout(None),
        trust_env=True,
    )


def _environment_proxies() -> bool:
    proxies = urllib.request.getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


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
    request_headers = dict(headers)
    etag, last_modified = validator(etag), validator(last_modified)  # a state may hold others
    if etag is not None:
        request_headers["If-None-Match"] = etag
    if last_modified is not None:
        request_headers["If-Modified-Since"] = last_modified
    try:
        request = client.build_request("GET", url, headers=request_headers)
        return await _follow(client, request, headers, max_body, bool(etag or last_modified))
    except FetchError as exc:
        redacted = _redact(str(exc), headers.values())
        if redacted == str(exc):
            raise
        raise FetchError(redacted, retry_after=exc.retry_after) from None
    except httpx2.DecodingError as exc:
        message = f"cannot decode the response body: {_reason(exc, headers.values())}"
        raise FetchError(message) from exc
    except httpx2.TimeoutException as exc:
        message = "timed out"
        raise FetchError(message) from exc
    except httpx2.TransportError as exc:
        message = f"network error: {_reason(exc, headers.values())}"
        raise FetchError(message) from exc
    except httpx2.InvalidURL as exc:
        message = f"invalid URL: {_reason(exc, headers.values())}"
        raise FetchError(message) from exc


async def _follow(
    client: httpx2.AsyncClient,
    request: httpx2.Request,
    own_headers: dict[str, str],
    max_body: int,
    conditional: bool,
) -> Fetched:
    origin = _origin(request.url)
    for _ in range(MAX_REDIRECTS + 1):
        response = await client.send(request, stream=True)
        try:
            redirect = response.next_request
            if redirect is None:
                return await _read(response, max_body, conditional=conditional)
        finally:
            await response.aclose()
        scheme = redirect.url.scheme
        if scheme not in ("http", "https"):
            message = f"redirect to an unsupported scheme {clean(scheme)[:20]!r}"
            raise FetchError(message)
        if not _trusted(origin, _origin(redirect.url)):
            for name in own_headers:
                default = client.headers.get(name)
                if default is None:
                    redirect.headers.pop(name, None)
                else:
                    redirect.headers[name] = default
        request = redirect
    message = f"too many redirects (more than {MAX_REDIRECTS})"
    raise FetchError(message)


def _origin(url: httpx2.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port  # the port is None when it is the scheme's default


def _trusted(origin: tuple[str, str, int | None], target: tuple[str, str, int | None]) -> bool:
    """May the feed's headers follow a redirect? To its own origin, or from http to https."""
    upgrade = origin[0] == "http" and target[0] == "https" and origin[2] is None is target[2]
    return target == origin or (upgrade and target[1] == origin[1])


async def _read(response: httpx2.Response, max_body: int, *, conditional: bool) -> Fetched:
    status = response.status_code
    if status == 304:
        await response.aread()  # finishes the exchange, so the connection goes back to the pool
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
    if response.is_stream_consumed:  # read and decoded already (`httpx2.MockTransport`)
        if len(response.content) > max_body:
            message = f"body is over the {max_body} byte limit"
            raise FetchError(message)
        return _fetched(response, response.content)
    decoder = decoder_for(response.headers.get("Content-Encoding", ""))
    chunks = []
    size = 0
    received = 0
    async for data in response.aiter_raw():
        received += len(data)
        if received > max_body:
            message = f"body is over the {max_body} byte limit"
            raise FetchError(message)
        for piece in decoder.decode(data):
            size += len(piece)
            if size > max_body:
                message = f"body is over the {max_body} byte limit (decompressed)"
                raise FetchError(message)
            chunks.append(piece)
    return _fetched(response, b"".join(chunks))


def _fetched(response: httpx2.Response, body: bytes) -> Fetched:
    max_age = _MAX_AGE.search(response.headers.get("Cache-Control", ""))
    return Fetched(
        status=200 if response.status_code != 304 else 304,
        body=body,
        etag=validator(response.headers.get("ETag")),
        last_modified=validator(response.headers.get("Last-Modified")),
        max_age=float(max_age[1]) if max_age else None,
    )


# -- decompression, a bounded piece at a time ----------------------------------------------


class Decoder(Protocol):
    def decode(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of `data`, each at most `PIECE` bytes (identity: as given)."""
        ...


def decoder_for(content_encoding: str) -> Decoder:
    """A decoder for a `Content-Encoding` value; `FetchError` for a coding we did not ask for."""
    codings = [coding.strip().lower() for coding in content_encoding.split(",") if coding.strip()]
    decoders: list[Decoder] = []
    for coding in reversed(codings):  # applied in order, so undone in reverse
        if coding in ("gzip", "x-gzip"):
            decoders.append(_Inflate(zlib.MAX_WBITS | 16))
        elif coding == "deflate":
            decoders.append(_Inflate(None))
        elif coding == "br" and brotli is not None:
            decoders.append(_Brotli())
        elif coding != "identity":
            message = f"unsupported Content-Encoding {clean(coding)[:40]!r}"
            raise FetchError(message)
    if len(decoders) > 2:
        message = f"too many content codings ({clean(content_encoding)[:60]!r})"
        raise FetchError(message)
    return _Chain(decoders)


class _Chain:
    def __init__(self, decoders: list[Decoder]) -> None:
        self._decoders = decoders

    def decode(self, data: bytes) -> Iterator[bytes]:
        pieces: Iterable[bytes] = (data,)
        for decoder in self._decoders:
            pieces = _through(decoder, pieces)
        yield from pieces


def _through(decoder: Decoder, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from decoder.decode(piece)


class _Inflate:
    """gzip (`wbits` 31) or deflate (`wbits` None: zlib-wrapped or raw, as the data says).

    Only the first stream is read; what follows its end is dropped as it arrives.
    """

    def __init__(self, wbits: int | None) -> None:
        self._wbits = wbits
        self._start = b""
        self._inflate: zlib._Decompress | None = None

    def decode(self, data: bytes) -> Iterator[bytes]:
        inflate = self._inflate
        if inflate is None:
            self._start += data
            if self._wbits is None and len(self._start) < 2:
                return
            wbits = self._wbits if self._wbits is not None else _deflate_wbits(self._start)
            inflate = self._inflate = zlib.decompressobj(wbits)
            data, self._start = self._start, b""
        if inflate.eof:
            return
        try:
            piece = inflate.decompress(data, PIECE)
            while piece:
                yield piece
                piece = inflate.decompress(inflate.unconsumed_tail, PIECE)
        except zlib.error as exc:
            message = f"cannot decompress the body: {exc}"
            raise FetchError(message) from exc


def _deflate_wbits(start: bytes) -> int:
    """`deflate` is meant to be zlib-wrapped (RFC 9110) but some servers send it raw."""
    wrapped = start[0] & 0x0F == 8 and (start[0] << 8 | start[1]) % 31 == 0
    return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS


class _Brotli:
    def __init__(self) -> None:
        assert brotli is not None
        self._brotli = brotli.Decompressor()

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._brotli.is_finished():
            return
        try:
            piece = self._brotli.process(data, output_buffer_limit=PIECE)
            while True:
                if piece:
                    yield piece
                if self._brotli.can_accept_more_data():
                    return
                piece = self._brotli.process(b"", output_buffer_limit=PIECE)
        except brotli.error as exc:
            message = f"cannot decompress the body: {exc}"
            raise FetchError(message) from exc


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


def _reason(exc: Exception, secrets: Iterable[str]) -> str:
    text = str(exc) or type(exc).__name__
    return _redact(" ".join(text.split())[:200], secrets)


def _redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret header value, and each long word of one, replaced by `***`."""
    for secret in secrets:
        for part in (secret, *(word for word in secret.split() if len(word) >= 8)):
            if part:
                text = text.replace(part, "***")
    return text
