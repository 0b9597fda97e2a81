"""`Http11Transport`, the HTTP/1.1 client under httpx2, against servers scripted byte by byte.

Most tests drive `httpx2.AsyncClient(transport=Http11Transport())` against `HostileServer`
routes that answer from a script and note which TCP connection each request came on, so
connection reuse is checked from the server's side. TLS is served by `http.server` behind a
self-signed certificate made with the `openssl` command; a few runs go through the installed
command. Every request is bounded by `DEADLINE` (the transport ignores httpx2's timeouts), so
a regression fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import shutil
import socket
import ssl
import subprocess
import threading
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import pytest
import trio

from statusstream import fetch as fetch_module
from statusstream import transport as transport_module
from statusstream.transport import MAX_HEAD, Http11Transport
from tests.conftest import Cli
from tests.feedgen import incident, statuspage_rss
from tests.hostile import (
    Connection,
    HostileServer,
    Request,
    hostile_server,  # noqa: F401 - the `hostile` fixture
    refused_url,
    run,
)

DEADLINE = 10.0  # seconds; no test here needs more than a fraction of it
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
FEED = statuspage_rss(
    [incident("tls1", "Reached", ("Investigating", "2025-11-03 14:32", "Over the wire."))]
)

Answer = Callable[[Connection], Awaitable[None]]


# -- scripted answers ------------------------------------------------------------------


def ok(body: bytes = b"ok", *fields: str, version: bytes = b"HTTP/1.1") -> bytes:
    """A complete response with a Content-Length, and `fields` ("Name: value") before it."""
    lines = [version + b" 200 OK", *(field.encode() for field in fields)]
    lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def send(*pieces: bytes, bytewise: bool = False) -> Answer:
    """Send `pieces`, each a write of its own, or every byte as a write of its own."""

    async def answer(connection: Connection) -> None:
        for piece in pieces:
            if bytewise:
                for index in range(len(piece)):
                    await connection.send(piece[index : index + 1])
            else:
                await connection.send(piece)

    return answer


def send_and_close(data: bytes, closed: threading.Event | None = None) -> Answer:
    """Send `data`, then close the connection (and, with `closed`, signal once it is closed)."""

    async def answer(connection: Connection) -> None:
        if data:
            await connection.send(data)
        connection.close()
        if closed is not None:
            connection.writer.close()
            await connection.writer.wait_closed()
            closed.set()

    return answer


def reset() -> Answer:
    async def answer(connection: Connection) -> None:
        connection.reset()

    return answer


def send_and_wait_for_close(data: bytes, sent: threading.Event, eof: threading.Event) -> Answer:
    """Send `data`, signal `sent`, then read until the client closes and signal `eof`.

    A client closing with unread data resets the connection: that is a close too.
    """

    async def answer(connection: Connection) -> None:
        try:
            if data:
                await connection.send(data)
            sent.set()
            await connection.reader.read()
        except ConnectionError:
            pass
        connection.close()
        eof.set()

    return answer


class Served:
    """HostileServer routes that answer from a script and note the connection of each request."""

    def __init__(self, hostile: HostileServer) -> None:
        self.hostile = hostile
        self.log: list[tuple[str, Connection]] = []

    def script(self, path: str, *answers: Answer | bytes) -> str:
        """Answer the n-th request to `path` with the n-th answer (the last one after that)."""

        async def handler(request: Request, connection: Connection) -> None:
            count = sum(1 for seen, _ in self.log if seen == path)
            self.log.append((path, connection))
            answer = answers[min(count, len(answers) - 1)]
            await (send(answer) if isinstance(answer, bytes) else answer)(connection)

        return self.hostile.route(path, handler)

    def connections(self, *paths: str) -> list[int]:
        """For each request (to `paths`, or to any), its connection: 0 for the first one, ..."""
        order: list[Connection] = []
        indexes = []
        for path, connection in self.log:
            index = next((i for i, known in enumerate(order) if known is connection), len(order))
            if index == len(order):
                order.append(connection)
            if not paths or path in paths:
                indexes.append(index)
        return indexes


@pytest.fixture
def served(hostile: HostileServer) -> Served:
    return Served(hostile)


@pytest.fixture
async def client() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(transport=Http11Transport()) as http:
        yield http


async def get(
    http: httpx2.AsyncClient, url: str, headers: dict[str, str] | None = None
) -> httpx2.Response:
    with trio.fail_after(DEADLINE):
        return await http.get(url, headers=headers)


async def wait(event: threading.Event) -> None:
    """Wait for a server thread to signal; failing, not hanging, if it never does."""
    assert await trio.to_thread.run_sync(event.wait, DEADLINE), "the server never got there"


async def wait_in_server(event: threading.Event) -> None:
    """In the server's asyncio thread: wait for a signal from the test."""
    assert await asyncio.to_thread(event.wait, DEADLINE), "the test never got there"


@contextlib.contextmanager
def closes_its_sockets() -> Iterator[None]:
    """A connection the transport drops is closed by it, not left to the garbage collector.

    The collector closes it too, but only once nothing refers to it (an exception's traceback
    may), and with a ResourceWarning: that warning is what this looks for.
    """
    gc.collect()  # what earlier tests left is not this one's doing
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        yield
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert [message for message in unclosed if "socket" in message] == []


# -- framing ---------------------------------------------------------------------------

CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;name=value\r\nhello\r\n"
    b'7 ; quoted="a;b" ; flag\r\n, world\r\n'
    b"0\r\nExpires: never\r\nX-Checksum: abc\r\n\r\n"
)
FRAMINGS = {
    "content-length": (ok(b"hello, world" * 20), b"hello, world" * 20),
    "chunked, extensions and trailers": (CHUNKED, b"hello, world"),
    "bare LF head": (b"HTTP/1.1 200 OK\nContent-Length: 5\nX-A: b\n\nhello", b"hello"),
    "interim responses first": (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + ok(b"hello"),
        b"hello",
    ),
    "empty chunked": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b""),
    "empty content-length": (ok(b""), b""),
}


@pytest.mark.parametrize("bytewise", [False, True], ids=["one write", "byte at a time"])
@pytest.mark.parametrize("framing", list(FRAMINGS))
async def test_framed_bodies_are_read_exactly(
    served: Served, client: httpx2.AsyncClient, framing: str, bytewise: bool
) -> None:
    """Each framing yields its body, ends exactly at its end, and the connection goes on."""
    raw, body = FRAMINGS[framing]
    url = served.script("/framed", send(raw, bytewise=bytewise))
    for _ in range(2):
        response = await get(client, url)
        assert response.status_code == 200
        assert response.content == body
        assert response.http_version == "HTTP/1.1"
    assert served.connections() == [0, 0]


async def test_a_large_content_length_body_arrives_whole(
    served: Served, client: httpx2.AsyncClient
) -> None:
    """A 3 MiB body over many receives comes whole and byte-exact; the connection is reused."""
    body = bytes(range(256)) * (3 * 4096)
    url = served.script("/big", ok(body))
    assert (await get(client, url)).content == body
    assert (await get(client, url)).content == body
    assert served.connections() == [0, 0]


async def test_a_body_without_length_runs_to_the_close(
    served: Served, client: httpx2.AsyncClient
) -> None:
    """No Content-Length nor chunked: the body ends with the connection, never reused.

    The response even claims keep-alive, which cannot hold without a length.
    """
    raw = b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n" + b"until the end" * 1000
    url = served.script("/eof", send_and_close(raw))
    for _ in range(2):
        assert (await get(client, url)).content == b"until the end" * 1000
    assert served.connections() == [0, 1]


async def test_a_transfer_coding_other_than_chunked_runs_to_the_close(
    served: Served, client: httpx2.AsyncClient
) -> None:
    """A Transfer-Encoding not ending in chunked is read to the close; Content-Length is moot."""
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabcdef"
    url = served.script("/coded", send_and_close(raw))
    assert (await get(client, url)).content == b"abcdef"
    assert (await get(client, url)).content == b"abcdef"
    assert served.connections() == [0, 1]


@pytest.mark.parametrize(
    "first",
    [
        ok(b"hello"),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ],
    ids=["content-length", "chunked"],
)
async def test_bytes_after_a_response_are_not_the_next_one(
    served: Served, client: httpx2.AsyncClient, first: bytes
) -> None:
    """Bytes sent after the end of a body (a forged second answer) never answer the next request.

    They come in the same write as the body: the connection holding them is dropped.
    """
    first_url = served.script("/first", first + ok(b"FORGED"))
    second_url = served.script("/second", ok(b"genuine"))
    assert (await get(client, first_url)).content == b"hello"
    assert (await get(client, second_url)).content == b"genuine"
    assert served.connections() == [0, 1]


# -- keep-alive ------------------------------------------------------------------------


async def test_sequential_requests_to_one_origin_share_one_connection(
    served: Served, client: httpx2.AsyncClient
) -> None:
    """Ten requests to two paths of one origin, one after the other: one TCP connection."""
    a = served.script("/a", ok(b"a"))
    b = served.script("/b", ok(b"b"))
    for _ in range(5):
        assert (await get(client, a)).text == "a"
        assert (await get(client, b)).text == "b"
    assert served.connections() == [0] * 10
    request = served.hostile.hits("/a")[0]
    assert request.raw.startswith(b"GET /a HTTP/1.1\r\n")
    assert request.headers["host"] == f"127.0.0.1:{served.hostile.port}"


@pytest.mark.parametrize(
    ("version", "fields", "reused"),
    [
        (b"HTTP/1.1", (), True),
        (b"HTTP/1.1", ("Connection: close",), False),
        (b"HTTP/1.1", ("Connection: Upgrade, CLOSE",), False),
        (b"HTTP/1.1", ("Connection: keep-alive", "Connection: close"), False),
        (b"HTTP/1.0", (), False),
        (b"HTTP/1.0", ("Connection: Keep-Alive",), True),
    ],
)
async def test_reuse_follows_the_version_and_the_connection_header(
    served: Served,
    client: httpx2.AsyncClient,
    version: bytes,
    fields: tuple[str, ...],
    reused: bool,
) -> None:
    """HTTP/1.1 keeps a connection unless `close`; HTTP/1.0 only with `keep-alive`.

    The server keeps every connection open: reuse is the client's own decision.
    """
    url = served.script("/v", ok(b"answer", *fields, version=version))
    for _ in range(3):
        assert (await get(client, url)).text == "answer"
    assert served.connections() == ([0, 0, 0] if reused else [0, 1, 2])


@pytest.mark.parametrize("read", [False, True], ids=["unread", "partly read"])
async def test_a_response_closed_before_its_end_does_not_return_its_connection(
    served: Served, client: httpx2.AsyncClient, read: bool
) -> None:
    """A streamed response closed before its body ends closes its connection, unpooled."""
    sent, eof = threading.Event(), threading.Event()
    body = b"x" * 100_000
    url = served.script("/long", send_and_wait_for_close(ok(body), sent, eof), ok(b"second"))
    with closes_its_sockets(), trio.fail_after(DEADLINE):
        async with client.stream("GET", url) as response:
            assert response.status_code == 200
            if read:
                pieces = response.aiter_raw()
                assert 0 < len(await anext(pieces)) < len(body)
                await pieces.aclose()
    await wait(eof)  # the client closed it
    assert (await get(client, url)).text == "second"
    assert served.connections() == [0, 1]


@pytest.mark.parametrize(("max_idle", "third"), [(16, 0), (1, 1), (0, 2)])
async def test_idle_connections_are_reused_most_recent_first_up_to_max_idle(
    served: Served, max_idle: int, third: int
) -> None:
    """Two connections go idle, the first-opened last: the next request takes it (LIFO).

    With room for one idle connection the last one back is closed, and with none, both are.
    """
    seen, release = threading.Event(), threading.Event()

    async def slow(connection: Connection) -> None:
        seen.set()
        await wait_in_server(release)
        await connection.send(ok(b"slow"))

    slow_url = served.script("/slow", slow)
    fast_url = served.script("/fast", ok(b"fast"))
    async with httpx2.AsyncClient(transport=Http11Transport(max_idle=max_idle)) as http:

        async def first() -> None:
            assert (await get(http, slow_url)).text == "slow"

        async with trio.open_nursery() as nursery:
            nursery.start_soon(first)
            await wait(seen)  # connection 0 is busy: the next request opens connection 1
            assert (await get(http, fast_url)).text == "fast"  # 1 goes back first
            release.set()  # then 0
        assert (await get(http, fast_url)).text == "fast"
    assert served.connections() == [0, 1, third]


# -- bodiless and interim responses ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "raw"),
    [
        ("GET", b"HTTP/1.1 204 No Content\r\n\r\n"),
        ("GET", b'HTTP/1.1 304 Not Modified\r\nContent-Length: 5000\r\nETag: "v1"\r\n\r\n'),
        ("HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n"),
    ],
    ids=["204", "304 with the length of the full body", "HEAD"],
)
async def test_bodiless_responses_have_no_body_and_keep_the_connection(
    served: Served, client: httpx2.AsyncClient, method: str, raw: bytes
) -> None:
    """204, 304 and a HEAD answer end at their head, whatever Content-Length says."""
    url = served.script("/empty", raw)
    after = served.script("/after", ok(b"next"))
    with trio.fail_after(DEADLINE):
        response = await client.request(method, url)
    assert response.content == b""
    assert (await get(client, after)).text == "next"
    assert served.connections() == [0, 0]


async def test_a_101_switching_protocols_is_an_error(
    served: Served, client: httpx2.AsyncClient
) -> None:
    """A 101 to a request that asked for no upgrade is refused, and its connection dropped."""
    url = served.script("/upgrade", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n")
    good = served.script("/good", ok(b"fine"))
    with closes_its_sockets(), pytest.raises(httpx2.RemoteProtocolError, match="switched"):
        await get(client, url)
    assert (await get(client, good)).text == "fine"
    assert served.connections() == [0, 1]


# -- malformed responses -----------------------------------------------------------------

MALFORMED = {
    "bad status code": (b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n", "malformed status line"),
    "not HTTP": (b"ICY 200 OK\r\nContent-Length: 0\r\n\r\n", "malformed status line"),
    "HTTP/2 status line": (b"HTTP/2 200\r\n\r\n", "malformed status line"),
    "header without colon": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nNoColonHere\r\n\r\nok",
        "malformed header line b'NoColonHere'",
    ),
    "space before colon": (
        b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
        "malformed header line",
    ),
    "NUL in a header": (b"HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n", "malformed header line"),
    "conflicting Content-Length headers": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "malformed Content-Length",
    ),
    "conflicting Content-Length list": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!",
        "malformed Content-Length",
    ),
    "negative Content-Length": (
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "malformed Content-Length",
    ),
    "bad chunk size": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        "malformed chunk size b'zz'",
    ),
    "0x chunk size": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
        "malformed chunk size",
    ),
    "chunk longer than its size": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
        "chunk data is longer than its size",
    ),
}
TRUNCATED = {
    "body shorter than Content-Length": (
        ok(b"hello").replace(b"Length: 5", b"Length: 10"),
        "server closed the connection in the middle of the body",
    ),
    "chunked body cut off": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        "server closed the connection in the middle of the body",
    ),
    "chunked body without its last chunk": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        "server closed the connection in the middle of the body",
    ),
    "closed mid-head": (
        b"HTTP/1.1 200 OK\r\nContent-Le",
        "server closed the connection in the middle of the response head",
    ),
    "closed before any answer": (b"", "server closed the connection without an answer"),
}


@pytest.mark.parametrize("case", list(MALFORMED) + list(TRUNCATED))
async def test_malformed_responses_are_protocol_errors(
    served: Served, client: httpx2.AsyncClient, case: str
) -> None:
    """Each is a RemoteProtocolError that says what was wrong; the transport goes on after it."""
    if case in MALFORMED:
        raw, message = MALFORMED[case]
        url = served.script("/bad", raw)
    else:
        raw, message = TRUNCATED[case]
        url = served.script("/bad", send_and_close(raw))
    good = served.script("/good", ok(b"fine"))
    with closes_its_sockets(), pytest.raises(httpx2.RemoteProtocolError) as caught:
        await get(client, url)
    assert message in str(caught.value)
    assert caught.value.request.url == url
    assert (await get(client, good)).text == "fine"
    assert served.connections() == [0, 1]
    assert len(served.hostile.hits("/bad")) == 1  # a fresh connection's failure is not resent


async def test_a_head_over_64_kib_is_refused(served: Served, client: httpx2.AsyncClient) -> None:
    """A 250 KiB head (4000 header lines) fails at the cap."""
    fields = b"".join(b"X-Pad-%04d: %s\r\n" % (index, b"p" * 50) for index in range(4000))
    assert len(fields) > 3 * MAX_HEAD
    url = served.script("/fat", b"HTTP/1.1 200 OK\r\n" + fields + b"Content-Length: 0\r\n\r\n")
    with pytest.raises(httpx2.RemoteProtocolError, match="response head is over 64 KiB"):
        await get(client, url)


async def test_an_endless_head_is_refused(served: Served, client: httpx2.AsyncClient) -> None:
    """A head that never ends (a header line that goes on and on) fails at the cap."""

    async def endless(connection: Connection) -> None:
        await connection.send(b"HTTP/1.1 200 OK\r\nX-Endless: ")
        while True:
            await connection.send(b"e" * 4096)

    url = served.script("/endless", endless)
    with pytest.raises(httpx2.RemoteProtocolError, match="response head is over 64 KiB"):
        await get(client, url)


async def test_a_head_just_over_64_kib_is_refused(
    served: Served, client: httpx2.AsyncClient
) -> None:
    """A 70 000 byte head, sent as 60 000 bytes then the rest, is over the cap and refused."""
    start = b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 60_000
    end = b"\r\nContent-Length: 2\r\n\r\nok"
    rest = b"b" * (70_000 - len(start) - len(end)) + end
    assert len(start + rest) == 70_000 > MAX_HEAD
    url = served.script("/big-head", send(start, rest))
    with pytest.raises(httpx2.RemoteProtocolError, match="response head is over 64 KiB"):
        await get(client, url)


async def test_a_status_code_under_100_is_an_error(
    served: Served, client: httpx2.AsyncClient
) -> None:
    """`HTTP/1.1 099` is no valid status; it must not be skipped like a 1xx."""
    url = served.script("/odd", b"HTTP/1.1 099 Odd\r\n\r\n" + ok(b"behind it"))
    with pytest.raises(httpx2.RemoteProtocolError, match="status"):
        await get(client, url)


async def test_a_malformed_content_length_closes_its_connection(
    served: Served, client: httpx2.AsyncClient
) -> None:
    """The connection is closed by the transport, not by the collector once the error is gone.

    (Unlike the other malformed answers in `test_malformed_responses_are_protocol_errors`.)
    """
    sent, eof = threading.Event(), threading.Event()
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
    url = served.script("/two-lengths", send_and_wait_for_close(raw, sent, eof))
    with closes_its_sockets():
        with pytest.raises(httpx2.RemoteProtocolError, match="malformed Content-Length") as caught:
            await get(client, url)
        await wait(eof)  # closed while the error is still held (a log, a FetchError chain)
        del caught


async def test_a_reset_in_the_middle_of_the_body_is_a_read_error(
    served: Served, client: httpx2.AsyncClient
) -> None:
    """A TCP reset after part of the body is a ReadError, not a truncated success."""

    async def cut(connection: Connection) -> None:
        await connection.send(ok(b"0123456789").replace(b"Length: 10", b"Length: 20"))
        connection.reset()

    url = served.script("/cut", cut)
    with pytest.raises(httpx2.ReadError, match="Connection reset by peer"):
        await get(client, url)


async def test_a_refused_connection_is_a_connect_error(client: httpx2.AsyncClient) -> None:
    with pytest.raises(httpx2.ConnectError):
        await get(client, refused_url())


# -- stale connections -----------------------------------------------------------------


async def test_an_idle_connection_the_server_closed_is_dropped_before_use(
    served: Served, client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server closes a kept-alive connection after its answer: the next request checks it
    (select() sees the close), drops it and opens a new one, sending nothing on the old."""
    checks: list[bool] = []
    usable = transport_module._Connection.usable

    def spy(connection: transport_module._Connection, expiry: float) -> bool:
        checks.append(usable(connection, expiry))
        return checks[-1]

    monkeypatch.setattr(transport_module._Connection, "usable", spy)
    closed = threading.Event()
    url = served.script("/once", send_and_close(ok(b"first"), closed), ok(b"second"))
    assert (await get(client, url)).text == "first"
    await wait(closed)
    assert (await get(client, url)).text == "second"
    assert checks == [False]
    assert served.connections() == [0, 1]


@pytest.mark.parametrize("how", ["close", "reset"])
async def test_a_reused_connection_closed_under_a_request_is_sent_again_once(
    served: Served, client: httpx2.AsyncClient, how: str
) -> None:
    """The server takes the second request on a kept connection, then closes it unanswered:
    the request goes again on a new connection, and succeeds."""
    dropped = send_and_close(b"") if how == "close" else reset()
    url = served.script("/flaky", ok(b"first"), dropped, ok(b"again"))
    assert (await get(client, url)).text == "first"
    assert (await get(client, url)).text == "again"
    assert served.connections() == [0, 0, 1]


async def test_a_request_is_sent_again_only_once(
    served: Served, client: httpx2.AsyncClient
) -> None:
    """When the new connection closes unanswered too, that is an error: no third attempt."""
    url = served.script("/dead", ok(b"first"), send_and_close(b""))
    assert (await get(client, url)).text == "first"
    with pytest.raises(httpx2.RemoteProtocolError, match="without an answer"):
        await get(client, url)
    assert served.connections() == [0, 0, 1]


async def test_a_request_answered_with_100_continue_is_not_sent_again(
    served: Served, client: httpx2.AsyncClient
) -> None:
    """A reused connection that answers 100 Continue and closes has seen the request."""
    interim = send_and_close(b"HTTP/1.1 100 Continue\r\n\r\n")
    url = served.script("/continue", ok(b"first"), interim, ok(b"again"))
    assert (await get(client, url)).text == "first"
    with pytest.raises(httpx2.RemoteProtocolError):
        await get(client, url)
    assert len(served.hostile.hits("/continue")) == 2


# -- cancellation ------------------------------------------------------------------------


async def test_a_request_cancelled_while_waiting_for_its_answer_leaves_the_transport_sound(
    served: Served, client: httpx2.AsyncClient
) -> None:
    """`trio.move_on_after` around a request to a server that never answers: the hung
    connection is closed, and the next request works on a new one."""
    sent, eof = threading.Event(), threading.Event()
    good = served.script("/good", ok(b"fine"))
    hang = served.script("/hang", send_and_wait_for_close(b"", sent, eof))
    assert (await get(client, good)).text == "fine"  # the idle connection /hang will take
    with closes_its_sockets(), trio.move_on_after(0.3) as scope:
        await client.get(hang)
    assert scope.cancelled_caught
    await wait(sent)  # it was sent (on the reused connection) ...
    await wait(eof)  # ... and that connection was closed
    assert (await get(client, good)).text == "fine"
    assert served.connections() == [0, 0, 1]


async def test_a_request_cancelled_in_the_middle_of_its_body_closes_its_connection(
    served: Served, client: httpx2.AsyncClient
) -> None:
    """Cancelled while waiting for the rest of a body: the connection is closed, not pooled."""
    sent, eof = threading.Event(), threading.Event()
    half = ok(b"x" * 100).replace(b"Length: 100", b"Length: 200")
    url = served.script("/half", send_and_wait_for_close(half, sent, eof), ok(b"whole"))
    with closes_its_sockets(), trio.fail_after(DEADLINE):
        async with client.stream("GET", url) as response:
            pieces = response.aiter_raw()
            assert set(await anext(pieces)) == {ord("x")}
            with trio.CancelScope() as scope:
                scope.cancel()  # at the next checkpoint: the receive of the rest
                await anext(pieces)
            assert scope.cancelled_caught
    await wait(eof)
    assert (await get(client, url)).text == "whole"
    assert served.connections() == [0, 1]


# -- request heads ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a\r\nInjected: yes", "a\nInjected: yes", "a\rb", "a\0b"])
async def test_a_header_value_with_a_line_break_is_refused_before_sending(
    served: Served, client: httpx2.AsyncClient, value: str
) -> None:
    """Nothing is sent: no request reaches the server until the next, clean one."""
    url = served.script("/h", ok(b"fine"))
    with pytest.raises(httpx2.LocalProtocolError):
        await get(client, url, headers={"X-Evil": value})
    assert (await get(client, url)).text == "fine"
    assert len(served.hostile.requests) == 1
    assert b"Injected" not in served.hostile.requests[0].raw
    assert "x-evil" not in served.hostile.requests[0].headers


async def test_a_header_name_with_a_line_break_is_refused_before_sending(
    served: Served, client: httpx2.AsyncClient
) -> None:
    url = served.script("/h", ok(b"fine"))
    with pytest.raises(httpx2.LocalProtocolError):
        await get(client, url, headers={"X-Evil\r\nInjected": "yes"})
    assert all(b"Injected" not in request.raw for request in served.hostile.requests)


async def test_a_method_that_is_not_a_token_is_refused_before_sending(
    served: Served, client: httpx2.AsyncClient
) -> None:
    url = served.script("/h", ok(b"fine"))
    with pytest.raises(httpx2.LocalProtocolError), trio.fail_after(DEADLINE):
        await client.request("GET /smuggled HTTP/1.1\r\nX-A:", url)
    assert served.hostile.hits("/smuggled") == []


# -- TLS -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed: no certificate for the TLS tests")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    options = (
        "req -x509 -nodes -days 2 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
        " -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
        " -addext keyUsage=critical,digitalSignature,keyCertSign"
        " -addext extendedKeyUsage=serverAuth"
    )
    command = [openssl, *options.split(), "-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return cert, key


class TlsServer:
    """HTTPS on 127.0.0.1: `routes` maps a path to the writes of its raw answer.

    The writes of one answer leave in one TCP segment (TCP_CORK), each its own TLS record.
    Each request is noted with its client port: one port, one connection.
    """

    def __init__(self, cert: Path, key: Path) -> None:
        self.routes: dict[str, list[bytes]] = {}
        self.requests: list[tuple[str, int]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.requests.append((self.path, self.client_address[1]))
                writes = server.routes.get(self.path, [ok(b"not found")])
                cork = getattr(socket, "TCP_CORK", None)
                if cork is not None:
                    self.connection.setsockopt(socket.IPPROTO_TCP, cork, 1)
                for data in writes:
                    self.wfile.write(data)
                if cork is not None:
                    self.connection.setsockopt(socket.IPPROTO_TCP, cork, 0)

            def log_message(self, format: str, *args: object) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def tls(certificate: tuple[Path, Path]) -> Iterator[TlsServer]:
    server = TlsServer(*certificate)
    yield server
    server.stop()


async def test_tls_fails_to_connect_without_the_certificate_authority(
    tls: TlsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With only the system's CAs, a self-signed certificate is a ConnectError, nothing sent."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    tls.routes["/feed"] = [ok(b"secret")]
    async with httpx2.AsyncClient(transport=Http11Transport()) as http:
        with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await get(http, tls.url("/feed"))
    assert tls.requests == []


async def test_tls_with_ssl_cert_file_succeeds_and_reuses_the_connection(
    tls: TlsServer, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SSL_CERT_FILE naming the certificate is honoured; both requests share one connection."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    tls.routes["/feed"] = [ok(b"over TLS")]
    tls.routes["/chunked"] = [CHUNKED]
    async with httpx2.AsyncClient(transport=Http11Transport()) as http:
        assert (await get(http, tls.url("/feed"))).content == b"over TLS"
        assert (await get(http, tls.url("/chunked"))).content == b"hello, world"
        assert (await get(http, tls.url("/feed"))).content == b"over TLS"
    assert [path for path, _ in tls.requests] == ["/feed", "/chunked", "/feed"]
    assert len({port for _, port in tls.requests}) == 1


async def test_tls_bytes_after_a_response_are_not_the_next_one(
    tls: TlsServer, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forged second answer in a TLS record of its own, in the same segment as the first."""
    if getattr(socket, "TCP_CORK", None) is None:
        pytest.skip("needs TCP_CORK to send two TLS records in one segment")
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    tls.routes["/first"] = [ok(b"hello"), ok(b"FORGED")]
    tls.routes["/second"] = [ok(b"genuine")]
    async with httpx2.AsyncClient(transport=Http11Transport()) as http:
        assert (await get(http, tls.url("/first"))).content == b"hello"
        assert (await get(http, tls.url("/second"))).content == b"genuine"


def test_the_command_honours_ssl_cert_file(
    tls: TlsServer, certificate: tuple[Path, Path], cli: Cli
) -> None:
    """End to end: an https feed fails certificate verification, then, with SSL_CERT_FILE
    naming its certificate, is read."""
    tls.routes["/feed.rss"] = [ok(FEED, "Content-Type: application/rss+xml")]
    feeds = cli.feeds(f"Secure {tls.url('/feed.rss')}")
    cli.env.pop("SSL_CERT_FILE", None)
    cli.env.pop("SSL_CERT_DIR", None)
    refused = run(cli, "--once", "--since", "all", feeds, measure=False)
    assert refused.code == 1
    assert "Secure: failing: network error:" in refused.err
    assert "CERTIFICATE_VERIFY_FAILED" in refused.err
    cli.env["SSL_CERT_FILE"] = str(certificate[0])
    result = run(cli, "--once", "--since", "all", feeds, measure=False)
    assert result.code == 0, result.err
    assert [json.loads(line)["title"] for line in result.stdout.splitlines()] == ["Reached"]


# -- proxies ---------------------------------------------------------------------------


def clear_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


async def poll(transport: httpx2.AsyncBaseTransport, url: str) -> bytes:
    """What the poller does with the shared transport: one `fetch.fetch`."""
    with trio.fail_after(DEADLINE):
        fetched = await fetch_module.fetch(
            transport, url, headers={}, etag=None, last_modified=None
        )
    return fetched.body


async def test_an_environment_proxy_is_left_to_httpx2(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With HTTP_PROXY set, the shared transport is not ours and the request goes to the proxy
    in absolute form: the feed's host does not even exist."""
    clear_proxies(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", hostile.url(""))
    hostile.respond("http://status.example/feed.rss", b"via the proxy")
    transport = fetch_module.make_transport(4)
    try:
        assert not isinstance(transport, Http11Transport)
        assert await poll(transport, "http://status.example/feed.rss") == b"via the proxy"
    finally:
        await transport.aclose()
    [request] = hostile.requests
    assert request.raw.startswith(b"GET http://status.example/feed.rss HTTP/1.1\r\n")
    assert request.headers["host"] == "status.example"
    assert request.headers["user-agent"] == fetch_module.USER_AGENT


async def test_without_a_proxy_the_shared_transport_is_http11transport(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No proxy in the environment: our transport, and the request lands directly."""
    clear_proxies(monkeypatch)
    url = hostile.respond("/feed.rss", b"direct")
    transport = fetch_module.make_transport(4)
    try:
        assert isinstance(transport, Http11Transport)
        assert await poll(transport, url) == b"direct"
    finally:
        await transport.aclose()
    [request] = hostile.requests
    assert request.raw.startswith(b"GET /feed.rss HTTP/1.1\r\n")
    assert request.headers["host"] == f"127.0.0.1:{hostile.port}"
    assert request.headers["user-agent"] == fetch_module.USER_AGENT


def test_the_command_uses_an_environment_proxy(hostile: HostileServer, cli: Cli) -> None:
    """End to end: with HTTP_PROXY in its environment the command polls through the proxy."""
    for name in PROXY_VARIABLES:
        cli.env.pop(name, None)
        cli.env.pop(name.upper(), None)
    cli.env["HTTP_PROXY"] = hostile.url("")
    hostile.respond("http://status.example/feed.rss", FEED)
    feeds = cli.feeds("http://status.example/feed.rss")
    result = run(cli, "--once", "--since", "all", feeds, measure=False)
    assert result.code == 0, result.err
    assert [json.loads(line)["title"] for line in result.stdout.splitlines()] == ["Reached"]
    assert [request.path for request in hostile.requests] == ["http://status.example/feed.rss"]
