"""The one local HTTP server of the tests: HTTP/1.1 spoken by hand on 127.0.0.1 port 0.

`Server` runs an asyncio loop in a thread and answers each path with a handler, so a test can
make it behave like a well-kept status page or do what such servers never do:

- `serve`: a body with an ETag and a Last-Modified, and a 304 to a request that matches them
  (If-None-Match, or else If-Modified-Since), as nginx does; optionally after a delay;
- `respond`: one complete response, any status, headers and reason phrase (raw bytes);
- `stream`, `trickle`, `hang`, `reset`, `redirect`: chunked bodies from a generator, a byte
  at a time, no answer, a TCP RST, a Location;
- `route`: any handler, which writes whatever bytes it likes on the connection.

It records every request (`requests`, `hits`, each with its arrival time), the body bytes sent
by path (`sent`), and the bodies POSTed to any path (`posts`, a webhook's receiver). With
`tls=` it speaks HTTPS. The `server` fixture (conftest.py) gives a test one; a test that needs
a second (a proxy, another origin) uses `with Server() as other:`.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import http
import socket
import ssl
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType

import pytest

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    raw: bytes  # the request head as received
    body: bytes = b""
    at: float = field(default_factory=time.monotonic)


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.closed = False

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def close(self) -> None:
        self.closed = True

    def reset(self) -> None:
        """Close with a TCP RST instead of a FIN."""
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()
        self.closed = True


Handler = Callable[[Request, Connection], Awaitable[None]]


def head(status: int, headers: dict[str, str] | None = None, reason: bytes = b"X") -> bytes:
    lines = [b"HTTP/1.1 %d %s" % (status, reason)]
    lines += [f"{name}: {value}".encode("latin-1") for name, value in (headers or {}).items()]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def phrase(status: int) -> bytes:
    """The standard reason phrase of `status`."""
    try:
        return http.HTTPStatus(status).phrase.encode()
    except ValueError:
        return b"Unknown"


class Server:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self.sent: dict[str, int] = {}  # body bytes sent, by path
        self.posts: list[bytes] = []  # bodies POSTed to any path
        self._loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result()
        self.port: int = self._server.sockets[0].getsockname()[1]

    async def _start(self) -> asyncio.Server:
        return await asyncio.start_server(
            self._connection, "127.0.0.1", 0, limit=1 << 20, backlog=4096, ssl=self.tls
        )

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def url(self, path: str) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]

    def route(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    # -- behaviours --------------------------------------------------------------------

    def serve(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        etag: bool = True,
        delay: float = 0.0,
    ) -> str:
        """Serve `body` at `path` (replacing what was there), as a static file server does.

        With `etag` a 200 carries an ETag and a Last-Modified (now), and a request whose
        If-None-Match matches (or, without one, whose If-Modified-Since is not older) gets a
        304. `delay`: seconds to wait before answering. Returns the URL.
        """
        tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        modified = int(time.time())
        validators = {"ETag": tag, "Last-Modified": email.utils.formatdate(modified, usegmt=True)}

        async def handler(request: Request, connection: Connection) -> None:
            if delay:
                await asyncio.sleep(delay)
            fields = {"Content-Type": "application/rss+xml", **(headers or {})}
            if etag and status == 200:
                fields = {**validators, **fields}
                if _not_modified(request.headers, tag, modified):
                    await connection.send(head(304, fields, phrase(304)))
                    return
            fields["Content-Length"] = str(len(body))
            await connection.send(head(status, fields, phrase(status)) + body)
            self.sent[path] = self.sent.get(path, 0) + len(body)

        return self.route(path, handler)

    def respond(
        self,
        path: str,
        body: bytes,
        status: int = 200,
        headers: dict[str, str] | None = None,
        reason: bytes = b"OK",
    ) -> str:
        """A complete response with a Content-Length."""

        async def handler(request: Request, connection: Connection) -> None:
            fields = {"Content-Type": "application/rss+xml", **(headers or {})}
            fields["Content-Length"] = str(len(body))
            await connection.send(head(status, fields, reason) + body)
            self.sent[path] = self.sent.get(path, 0) + len(body)

        return self.route(path, handler)

    def stream(
        self,
        path: str,
        chunks: Callable[[], Iterable[bytes]],
        headers: dict[str, str] | None = None,
    ) -> str:
        """A chunked response from a generator: nothing is held in memory, `sent` counts."""

        async def handler(request: Request, connection: Connection) -> None:
            fields = {"Content-Type": "application/rss+xml", **(headers or {})}
            fields["Transfer-Encoding"] = "chunked"
            await connection.send(head(200, fields, b"OK"))
            for chunk in chunks():
                await connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.sent[path] = self.sent.get(path, 0) + len(chunk)
            await connection.send(b"0\r\n\r\n")

        return self.route(path, handler)

    def trickle(self, path: str, interval: float = 0.2) -> str:
        """Headers at once, then one byte of body every `interval` seconds, for ever."""

        async def handler(request: Request, connection: Connection) -> None:
            await connection.send(head(200, {"Content-Length": "1000000"}, b"OK"))
            while True:
                await connection.send(b" ")
                self.sent[path] = self.sent.get(path, 0) + 1
                await asyncio.sleep(interval)

        return self.route(path, handler)

    def hang(self, path: str) -> str:
        """Read the request, never answer."""

        async def handler(request: Request, connection: Connection) -> None:
            await asyncio.sleep(3600)

        return self.route(path, handler)

    def reset(self, path: str) -> str:
        """Read the request, then reset the connection."""

        async def handler(request: Request, connection: Connection) -> None:
            connection.reset()

        return self.route(path, handler)

    def redirect(
        self, path: str, location: str, status: int = 302, headers: dict[str, str] | None = None
    ) -> str:
        return self.respond(path, b"", status, {"Location": location, **(headers or {})}, b"Found")

    # -- plumbing ----------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        connection = Connection(reader, writer)
        try:
            while not connection.closed:
                request = _parse(await reader.readuntil(b"\r\n\r\n"))
                if request.method == "POST":
                    if request.headers.get("expect", "").lower() == "100-continue":
                        await connection.send(b"HTTP/1.1 100 Continue\r\n\r\n")
                    length = int(request.headers.get("content-length", "0"))
                    request.body = await reader.readexactly(length)
                self.requests.append(request)
                handler = self.routes.get(request.path)
                if request.method == "POST" and handler is None:
                    self.posts.append(request.body)
                    fields = {"Content-Type": "text/plain", "Content-Length": "2"}
                    await connection.send(head(200, fields, b"OK") + b"ok")
                elif handler is None:
                    body = b"not found"
                    fields = {"Content-Type": "text/plain", "Content-Length": str(len(body))}
                    await connection.send(head(404, fields, b"Not Found") + body)
                else:
                    await handler(request, connection)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.close()

    def stop(self) -> None:
        async def shutdown() -> None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def _parse(raw: bytes) -> Request:
    lines = raw.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return Request(method, path, headers, raw)


def _not_modified(headers: dict[str, str], etag: str, modified: int) -> bool:
    """Does a conditional GET match? If-None-Match decides when sent (RFC 9110 13.2.2)."""
    if "if-none-match" in headers:
        return etag in (tag.strip() for tag in headers["if-none-match"].split(","))
    since = headers.get("if-modified-since")
    if since is None:
        return False
    try:
        return email.utils.parsedate_to_datetime(since).timestamp() >= modified
    except (TypeError, ValueError):
        return False


# -- the network around the tests -------------------------------------------------------


def refused_url(path: str = "/feed.rss") -> str:
    """A URL on a local port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def clear_proxies(environment: pytest.MonkeyPatch | dict[str, str]) -> None:
    """Remove the proxy variables (either case) from a monkeypatched or a child's environment."""
    for name in (*PROXY_VARIABLES, *(name.upper() for name in PROXY_VARIABLES)):
        if isinstance(environment, dict):
            environment.pop(name, None)
        else:
            environment.delenv(name, raising=False)
