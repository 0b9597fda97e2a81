"""HTTP/1.1 for httpx2 on plain trio streams: the client keeps httpx's API, without its cost.

httpx2's own transport (httpcore2 over h11) spends about 0.4 ms of CPU on each exchange; a
poll of a thousand unchanged feeds is a thousand exchanges of a few hundred bytes, so that
was most of a warm poll. This transport does the same job for what a feed poller sends (a
GET, or any request with a small body) in a tenth of the time:

- connections are kept per origin and reused, most recent first; one found closed by the
  server while idle is dropped before use. A server may still close a kept connection just
  as a request arrives, without answering it: such a request, if its method may be repeated
  (GET, all statusstream sends), is sent again on another connection;
- response heads are bounded (`MAX_HEAD`), malformed framing is a `RemoteProtocolError`,
  bodies are delimited by `Content-Length`, chunked coding or the end of the connection
  (RFC 9112 section 6.3) and streamed, so the caller bounds their size;
- a request cancelled mid-exchange (`trio.fail_after`) closes its connection.

Proxies are left to httpx2 (`fetch.make_transport` uses its client when the environment
names one); TLS uses httpx2's context, so `SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured.
"""

from __future__ import annotations

import re
import select
import ssl
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httpx2
import trio

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_HEAD = 64 * 1024  # a response head, or a chunk's size line and the trailers
RECEIVE = 64 * 1024
CONNECT_DELAY = 0.25  # happy eyeballs: the head start of each address over the next
DEFAULT_PORTS = {"http": 80, "https": 443}
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})  # RFC 9110 9.2.2
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,15}")
_STATUS_CODE = re.compile(rb"[1-9][0-9][0-9]")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a method or a header name (RFC 9110)
_BAD_VALUE = re.compile(rb"[\r\n\0]")

Origin = tuple[str, str, int]


class Http11Transport(httpx2.AsyncBaseTransport):
    """Keeps at most `max_idle` idle connections, each for at most `keepalive_expiry` seconds.

    It does not bound the connections in use: the caller does (`--concurrency`, `--per-host`).
    """

    def __init__(
        self,
        *,
        max_idle: int = 16,
        keepalive_expiry: float = 90.0,
        ssl_context: Callable[[], ssl.SSLContext] = httpx2.create_ssl_context,
    ) -> None:
        self._max_idle = max_idle
        self._expiry = keepalive_expiry
        self._make_ssl_context = ssl_context
        self._ssl_context: ssl.SSLContext | None = None  # made on the first https request
        self._idle: dict[Origin, list[_Connection]] = {}
        self._idle_count = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in DEFAULT_PORTS:
            message = f"unsupported URL scheme {scheme!r}"
            raise httpx2.UnsupportedProtocol(message, request=request)
        # The host as sent on the wire: IDNA-encoded, which TLS's server name must be too.
        origin = (scheme, url.raw_host.decode("ascii"), url.port or DEFAULT_PORTS[scheme])
        raw = _request_bytes(request, await request.aread())
        while True:
            connection = self._checkout(origin)
            reused = connection is not None
            if connection is None:
                connection = await self._connect(origin, request)
            try:
                status, reason, headers, keep_alive = await connection.exchange(raw, request)
                body = _Body(self, origin, connection, request, status, headers, keep_alive)
            except _Stale:
                connection.close()
                if reused and request.method in IDEMPOTENT:
                    continue  # closed by the server as the request came: not answered
                message = "server closed the connection without an answer"
                raise httpx2.RemoteProtocolError(message, request=request) from None
            except BaseException:
                connection.close()
                raise
            break
        if body.done:
            body.release()
        return httpx2.Response(
            status,
            headers=headers,
            stream=body,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
        self._idle_count = 0

    def _checkout(self, origin: Origin) -> _Connection | None:
        connections = self._idle.get(origin)
        while connections:
            connection = connections.pop()
            self._idle_count -= 1
            if connection.usable(self._expiry) and not connection.tls_leftover():
                return connection
            connection.close()
        return None

    def _checkin(self, origin: Origin, connection: _Connection) -> None:
        if self._idle_count >= self._max_idle:
            self._drop_expired()
        if self._idle_count >= self._max_idle:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        self._idle.setdefault(origin, []).append(connection)
        self._idle_count += 1

    def _drop_expired(self) -> None:
        """Close idle connections kept too long (origins no longer polled keep none)."""
        for origin, connections in list(self._idle.items()):
            kept = []
            for each in connections:
                if each.expired(self._expiry):
                    each.close()
                    self._idle_count -= 1
                else:
                    kept.append(each)
            if kept:
                self._idle[origin] = kept
            else:
                del self._idle[origin]

    async def _connect(self, origin: Origin, request: httpx2.Request) -> _Connection:
        scheme, host, port = origin
        try:
            tcp = await trio.open_tcp_stream(host, port, happy_eyeballs_delay=CONNECT_DELAY)
        except OSError as exc:
            raise httpx2.ConnectError(_describe(exc), request=request) from exc
        stream: trio.abc.Stream = tcp
        if scheme == "https":
            if self._ssl_context is None:
                self._ssl_context = self._make_ssl_context()
            tls = trio.SSLStream(
                tcp, self._ssl_context, server_hostname=host, https_compatible=True
            )
            try:
                await tls.do_handshake()
            except (trio.BrokenResourceError, ssl.SSLError, OSError) as exc:
                tcp.socket.close()
                cause = exc.__cause__ if isinstance(exc, trio.BrokenResourceError) else exc
                raise httpx2.ConnectError(_describe(cause or exc), request=request) from exc
            except BaseException:
                tcp.socket.close()
                raise
            stream = tls
        return _Connection(stream, tcp.socket.fileno(), tcp.socket.close, tls=scheme == "https")


class _Stale(Exception):
    """The connection ended before any byte of an answer: the request was not seen."""


Head = tuple[int, bytes, list[tuple[bytes, bytes]], bool]


class _Connection:
    def __init__(
        self, stream: trio.abc.Stream, fileno: int, close: Callable[[], None], *, tls: bool
    ) -> None:
        self._stream = stream
        self._fileno = fileno
        self._tls = tls
        self.close = close  # closes the socket at once, without a TLS goodbye
        self.buffer = bytearray()
        self.idle_since = 0.0

    def expired(self, expiry: float) -> bool:
        return time.monotonic() - self.idle_since > expiry

    def usable(self, expiry: float) -> bool:
        """Not expired, and not closed by the server: an idle connection has nothing to read."""
        if self.expired(expiry) or self.buffer:
            return False
        poll = select.poll()  # not `select.select`, which fails for descriptors over 1023
        poll.register(self._fileno, select.POLLIN)
        try:
            return not poll.poll(0)
        except OSError:
            return False

    def tls_leftover(self) -> bool:
        """Whether TLS holds bytes the server sent after its last answer.

        They came off the socket with the answer's last record, so `usable` cannot see them,
        and they must not be taken for the next answer. trio has no public way to ask; if
        its internals change, TLS connections are simply not reused (slower, never wrong).
        """
        if not self._tls:
            return False
        ssl_object = getattr(self._stream, "_ssl_object", None)
        incoming = getattr(self._stream, "_incoming", None)
        try:
            return bool(ssl_object.pending() or incoming.pending)  # type: ignore[union-attr]
        except AttributeError:
            return True

    async def exchange(self, raw: bytes, request: httpx2.Request) -> Head:
        try:
            await self._stream.send_all(raw)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            raise _Stale from exc
        first = True
        while True:
            head = await self._read_head(request, first=first)
            first = False
            if head[0] >= 200:
                return head
            if head[0] == 101:
                message = "server switched protocols, which was not asked for"
                raise httpx2.RemoteProtocolError(message, request=request)
            # 100 Continue, 103 Early Hints and the like come before the answer

    async def receive(self, request: httpx2.Request) -> bytes:
        try:
            return bytes(await self._stream.receive_some(RECEIVE))
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            raise httpx2.ReadError(_describe(exc.__cause__ or exc), request=request) from exc

    async def read_line(self, request: httpx2.Request) -> bytes:
        """One line of a chunked body's framing, without its end of line."""
        start = 0
        while (end := self.buffer.find(b"\n", start)) < 0:
            if len(self.buffer) > MAX_HEAD:
                message = "chunked body framing line is too long"
                raise httpx2.RemoteProtocolError(message, request=request)
            start = len(self.buffer)
            data = await self.receive(request)
            if not data:
                message = "server closed the connection in the middle of the body"
                raise httpx2.RemoteProtocolError(message, request=request)
            self.buffer += data
        line = bytes(self.buffer[:end]).rstrip(b"\r")
        del self.buffer[: end + 1]
        return line

    async def _read_head(self, request: httpx2.Request, *, first: bool) -> Head:
        """The next response head; `_Stale` if the first of an exchange never began."""
        start = 0
        buffer = self.buffer
        end, size = -1, 0
        while True:
            # the head ends at an empty line; lenient servers end lines with a bare LF
            crlf = buffer.find(b"\n\r\n", max(start - 2, 0))
            lf = buffer.find(b"\n\n", max(start - 1, 0))
            if lf >= 0 and (crlf < 0 or lf < crlf):
                end, size = lf, 2
                break
            if crlf >= 0:
                end, size = crlf, 3
                break
            if len(buffer) > MAX_HEAD:
                break
            start = len(buffer)
            try:
                data = await self._stream.receive_some(RECEIVE)
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                if first and not buffer:
                    raise _Stale from exc
                raise httpx2.ReadError(_describe(exc.__cause__ or exc), request=request) from exc
            if not data:
                if first and not buffer:
                    raise _Stale
                message = "server closed the connection in the middle of the response head"
                raise httpx2.RemoteProtocolError(message, request=request)
            buffer += data
        if end < 0 or end + size > MAX_HEAD:
            message = f"response head is over {MAX_HEAD // 1024} KiB"
            raise httpx2.RemoteProtocolError(message, request=request)
        lines = bytes(buffer[:end]).split(b"\n")
        del buffer[: end + size]
        return _parse_head(lines, request)


def _parse_head(lines: list[bytes], request: httpx2.Request) -> Head:
    status_line = lines[0].rstrip(b"\r")
    version, _, rest = status_line.partition(b" ")
    code, _, reason = rest.partition(b" ")
    if version not in (b"HTTP/1.1", b"HTTP/1.0") or not _STATUS_CODE.fullmatch(code):
        message = f"malformed status line {status_line[:60]!r}"
        raise httpx2.RemoteProtocolError(message, request=request)
    headers: list[tuple[bytes, bytes]] = []
    for raw in lines[1:]:
        line = raw.rstrip(b"\r")
        if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding
            name, value = headers[-1]
            headers[-1] = (name, value + b" " + line.strip())
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip() or b"\0" in line:
            message = f"malformed header line {line[:60]!r}"
            raise httpx2.RemoteProtocolError(message, request=request)
        headers.append((name, value.strip(b" \t")))
    connection = b",".join(value for name, value in headers if name.lower() == b"connection")
    tokens = {token.strip() for token in connection.lower().split(b",")}
    # HTTP/1.1 keeps a connection unless told otherwise, HTTP/1.0 only when told to
    keep_alive = b"close" not in tokens if version == b"HTTP/1.1" else b"keep-alive" in tokens
    return int(code), reason, headers, keep_alive


class _Body(httpx2.AsyncByteStream):
    """A body read as the caller iterates; its connection goes back when it is all read."""

    def __init__(
        self,
        transport: Http11Transport,
        origin: Origin,
        connection: _Connection,
        request: httpx2.Request,
        status: int,
        headers: list[tuple[bytes, bytes]],
        keep_alive: bool,
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._connection: _Connection | None = connection
        self._request = request
        self._keep_alive = keep_alive
        self._length: int | None = None  # bytes of the body left to read, None: to the end
        self._chunked = False
        self.done = False
        coding = b",".join(v for n, v in headers if n.lower() == b"transfer-encoding")
        lengths = {v.strip() for n, v in headers if n.lower() == b"content-length"}
        if status in (204, 304) or request.method == "HEAD":
            self.done = True
        elif coding:  # it overrides any Content-Length, which then may have been a lie
            self._chunked = coding.lower().rsplit(b",", 1)[-1].strip() == b"chunked"
            self._keep_alive = self._keep_alive and self._chunked and not lengths
        elif lengths:
            length = b",".join(lengths).split(b",")
            if len({part.strip() for part in length}) != 1 or not length[0].strip().isdigit():
                message = f"malformed Content-Length {b','.join(lengths)[:60]!r}"
                raise httpx2.RemoteProtocolError(message, request=request)
            self._length = int(length[0])
            self.done = self._length == 0
        else:
            self._keep_alive = False  # the body ends with the connection

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.done:
            return
        connection = self._connection
        if connection is None:
            raise httpx2.StreamClosed
        if self._chunked:
            async for data in self._chunks(connection):
                yield data
        else:
            async for data in self._delimited(connection):
                yield data
        self.done = True
        self.release()

    async def _delimited(self, connection: _Connection) -> AsyncIterator[bytes]:
        left = self._length
        while left is None or left > 0:
            if connection.buffer:
                data = bytes(connection.buffer if left is None else connection.buffer[:left])
                del connection.buffer[: len(data)]
            else:
                data = await connection.receive(self._request)
                if not data:
                    if left is None:
                        return
                    message = "server closed the connection in the middle of the body"
                    raise httpx2.RemoteProtocolError(message, request=self._request)
                if left is not None and len(data) > left:
                    connection.buffer += data[left:]
                    data = data[:left]
            if left is not None:
                left -= len(data)
            yield data

    async def _chunks(self, connection: _Connection) -> AsyncIterator[bytes]:
        request = self._request
        while True:
            line = await connection.read_line(request)
            size_text = line.split(b";", 1)[0].strip()
            if not _CHUNK_SIZE.fullmatch(size_text):
                message = f"malformed chunk size {line[:40]!r}"
                raise httpx2.RemoteProtocolError(message, request=request)
            size = int(size_text, 16)
            if size == 0:
                break
            self._length = size
            async for data in self._delimited(connection):
                yield data
            if await connection.read_line(request):
                message = "chunk data is longer than its size"
                raise httpx2.RemoteProtocolError(message, request=request)
        trailers = 0
        while line := await connection.read_line(request):  # trailers, which are ignored
            trailers += len(line)
            if trailers > MAX_HEAD:
                message = f"trailers are over {MAX_HEAD // 1024} KiB"
                raise httpx2.RemoteProtocolError(message, request=request)

    def release(self) -> None:
        """Back to the pool when the whole body was read and the connection may go on."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self.done and self._keep_alive:
            self._transport._checkin(self._origin, connection)
        else:
            connection.close()

    async def aclose(self) -> None:
        self.release()


def _request_bytes(request: httpx2.Request, body: bytes) -> bytes:
    method = request.method.encode("ascii", "replace")
    if not _TOKEN.fullmatch(method):
        message = f"invalid request method {method[:40]!r}"
        raise httpx2.LocalProtocolError(message, request=request)
    lines = [b"%s %s HTTP/1.1" % (method, request.url.raw_path)]
    for name, value in request.headers.raw:
        if not _TOKEN.fullmatch(name):
            message = f"invalid request header name {name[:40]!r}"
            raise httpx2.LocalProtocolError(message, request=request)
        if _BAD_VALUE.search(value):
            message = f"invalid value in request header {name[:40]!r}"
            raise httpx2.LocalProtocolError(message, request=request)
        lines.append(name + b": " + value)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
