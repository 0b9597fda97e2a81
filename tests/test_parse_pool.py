"""Parsing in worker processes: what the event loop would give, errors and all.

The pool is forced to use workers here, whatever the machine's cores, so this path runs in
every CI; end to end, `test_hardening_load` polls 2,000 feeds through it on a multi-core box.
"""

from __future__ import annotations

import pytest
import trio

from statusstream.errors import FeedError
from statusstream.parse_pool import IDLE_TIMEOUT, IN_PROCESS, LARGE_BODY, ParsePool
from statusstream.parsing import parse_feed
from tests.feedgen import incident, statuspage_rss


def body(n: int) -> bytes:
    return statuspage_rss(
        [
            incident(
                f"i{n}",
                f"Incident {n}",
                ("Resolved", "2025-11-03 15:10", "Fixed."),
                ("Investigating", "2025-11-03 14:32", f"Errors on API {n}."),
            )
        ]
    )


async def test_bodies_after_the_first_few_are_parsed_alike_in_workers() -> None:
    bodies = [body(n) for n in range(IN_PROCESS + 4)]
    pool = ParsePool(workers=2)
    try:
        parsed = [await pool.parse(each, None) for each in bodies]
    finally:
        await pool.aclose()
    assert pool.in_workers == 4
    assert parsed == [parse_feed(each) for each in bodies]
    assert parsed[-1].updates[0].message == f"Errors on API {IN_PROCESS + 3}."


async def test_a_large_body_goes_to_a_worker_at_once_and_its_error_comes_back() -> None:
    """Past `LARGE_BODY` even the first body is parsed out of the event loop."""
    page = b"<!DOCTYPE html><html><body>" + b"<p>not a feed</p>" * (LARGE_BODY // 16) + b"</html>"
    pool = ParsePool(workers=1)
    try:
        with pytest.raises(FeedError) as caught:
            await pool.parse(page, None)
    finally:
        await pool.aclose()
    assert pool.in_workers == 1
    with pytest.raises(FeedError) as in_process:
        parse_feed(page)
    assert str(caught.value) == str(in_process.value)


async def test_a_cancelled_parse_leaves_the_pool_working() -> None:
    """A poll cancelled mid-parse (a timeout, a signal) kills that worker; the next one starts."""
    pool = ParsePool(workers=1)
    big = body(0) + b" " * LARGE_BODY  # trailing white space: valid, and past LARGE_BODY
    try:
        with trio.move_on_after(0.01) as scope:
            await pool.parse(big, None)
        assert scope.cancelled_caught
        assert await pool.parse(big, None) == parse_feed(big)
    finally:
        await pool.aclose()


async def test_without_workers_everything_is_parsed_in_the_event_loop() -> None:
    pool = ParsePool(workers=0)
    bodies = [body(n) for n in range(IN_PROCESS + 2)] + [body(0) + b" " * LARGE_BODY]
    assert [await pool.parse(each, None) for each in bodies] == [parse_feed(b) for b in bodies]
    assert pool.in_workers == 0
    await pool.aclose()


async def test_bodies_that_come_slowly_stay_in_the_event_loop(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Continuous mode: a body now and then never starts a worker process (a burst does)."""
    pool = ParsePool(workers=2)
    try:
        for n in range(IN_PROCESS * 2):
            assert await pool.parse(body(n), None) == parse_feed(body(n))
            await trio.sleep(IDLE_TIMEOUT / IN_PROCESS + 1)
    finally:
        await pool.aclose()
    assert pool.in_workers == 0
