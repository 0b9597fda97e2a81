"""Hostile response bodies: too big, compression bombs, trickles, redirect loops.

Each run also polls a good feed, which must still deliver its events; and each run's peak RSS
must stay under `PEAK_MIB`, far below what the hostile body would cost if it were read whole.
"""

from __future__ import annotations

import gzip
import json
import struct
import zlib
from collections.abc import Iterator

import brotli

from tests.e2e.command import Cli, run
from tests.feedgen import incident, statuspage_rss
from tests.servers import Connection, Request, Server, head

PEAK_MIB = 100
GOOD = statuspage_rss(
    [incident("ok1", "Still fine", ("Investigating", "2025-11-03 14:32", "The good feed."))]
)
MIB = 1 << 20


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


def good_feed(server: Server) -> str:
    return server.respond("/good.rss", GOOD)


def titles(stdout: bytes) -> list[str]:
    return [json.loads(line)["title"] for line in stdout.splitlines()]


def test_a_200_mb_body_fails_at_the_cap_while_streaming(server: Server, cli: Cli) -> None:
    """A 200 MB chunked body fails its feed at the size cap, unread beyond it; others go on."""
    big = server.stream("/big.rss", lambda: zeros(200 * MIB))
    result = run(cli, "--once", "--since", "all", cli.feeds(good_feed(server), f"Big {big}"))
    assert result.code == 1, result.err
    assert titles(result.stdout) == ["Still fine"]
    assert f"Big: failing: 127.0.0.1:{server.port}: body is over the" in result.err
    assert server.sent["/big.rss"] < 50 * MIB  # the cap plus what the socket buffers held
    assert result.peak_mib < PEAK_MIB
    assert "Traceback" not in result.err


def test_a_declared_length_over_the_cap_fails_unread(server: Server, cli: Cli) -> None:
    """A Content-Length over the cap fails the feed before its body is read."""

    async def handler(request: Request, connection: Connection) -> None:
        await connection.send(head(200, {"Content-Length": str(200 * MIB)}))
        for chunk in zeros(200 * MIB):
            await connection.send(chunk)
            server.sent["/big.rss"] = server.sent.get("/big.rss", 0) + len(chunk)

    big = server.route("/big.rss", handler)
    result = run(cli, "--once", "--since", "all", cli.feeds(good_feed(server), f"Big {big}"))
    assert result.code == 1
    assert titles(result.stdout) == ["Still fine"]
    assert (
        f"Big: failing: 127.0.0.1:{server.port}: body of {200 * MIB} bytes is over the"
        in result.err
    )
    assert server.sent.get("/big.rss", 0) < 50 * MIB


def test_a_gzip_bomb_fails_cheaply(server: Server, cli: Cli) -> None:
    """1 GiB of zeros in a 1 MB gzip body fails its feed at the cap, in bounded memory."""
    bomb = gzip_bomb()
    assert len(bomb) < 1.1 * MIB
    url = server.respond("/bomb.rss", bomb, headers={"Content-Encoding": "gzip"})
    result = run(cli, "--once", "--since", "all", cli.feeds(good_feed(server), f"Bomb {url}"))
    assert result.code == 1
    assert titles(result.stdout) == ["Still fine"]
    assert f"Bomb: failing: 127.0.0.1:{server.port}: body is over the" in result.err
    assert result.peak_mib < PEAK_MIB


def test_brotli_and_deflate_bombs_fail_cheaply(server: Server, cli: Cli) -> None:
    """Brotli and deflate bombs (256 MiB of zeros each) fail at the cap in bounded memory."""
    expanded = bytes(256 * MIB)
    br = server.respond(
        "/br.rss", brotli.compress(expanded, quality=5), headers={"Content-Encoding": "br"}
    )
    deflate = server.respond(
        "/deflate.rss", zlib.compress(expanded, 9), headers={"Content-Encoding": "deflate"}
    )
    del expanded
    feeds = cli.feeds(good_feed(server), f"Br {br}", f"Deflate {deflate}")
    result = run(cli, "--once", "--since", "all", feeds)
    assert result.code == 1
    assert titles(result.stdout) == ["Still fine"]
    assert f"Br: failing: 127.0.0.1:{server.port}: body is over the" in result.err
    assert f"Deflate: failing: 127.0.0.1:{server.port}: body is over the" in result.err
    assert result.peak_mib < PEAK_MIB


def test_data_after_the_end_of_a_gzip_stream_is_bounded(server: Server, cli: Cli) -> None:
    """A small gzip body followed by 200 MB of junk is cut off at the cap, not buffered."""
    member = gzip.compress(GOOD)

    def body() -> Iterator[bytes]:
        yield member
        yield from zeros(200 * MIB)

    url = server.stream("/tail.rss", body, headers={"Content-Encoding": "gzip"})
    result = run(cli, "--once", "--since", "all", cli.feeds(f"Tail {url}"))
    assert result.code == 1
    assert "Tail: failing: " in result.err
    assert "is over the 4194304 byte limit" in result.err
    assert server.sent["/tail.rss"] < 50 * MIB
    assert result.peak_mib < PEAK_MIB


def test_gzip_deflate_and_brotli_bodies_are_read(server: Server, cli: Cli) -> None:
    """gzip, zlib and raw deflate, and br (what status.openai.com sends) all decode to events."""
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    bodies = {
        "gzip": gzip.compress(GOOD),
        "deflate": zlib.compress(GOOD),
        "raw-deflate": raw_deflate.compress(GOOD) + raw_deflate.flush(),
        "br": brotli.compress(GOOD),
    }
    lines = []
    for name, body in bodies.items():
        coding = "deflate" if name == "raw-deflate" else name
        url = server.respond(
            f"/{name}.rss",
            body,
            headers={"Content-Encoding": coding.upper() if name == "gzip" else coding},
        )
        lines.append(f"{name} {url}")
    result = run(cli, "--once", "--since", "all", cli.feeds(*lines))
    assert result.code == 0, result.err
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(event["source"] for event in found) == sorted(bodies)
    assert {event["title"] for event in found} == {"Still fine"}
    accepted = server.hits("/br.rss")[0].headers["accept-encoding"]
    assert {coding.strip() for coding in accepted.split(",")} >= {"gzip", "deflate", "br"}


def test_an_unknown_content_encoding_is_a_clear_error(server: Server, cli: Cli) -> None:
    """A body in an encoding statusstream did not ask for fails with a message naming it."""
    url = server.respond("/z.rss", b"(compressed)", headers={"Content-Encoding": "compress"})
    result = run(cli, "--once", cli.feeds(good_feed(server), f"Odd {url}"))
    assert result.code == 1
    assert (
        f"Odd: failing: 127.0.0.1:{server.port}: unsupported Content-Encoding 'compress'"
        in result.err
    )


def test_a_trickling_server_is_cut_off_by_the_timeout(server: Server, cli: Cli) -> None:
    """A server sending one byte at a time is cut off at --timeout; the good feed is unharmed."""
    slow = server.trickle("/slow.rss", interval=0.1)
    feeds = cli.feeds(good_feed(server), f"Slow {slow}")
    result = run(cli, "--once", "--since", "all", "--timeout", "1s", feeds)
    assert result.code == 1
    assert titles(result.stdout) == ["Still fine"]
    assert f"Slow: failing: 127.0.0.1:{server.port}: timed out after 1s" in result.err


def test_a_redirect_loop_stops_after_5_redirects(server: Server, cli: Cli) -> None:
    """A redirect loop costs exactly 6 requests (5 redirects followed), then fails the feed."""
    loop = server.redirect("/loop.rss", "/loop.rss")
    result = run(cli, "--once", "--since", "all", cli.feeds(good_feed(server), f"Loop {loop}"))
    assert result.code == 1
    assert titles(result.stdout) == ["Still fine"]
    assert f"Loop: failing: 127.0.0.1:{server.port}: too many redirects (more than 5)" in result.err
    assert len(server.hits("/loop.rss")) == 6


def test_five_redirects_are_followed(server: Server, cli: Cli) -> None:
    """A chain of exactly 5 redirects reaches the feed."""
    server.respond("/feed.rss", GOOD)
    for hop in range(5):
        target = "/feed.rss" if hop == 4 else f"/hop{hop + 1}"
        server.redirect(f"/hop{hop}", target, status=301 if hop % 2 else 307)
    result = run(cli, "--once", "--since", "all", cli.feeds(server.url("/hop0")))
    assert result.code == 0, result.err
    assert titles(result.stdout) == ["Still fine"]


def test_a_redirect_to_another_scheme_is_refused(server: Server, cli: Cli) -> None:
    """A redirect to file:// (or any scheme but http and https) fails the feed, unfollowed."""
    url = server.redirect("/evil.rss", "file:///etc/passwd")
    result = run(cli, "--once", cli.feeds(good_feed(server), f"Evil {url}"))
    assert result.code == 1
    assert (
        f"Evil: failing: 127.0.0.1:{server.port}: redirect to an unsupported scheme 'file'"
        in result.err
    )
    assert "root:" not in result.out + result.err


def test_cookies_are_neither_kept_nor_sent(server: Server, cli: Cli) -> None:
    """A Set-Cookie is ignored: no later request, on a redirect or another feed, carries it."""
    server.respond("/feed.rss", GOOD)
    start = server.redirect("/start", "/feed.rss", headers={"Set-Cookie": "track=me; Path=/"})
    result = run(cli, "--once", cli.feeds(start))
    assert result.code == 0, result.err
    assert all("cookie" not in request.headers for request in server.requests)


def test_validators_that_cannot_be_sent_back_are_not_kept(server: Server, cli: Cli) -> None:
    """An ETag or Last-Modified with non-ASCII bytes (or 10 KB long) is dropped, not stored."""

    async def handler(request: Request, connection: Connection) -> None:
        fields = b'ETag: "\xe9\xff"\r\nLast-Modified: ' + b"x" * 10_000 + b"\r\n"
        length = b"Content-Length: %d\r\n\r\n" % len(GOOD)
        await connection.send(b"HTTP/1.1 200 OK\r\n" + fields + length + GOOD)

    url = server.route("/odd.rss", handler)
    feeds = cli.feeds(url)
    for _ in range(2):
        result = run(cli, "--once", feeds)
        assert result.code == 0, result.err
    assert "etag" not in json.loads(cli.state.read_text())["feeds"][url]
    assert all("if-none-match" not in request.headers for request in server.hits("/odd.rss"))
    # A state written before this rule may hold such a validator: it is not sent.
    state = json.loads(cli.state.read_text())
    state["feeds"][url]["etag"] = '"\u00e9"'
    cli.state.write_text(json.dumps(state))
    assert run(cli, "--once", feeds).code == 0
