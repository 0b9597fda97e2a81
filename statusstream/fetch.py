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
DEFAULT_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": (
        "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9,"
        " */*;q=0.5"
    ),
    "Accept-Encoding": ACCEPT_ENCODING,
}
REDIRECTS = frozenset({301, 302, 303, 307, 308})


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


def make_transport(concurrency: int) -> httpx2.AsyncBaseTransport:
    """The one transport all feeds share.

    Direct connections go through our own `Http11Transport`. When the environment names a
    proxy, an httpx2 client does it all (proxies, `NO_PROXY`), as httpx2 knows how.
    """
    if not _environment_proxies():
        return Http11Transport(max_idle=concurrency, keepalive_expiry=KEEPALIVE)
    client = httpx2.AsyncClient(
        cookies=http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[])),
        follow_redirects=False,
        limits=httpx2.Limits(
            max_connections=concurrency,
            max_keepalive_connections=concurrency,
            keepalive_expiry=KEEPALIVE,
        ),
        timeout=httpx2.Timeout(None),  # the caller's deadline covers the whole exchange
        trust_env=True,
    )
    return _ClientTransport(client)


def _environment_proxies() -> bool:
    proxies = urllib.request.getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


class _ClientTransport(httpx2.AsyncBaseTransport):
    """An httpx2 client as a transport: requests are sent as they are (no cookies kept)."""

    def __init__(self, client: httpx2.AsyncClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self._client.send(request, stream=True)

    async def aclose(self) -> None:
        await self._client.aclose()


async def fetch(
    transport: httpx2.AsyncBaseTransport,
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
        return await _follow(transport, url, headers, validators, max_body)
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
    transport: httpx2.AsyncBaseTransport,
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
        request = httpx2.Request("GET", target, headers=_merged(DEFAULT_HEADERS, own, validators))
        response = await transport.handle_async_request(request)
        try:
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or location is None:
                return await _read(response, max_body, conditional=bool(validators))
        finally:
            await response.aclose()
        target = target.join(location)
        scheme = target.scheme
        if scheme not in ("http", "https"):
            message = f"redirect to an unsupported scheme {clean(scheme)[:20]!r}"
            raise FetchError(message)
    message = f"too many redirects (more than {MAX_REDIRECTS})"
    raise FetchError(message)


def _merged(*layers: dict[str, str]) -> dict[str, str]:
    """Headers merged with the case of names ignored, a later layer winning (`user-agent`
    given by the feed replaces the default `User-Agent`)."""
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


async def _read(response: httpx2.Response, max_body: int, *, conditional: bool) -> Fetched:
    status = response.status_code
    # The stream itself, not `aiter_raw`: the body as it came, without httpx2's machinery
    # around each chunk (decoding is done below, within bounds).
    stream = response.stream
    if not isinstance(stream, httpx2.AsyncByteStream):
        message = "a transport gave a synchronous stream"
        raise TypeError(message)
    if status == 304:
        async for _ in stream:  # finishes the exchange, so the connection goes back to the pool
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
    if declared.isdigit() and int(declared) > max_body:
        message = f"body of {declared} bytes is over the {max_body} byte limit"
        raise FetchError(message)
    decoder = decoder_for(response.headers.get("Content-Encoding", ""))
    chunks = []
    size = 0
    received = 0
    async for data in stream:
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
