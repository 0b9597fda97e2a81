"""Hostile servers and measured runs: the helpers of the `test_hardening_*` files.

`HostileServer` speaks HTTP/1.1 by hand on 127.0.0.1 port 0 (an asyncio loop in a thread), so
a test can make it do what well-behaved servers never do: stream 200 MB, trickle, hang, reset
the connection, send raw bytes in a reason phrase, loop redirects. It logs every request.
`run` starts the installed command in a small wrapper that reports its peak RSS.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import COMMAND, Cli


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    raw: bytes  # the request head as received


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


class HostileServer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self.sent: dict[str, int] = {}  # body bytes sent, by path
        self._loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result()
        self.port: int = self._server.sockets[0].getsockname()[1]

    async def _start(self) -> asyncio.Server:
        return await asyncio.start_server(
            self._connection, "127.0.0.1", 0, limit=1 << 20, backlog=4096
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]

    def route(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    # -- behaviours --------------------------------------------------------------------

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
                raw = await reader.readuntil(b"\r\n\r\n")
                request = _parse(raw)
                self.requests.append(request)
                handler = self.routes.get(request.path)
                if handler is None:
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


@pytest.fixture(name="hostile")
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer()
    yield server
    server.stop()


def refused_url(path: str = "/feed.rss") -> str:
    """A URL on a local port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


# -- bodies ----------------------------------------------------------------------------


def gzip_bomb(size: int = 1 << 30) -> bytes:
    """A valid gzip member of `size` zero bytes (a multiple of 1 MiB) in about size/1000 bytes.

    After a full flush a deflate compressor starts afresh, so one compressed MiB of zeros can be
    repeated verbatim; only the CRC needs the whole input.
    """
    mebibyte = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(mebibyte) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size >> 20):
        crc = zlib.crc32(mebibyte, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return header + block * (size >> 20) + deflate.flush() + trailer


def zeros(total: int, piece: int = 1 << 16) -> Iterator[bytes]:
    chunk = bytes(piece)
    for _ in range(total // piece):
        yield chunk


# -- running the command ---------------------------------------------------------------

_MEASURE = """
import resource, subprocess, sys
completed = subprocess.run(sys.argv[2:])
with open(sys.argv[1], "w") as report:
    report.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(completed.returncode)
"""


@dataclass
class Run:
    code: int
    stdout: bytes
    stderr: bytes
    peak_mib: float = field(default=0.0)  # peak resident set size of the process

    @property
    def out(self) -> str:
        return self.stdout.decode()

    @property
    def err(self) -> str:
        return self.stderr.decode()


def run(
    cli: Cli,
    *args: str,
    input: bytes = b"",
    stdout: int | None = subprocess.PIPE,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], object] | None = None,
    measure: bool = True,
    timeout: float = 60,
) -> Run:
    """Run the installed command; with `measure`, also its peak RSS (a wrapper reports it)."""
    command = [str(COMMAND), *args]
    report = cli.directory / ".peak-rss"
    if measure:
        command = [sys.executable, "-c", _MEASURE, str(report), *command]
    completed = subprocess.run(
        command,
        input=input,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=env or cli.env,
        cwd=cli.directory,
        preexec_fn=preexec_fn,
        timeout=timeout,
    )
    peak = int(report.read_text()) / 1024 if measure else 0.0
    return Run(completed.returncode, completed.stdout or b"", completed.stderr, peak)


def state_temporaries(state: Path) -> list[Path]:
    """Temporary files of an atomic save left beside the state file."""
    return sorted(state.parent.glob(f".{state.name}.*"))


def no_terminal_controls(data: bytes) -> list[str]:
    """The control characters and bidi overrides in UTF-8 text that could drive a terminal."""
    text = data.decode("utf-8", "backslashreplace")
    return sorted(
        {
            f"U+{ord(char):04X}"
            for char in text
            if (ord(char) < 0x20 and char not in "\n")
            or 0x7F <= ord(char) <= 0x9F
            or 0x202A <= ord(char) <= 0x202E
            or 0x2066 <= ord(char) <= 0x2069
        }
    )
