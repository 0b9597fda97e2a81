"""`statusstream.fetch`: one conditional GET, against servers scripted byte by byte.

Most tests call `fetch.fetch` with the transports of `client.Clients` against `Server`
routes (tests/servers.py) that answer from a script and note which TCP connection each
request came on, so connection reuse is seen from the server's side; TLS is the same server
behind a certificate made with the `openssl` command. The rest fake the network with
`httpx2.MockTransport`. Every async test runs under `trio.fail_after(DEADLINE)`.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import shutil
import ssl
import subprocess
import threading
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import brotli
import httpx2
import pytest
import trio
from httpcore2._backends.trio import TrioStream

from statusstream import client as http_client
from statusstream import fetch
from statusstream.errors import FetchError
from tests.e2e.command import no_terminal_controls
from tests.feedgen import incident, statuspage_rss
from tests.servers import Connection, Request, Server, clear_proxies, refused_url

DEADLINE = 10.0  # seconds; no test here needs more than a fraction of it
MAX_BODY = 64 * 1024  # small, so that the tests of the caps are quick
FEED = statuspage_rss(
    [incident("tls1", "Reached", ("Investigating", "2025-11-03 14:32", "Over the wire."))]
)
SECRET = "s3cr3t-T0KEN-value"
Answer = Callable[[Connection], Awaitable[None]]
Client = http_client.Clients


# -- scripted servers ------------------------------------------------------------------


def ok(body: bytes = b"ok", *fields: str, version: bytes = b"HTTP/1.1") -> bytes:
    """A complete response with a Content-Length, and `fields` ("Name: value") before it."""
    lines = [version + b" 200 OK", *(field.encode("latin-1") for field in fields)]
    lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def send(data: bytes, bytewise: bool = False) -> Answer:
    """Send `data` in one write, or every byte as a write of its own."""

    async def answer(connection: Connection) -> None:
        step = 1 if bytewise else max(len(data), 1)
        for index in range(0, len(data), step):
            await connection.send(data[index : index + step])

    return answer


def send_and_close(data: bytes = b"") -> Answer:
    async def answer(connection: Connection) -> None:
        await connection.send(data)
        connection.close()

    return answer


async def reset(connection: Connection) -> None:
    connection.reset()


async def never_answer(connection: Connection) -> None:
    await asyncio.sleep(3600)


class Served:
    """Server routes that answer from a script and note the connection of each request."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.log: list[tuple[str, Connection]] = []

    def script(self, path: str, *answers: Answer | bytes) -> str:
        """Answer the n-th request to `path` with the n-th answer (the last one after that)."""

        async def handler(request: Request, connection: Connection) -> None:
            count = sum(1 for seen, _ in self.log if seen == path)
            self.log.append((path, connection))
            answer = answers[min(count, len(answers) - 1)]
            await (send(answer) if isinstance(answer, bytes) else answer)(connection)

        return self.server.route(path, handler)

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

    def kept(self, connection: Connection) -> bool:
        """Has `connection` carried a request before the one it carries now?"""
        return sum(seen is connection for _, seen in self.log) > 1


@pytest.fixture
def served(server: Server) -> Served:
    return Served(server)


@pytest.fixture
async def client(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Client]:
    clear_proxies(monkeypatch)
    async with http_client.Clients() as http:
        yield http


async def get(http: Client, url: str, **options: Any) -> fetch.Fetched:
    """`fetch.fetch`, with no headers nor validators unless given."""
    return await fetch.fetch(
        http, url, **{"headers": {}, "etag": None, "last_modified": None, **options}
    )


async def fails(http: Client, url: str, **options: Any) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await get(http, url, **options)
    return caught.value


# -- framing ---------------------------------------------------------------------------

CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b'5;name=value\r\nhello\r\n7;quoted="a;b";flag\r\n, world\r\n'
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
}


@pytest.mark.parametrize("bytewise", [False, True], ids=["one write", "byte at a time"])
@pytest.mark.parametrize("framing", list(FRAMINGS))
async def test_framed_bodies_are_read_exactly(
    served: Served, client: Client, framing: str, bytewise: bool
) -> None:
    """Each framing yields its body, ends exactly at its end, and the connection goes on."""
    raw, body = FRAMINGS[framing]
    url = served.script("/framed", send(raw, bytewise=bytewise))
    with trio.fail_after(DEADLINE):
        assert (await get(client, url)).body == body
        assert (await get(client, url)).body == body
    assert served.connections() == [0, 0]


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
MALFORMED = {
    "bad status code": b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n",
    "status under 100": b"HTTP/1.1 099 Odd\r\n\r\n" + ok(b"behind it"),
    "header without colon": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nNoColonHere\r\n\r\nok",
    "conflicting Content-Length": b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!",
    "Content-Length of non-ASCII digits": ok(b"hello").replace(b": 5", b": \xb2"),
    "chunked and a Content-Length of non-ASCII digits": (
        CHUNKED_HEAD + b"Content-Length: \xb2\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    ),
    # RFC 9112 allows whitespace before a chunk extension (the old transport took it), h11 not
    "chunk extension after whitespace": CHUNKED_HEAD + b"\r\n5 ; a=b\r\nhello\r\n0\r\n\r\n",
    "bad chunk size": CHUNKED_HEAD + b"\r\nzz\r\nhi\r\n0\r\n\r\n",
    "chunk longer than its size": CHUNKED_HEAD + b"\r\n3\r\nhello\r\n0\r\n\r\n",
    "a head over 100 KiB": b"HTTP/1.1 200 OK\r\nX-Pad: " + b"p" * 200_000 + b"\r\n\r\n",
}
TRUNCATED = {
    "body shorter than Content-Length": ok(b"hello").replace(b": 5", b": 10"),
    "chunked body cut off": CHUNKED_HEAD + b"\r\n5\r\nhel",
    "closed before an answer": b"",
    "closed in the middle of the head": b"HTTP/1.1 200 OK\r\nContent-Le",
}


@pytest.mark.parametrize(
    "case",
    [
        *MALFORMED,
        *TRUNCATED,
    ],
)
async def test_malformed_responses_are_fetch_errors(
    served: Served, client: Client, case: str
) -> None:
    """Each is a FetchError naming the host, sent once; the client goes on after it."""
    answer = MALFORMED[case] if case in MALFORMED else send_and_close(TRUNCATED[case])
    url = served.script("/bad", answer)
    good = served.script("/good", ok(b"fine"))
    with trio.fail_after(DEADLINE):
        error = await fails(client, url)
        assert (await get(client, good)).body == b"fine"
    assert str(error).startswith(f"127.0.0.1:{served.server.port}: ")
    assert served.connections() == [0, 1]
    assert len(served.server.hits("/bad")) == 1


@pytest.mark.xfail(
    strict=True,
    reason="httpcore2 pools a connection whose h11 buffer holds bytes past the end of a"
    " response; the next request on it reads them as its answer",
)
async def test_bytes_after_a_response_never_answer_the_next_request(
    served: Served, client: Client
) -> None:
    """Bytes past the end of a body (a forged second answer) never answer the next request."""
    first = served.script("/first", ok(b"hello") + ok(b"FORGED"))
    second = served.script("/second", ok(b"genuine"))
    with trio.fail_after(DEADLINE):
        assert (await get(client, first)).body == b"hello"
        assert (await get(client, second)).body == b"genuine"


# -- keep-alive and the one resend -----------------------------------------------------


async def test_sequential_fetches_to_one_origin_share_one_connection(
    served: Served, client: Client
) -> None:
    """Ten fetches of two paths of one origin, one after the other: one TCP connection."""
    a, b = served.script("/a", ok(b"a")), served.script("/b", ok(b"b"))
    with trio.fail_after(DEADLINE):
        for _ in range(5):
            assert (await get(client, a)).body == b"a"
            assert (await get(client, b)).body == b"b"
    assert served.connections() == [0] * 10
    request = served.server.hits("/a")[0]
    assert request.raw.startswith(b"GET /a HTTP/1.1\r\n")
    assert request.headers["host"] == f"127.0.0.1:{served.server.port}"
    assert request.headers["user-agent"] == http_client.USER_AGENT
    codings = {coding.strip() for coding in request.headers["accept-encoding"].split(",")}
    assert {"gzip", "deflate", "br"} <= codings


@pytest.mark.parametrize(
    ("dropped", "then"),
    [
        pytest.param(send_and_close(), ok(b"again"), id="closed"),
        pytest.param(reset, ok(b"again"), id="reset"),
        pytest.param(send_and_close(), send_and_close(), id="closed, and the new one too"),
    ],
)
async def test_a_kept_connection_closed_under_a_request_is_sent_again_once(
    served: Served, client: Client, dropped: Answer, then: Answer | bytes
) -> None:
    """A kept connection closed unanswered under a request: sent again on a new one, only once."""
    url = served.script("/flaky", ok(b"first"), dropped, then)
    with trio.fail_after(DEADLINE):
        assert (await get(client, url)).body == b"first"
        if isinstance(then, bytes):
            assert (await get(client, url)).body == b"again"
        else:
            assert "without sending a response" in str(await fails(client, url))
    assert served.connections() == [0, 0, 1]  # two requests for the second poll, no third


async def keep_connections(served: Served, http: Client, count: int) -> str:
    """Leave `count` idle kept-alive connections in `http`'s pool; returns the URL of a feed
    whose requests the server reads, then closes unanswered, on a kept connection."""
    everyone = asyncio.Event()  # used in the server's loop only

    async def warm(connection: Connection) -> None:
        if len(served.server.hits("/warm")) == count:  # all in flight at once: `count` opened
            everyone.set()
        await everyone.wait()
        await connection.send(ok(b"warm"))

    async def feed(connection: Connection) -> None:
        await (send_and_close() if served.kept(connection) else send(ok(FEED)))(connection)

    warm_url = served.script("/warm", warm)
    async with trio.open_nursery() as nursery:
        for _ in range(count):
            nursery.start_soon(get, http, warm_url)
    assert len(set(served.connections("/warm"))) == count
    return served.script("/feed", feed)


async def test_kept_connections_closed_as_requests_arrive_cost_at_most_two_gets_a_poll(
    served: Served, client: Client
) -> None:
    """16 idle kept connections closed as each request comes (once 17 GETs): <= 2 GETs a poll."""
    with trio.fail_after(DEADLINE):
        url = await keep_connections(served, client, 16)
        for _ in range(9):
            before = len(served.server.hits("/feed"))
            try:
                assert (await get(client, url)).body == FEED
            except FetchError as error:
                assert "without sending a response" in str(error)
            assert 1 <= len(served.server.hits("/feed")) - before <= 2


async def test_the_one_resend_goes_on_a_new_connection(served: Served, client: Client) -> None:
    """Idle kept connections closed as requests arrive: the resend is on a new one, and succeeds."""
    with trio.fail_after(DEADLINE):
        url = await keep_connections(served, client, 4)
        assert (await get(client, url)).body == FEED
    assert len(served.server.hits("/feed")) == 2


@pytest.mark.parametrize("scope", ["move_on_after", "fail_after"])
async def test_a_fetch_cut_off_by_the_callers_deadline_leaves_the_client_usable(
    served: Served, client: Client, scope: str
) -> None:
    """A deadline around a fetch that gets no answer: the next fetch works, on a new connection."""
    good, hang = served.script("/good", ok(b"fine")), served.script("/hang", never_answer)
    with trio.fail_after(DEADLINE):
        assert (await get(client, good)).body == b"fine"  # the idle connection /hang will take
        if scope == "move_on_after":
            with trio.move_on_after(0.3) as cancel:
                await get(client, hang)
            assert cancel.cancelled_caught
        else:
            with pytest.raises(trio.TooSlowError), trio.fail_after(0.3):
                await get(client, hang)
        assert (await get(client, good)).body == b"fine"
    assert served.connections() == [0, 0, 1]


# -- the caps --------------------------------------------------------------------------


@pytest.fixture
def socket_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every read from a socket, seen below httpcore2 (and below fetch's count)."""
    reads: list[int] = []
    original = TrioStream.read

    async def read(self: TrioStream, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        data = await original(self, max_bytes, timeout)
        reads.append(len(data))
        return data

    monkeypatch.setattr(TrioStream, "read", read)
    return reads


@pytest.mark.parametrize("proxied", [False, True], ids=["direct", "through HTTP_PROXY"])
@pytest.mark.parametrize("extension", [15_000, 60_000, 150_000])
async def test_a_flood_of_chunk_extensions_is_cut_off(
    served: Served,
    monkeypatch: pytest.MonkeyPatch,
    socket_reads: list[int],
    extension: int,
    proxied: bool,
) -> None:
    """Endless 1-byte chunks with huge extensions: a FetchError after reading about 2 x max_body."""
    stopped, piece = threading.Event(), b"1;x=" + b"e" * extension + b"\r\na\r\n"

    async def flood(connection: Connection) -> None:
        try:
            await connection.send(CHUNKED_HEAD + b"\r\n")
            while True:  # until the client hangs up
                await connection.send(piece)
                served.server.sent["flood"] = served.server.sent.get("flood", 0) + len(piece)
        finally:
            stopped.set()

    clear_proxies(monkeypatch)
    if proxied:
        monkeypatch.setenv("HTTP_PROXY", served.server.url(""))
    url = "http://status.example/flood" if proxied else served.server.url("/flood")
    served.script(url.removeprefix(served.server.url("")), flood)
    with trio.fail_after(DEADLINE):
        async with http_client.Clients() as http:
            error = await fails(http, url, max_body=MAX_BODY)
        assert await trio.to_thread.run_sync(stopped.wait, DEADLINE)
    if extension < 100 * 1024:  # the longest line httpcore2 lets h11 take
        assert "over the 65536 byte limit (as read from the network)" in str(error)
    assert sum(socket_reads) <= 2 * MAX_BODY + 128 * 1024
    assert served.server.sent["flood"] < 16 * 1024 * 1024  # what the socket buffers hold


@pytest.mark.parametrize(
    ("value", "expected"), [("120", 120.0), ("\xb9", None), ("9" * 400, 86400.0)]
)
async def test_retry_after_on_a_503(
    served: Served, client: Client, value: str, expected: float | None
) -> None:
    """A 503 is a FetchError; its Retry-After is kept in ASCII digits (capped), else ignored."""
    answer = ok(b"busy", f"Retry-After: {value}").replace(b"200 OK", b"503 Busy")
    with trio.fail_after(DEADLINE):
        error = await fails(client, served.script("/busy", answer))
    assert (str(error), error.retry_after) == ("HTTP 503 Busy", expected)


NOW = 1_762_180_320.0  # 2025-11-03 14:32:00 UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("9" * 400, 86400.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 86400.0),
        (email.utils.formatdate(NOW + 60, usegmt=True), 60.0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
        ("Thu, 01 Jan 1970 00:00:00 -0000", None),  # no zone: a naive date
        ("soon", None),
        ("\xb9", None),  # superscript one
        ("\u0661\u0662", None),  # Arabic-Indic digits
        ("\uff11\uff12", None),  # fullwidth digits
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    """ASCII digits or an HTTP date, as seconds from now capped at a day; anything else None."""
    assert fetch.parse_retry_after(value, now=NOW) == expected


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("unreachable", ["refused", "unknown"])
async def test_a_failed_connection_names_the_host_and_the_reason(
    client: Client, unreachable: str
) -> None:
    """A refused port, a host that does not resolve (`.invalid`): `<host>: cannot connect: ...`."""
    url = refused_url() if unreachable == "refused" else "http://status.invalid/feed.rss"
    with trio.fail_after(DEADLINE):
        error = await fails(client, url)
    where = httpx2.URL(url).netloc.decode()
    reason = "connection refused" if unreachable == "refused" else "name not found ("
    assert str(error).startswith(f"{where}: cannot connect: {reason}")


@pytest.mark.parametrize("where", ["feed URL", "redirect"])
async def test_a_64_character_label_is_a_fetch_error(
    server: Server, client: Client, where: str
) -> None:
    """A host with a 64-character label, in the URL or a Location: a FetchError, no UnicodeError."""
    far = f"http://{'a' * 64}.example/feed.rss"
    url = far if where == "feed URL" else server.redirect("/go", far)
    with trio.fail_after(DEADLINE):
        error = await fails(client, url)
    assert str(error).startswith("invalid URL: ")


async def test_a_reason_phrase_reaches_no_message_raw() -> None:
    """The failure message (an event title with --health, shown as is on a terminal) is clean."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(500, extensions={"reason_phrase": b"Boom \x1b]0;owned\x07\x9b2J"})

    async with http_client.Clients(lambda: httpx2.MockTransport(handler)) as client:
        with pytest.raises(FetchError) as caught, trio.fail_after(DEADLINE):
            await fetch.fetch(
                client, "https://a.test/feed", headers={}, etag=None, last_modified=None
            )
    assert str(caught.value).startswith("HTTP 500 Boom")
    assert no_terminal_controls(str(caught.value).encode()) == []


# -- redirects, cookies, validators, encodings -----------------------------------------


async def test_feed_headers_follow_redirects_only_to_their_origin() -> None:
    """A feed's headers go along to its own origin, and from http to https on its host only."""
    home, token = "http://status.example", "Bearer s3cret-token"
    chain = {  # each URL -> the Location it answers with, and whether the token goes there
        f"{home}/a": ("/b", True),
        f"{home}/b": ("https://status.example/c", True),
        "https://status.example/c": (f"{home}:8080/d", True),  # upgraded, the same host
        f"{home}:8080/d": ("https://other.example/e", False),  # another port
        "https://other.example/e": (f"{home}/f", False),  # another host
        f"{home}/f": (None, True),  # home again
        "https://secure.example/a": ("http://secure.example/b", True),
        "http://secure.example/b": (None, False),  # downgraded
    }
    seen: dict[str, bool] = {}

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen[str(request.url)] = request.headers.get("Authorization") == token
        location = chain[str(request.url)][0]
        if location is None:
            return httpx2.Response(200, content=b"home")
        return httpx2.Response(302, headers={"Location": location})

    with trio.fail_after(DEADLINE):
        async with http_client.Clients(lambda: httpx2.MockTransport(handler)) as http:
            for start in (f"{home}/a", "https://secure.example/a"):
                assert (await get(http, start, headers={"Authorization": token})).body == b"home"
    assert seen == {url: sent for url, (_, sent) in chain.items()}


async def test_header_secrets_follow_only_their_origin_or_an_upgrade() -> None:
    """Redirects carry the feed's headers only to its own origin or to https on the same host."""
    redirects = {
        "http://a.test/feed": "https://a.test/feed",
        "https://b.test/feed": "http://b.test/feed",
        "https://c.test/feed": "https://c.test:8443/feed",
        "http://d.test/feed": "https://e.test/feed",
        "https://f.test/feed": "https://f.test/other",
    }
    seen: dict[str, str | None] = {}

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen[str(request.url)] = request.headers.get("x-token")
        if location := redirects.get(str(request.url)):
            return httpx2.Response(301, headers={"Location": location})
        return httpx2.Response(200, content=FEED)

    async with http_client.Clients(lambda: httpx2.MockTransport(handler)) as client:
        with trio.fail_after(10):
            for url in redirects:
                await fetch.fetch(
                    client, url, headers={"X-Token": SECRET}, etag=None, last_modified=None
                )
    assert seen == {
        "http://a.test/feed": SECRET,
        "https://a.test/feed": SECRET,
        "https://b.test/feed": SECRET,
        "http://b.test/feed": None,
        "https://c.test/feed": SECRET,
        "https://c.test:8443/feed": None,
        "http://d.test/feed": SECRET,
        "https://e.test/feed": None,
        "https://f.test/feed": SECRET,
        "https://f.test/other": SECRET,
    }


async def test_a_feed_header_replaces_a_default_whatever_its_case() -> None:
    """`header="user-agent: ..."` sends that User-Agent alone, not beside statusstream's own."""
    seen: list[list[tuple[bytes, bytes]]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.headers.raw)
        return httpx2.Response(200, content=FEED)

    async with http_client.Clients(lambda: httpx2.MockTransport(handler)) as client:
        own = {"user-agent": "MyBot/1.0", "accept-encoding": "identity"}
        with trio.fail_after(DEADLINE):
            await fetch.fetch(
                client, "https://a.test/feed", headers=own, etag='"v1"', last_modified=None
            )
    [raw] = seen
    names = [name.lower() for name, _ in raw]
    assert names.count(b"user-agent") == names.count(b"accept-encoding") == 1
    assert (b"user-agent", b"MyBot/1.0") in raw
    assert (b"accept-encoding", b"identity") in raw
    assert (b"If-None-Match", b'"v1"') in raw


@pytest.mark.parametrize("hops", [5, 6])
async def test_at_most_five_redirects_are_followed(
    server: Server, client: Client, hops: int
) -> None:
    """Five redirects are followed; a sixth is an error, and is not requested."""
    for hop in range(hops):
        server.redirect(f"/r{hop}", f"/r{hop + 1}")
    server.respond(f"/r{hops}", b"arrived")
    with trio.fail_after(DEADLINE):
        if hops == 5:
            assert (await get(client, server.url("/r0"))).body == b"arrived"
        else:
            error = await fails(client, server.url("/r0"))
            assert str(error) == "too many redirects (more than 5)"
    assert len(server.requests) == 6


@pytest.mark.parametrize(
    "location", ["ftp://status.example/feed", "file:///etc/passwd", "javascript:alert(1)"]
)
async def test_a_redirect_to_another_scheme_is_refused(
    server: Server, client: Client, location: str
) -> None:
    """Only http and https are followed; the error names the scheme."""
    with trio.fail_after(DEADLINE):
        error = await fails(client, server.redirect("/go", location))
    assert str(error) == f"redirect to an unsupported scheme {location.split(':')[0]!r}"


async def test_cookies_are_neither_kept_nor_sent(server: Server, client: Client) -> None:
    """Set-Cookie on a redirect and on the feed: no later request carries a cookie (there is
    no cookie jar to keep one)."""
    start = server.redirect("/start", "/feed", headers={"Set-Cookie": "session=abc; Path=/"})
    server.respond("/feed", b"feed", headers={"Set-Cookie": "tracker=1; Path=/"})
    with trio.fail_after(DEADLINE):
        for _ in range(2):
            assert (await get(client, start)).body == b"feed"
    assert [request.path for request in server.requests] == ["/start", "/feed"] * 2
    assert all("cookie" not in request.headers for request in server.requests)


async def test_validators(served: Served, client: Client) -> None:
    """A 304 needs validators; those outside printable ASCII are neither sent nor kept."""
    modified = "Mon, 03 Nov 2025 14:32:00 GMT"
    url = served.script(
        "/v", ok(b"x", 'ETag: "caf\xe9"', f"Last-Modified: {modified}"), b"HTTP/1.1 304 X\r\n\r\n"
    )
    with trio.fail_after(DEADLINE):
        fetched = await get(client, url, etag='"a\x01b"', last_modified="Mon,\x7f03 Nov")
        error = await fails(client, url, etag='"' + "e" * 300 + '"')
        not_modified = await get(client, url, last_modified=modified)
    assert (fetched.etag, fetched.last_modified) == (None, modified)
    assert str(error) == "HTTP 304 Not Modified to a request without validators"
    assert (not_modified.status, not_modified.body) == (304, b"")
    first, second, third = (request.headers for request in served.server.hits("/v"))
    assert not {"if-none-match", "if-modified-since"} & (set(first) | set(second))
    assert third["if-modified-since"] == modified
    assert served.connections() == [0, 0, 0]


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("compress", None),
    ],
)
async def test_compressed_bodies_are_decoded_or_the_coding_is_named(
    served: Served, client: Client, coding: str, encode: Callable[[bytes], bytes] | None
) -> None:
    """gzip, deflate and br bodies come decoded; another coding fails by name, unparsed."""
    url = served.script(
        "/c", ok(encode(FEED) if encode else b"\x1f\x9d", f"Content-Encoding: {coding}")
    )
    with trio.fail_after(DEADLINE):
        if encode is None:
            assert str(await fails(client, url)) == f"unsupported Content-Encoding {coding!r}"
        else:
            assert (await get(client, url)).body == FEED


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
        "req -x509 -nodes -days 2 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj"
        " /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
    )
    command = [openssl, *options.split(), "-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture
def tls(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    clear_proxies(monkeypatch)
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with Server(tls=context) as server:
        yield Served(server)


async def test_tls_without_the_certificate_authority_is_certificate_not_trusted(
    tls: Served,
) -> None:
    """With only the system's CAs, a self-signed certificate: a FetchError, nothing sent."""
    url = tls.script("/feed", ok(b"secret"))
    with trio.fail_after(DEADLINE):
        async with http_client.Clients() as http:
            error = await fails(http, url)
    expected = f"127.0.0.1:{tls.server.port}: cannot connect: certificate not trusted ("
    assert str(error).startswith(expected)
    assert tls.server.requests == []


async def test_tls_with_ssl_cert_file_succeeds_and_reuses_the_connection(
    tls: Served, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SSL_CERT_FILE naming the certificate is honoured; three fetches share one connection."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    feed, chunked = tls.script("/feed", ok(FEED)), tls.script("/chunked", CHUNKED)
    with trio.fail_after(DEADLINE):
        async with http_client.Clients() as http:
            assert (await get(http, feed)).body == FEED
            assert (await get(http, chunked)).body == b"hello, world"
            assert (await get(http, feed)).body == FEED
    assert tls.connections() == [0, 0, 0]


# -- proxies ---------------------------------------------------------------------------


async def test_an_environment_proxy_gets_requests_in_absolute_form_except_for_no_proxy(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY gets the request in absolute form (the host need not exist); NO_PROXY's not."""
    clear_proxies(monkeypatch)
    with Server() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        direct = server.serve("/feed.rss", b"direct", etag=False)
        proxy.respond("http://status.example/feed.rss", b"via the proxy")
        with trio.fail_after(DEADLINE):
            async with http_client.Clients() as http:
                assert (await get(http, "http://status.example/feed.rss")).body == b"via the proxy"
                assert (await get(http, direct)).body == b"direct"
    [request] = proxy.requests
    assert request.raw.startswith(b"GET http://status.example/feed.rss HTTP/1.1\r\n")
    assert request.headers["host"] == "status.example"
    assert request.headers["user-agent"] == http_client.USER_AGENT
    assert [seen.path for seen in server.requests] == ["/feed.rss"]
