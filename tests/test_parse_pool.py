"""Where bodies are parsed: the event loop for a few small ones, else worker processes.

The pool is forced to use workers here, whatever the machine's cores, so this path runs in
every CI; end to end, `e2e/test_load.py` polls 2,000 feeds through it on a multi-core box.
"""

from __future__ import annotations

import time

import pytest
import trio

from statusstream.errors import FeedError
from statusstream.parse_pool import FEW_ATTRIBUTES, IDLE_TIMEOUT, IN_PROCESS, SMALL_BODY, ParsePool
from statusstream.parsing import parse_feed
from tests.feedgen import incident, statuspage_rss

DEADLINE = 30.0  # seconds: starting worker processes on a loaded machine takes a while


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


def attribute_heavy(count: int) -> bytes:
    """A valid feed with `count` attributes on one element: feedparser's time is quadratic."""
    attributes = " ".join(f'a{index}="x"' for index in range(count))
    return body(0).replace(b"<channel>", f"<channel><x {attributes}/>".encode(), 1)


async def test_bodies_after_the_first_few_are_parsed_alike_in_workers() -> None:
    """A burst (a cold poll) goes to workers, and they give what the event loop would."""
    bodies = [body(n) for n in range(IN_PROCESS + 4)]
    with trio.fail_after(DEADLINE):
        async with ParsePool(workers=2) as pool:
            parsed = [await pool.parse(each, None) for each in bodies]
    assert pool.in_workers == 4
    assert parsed == [parse_feed(each) for each in bodies]
    assert parsed[-1].updates[0].message == f"Errors on API {IN_PROCESS + 3}."


async def test_a_large_body_goes_to_a_worker_at_once_and_its_error_comes_back() -> None:
    """Past `SMALL_BODY` even the first body is parsed out of the event loop."""
    page = b"<!DOCTYPE html><html><body>" + b"<p>not a feed</p>" * (SMALL_BODY // 16) + b"</html>"
    with trio.fail_after(DEADLINE):
        async with ParsePool(workers=1) as pool:
            with pytest.raises(FeedError) as caught:
                await pool.parse(page, None)
    assert pool.in_workers == 1
    with pytest.raises(FeedError) as in_process:
        parse_feed(page)
    assert str(caught.value) == str(in_process.value)


@pytest.mark.parametrize("workers", [0, 1], ids=["one core", "workers"])
async def test_a_body_with_many_attributes_goes_to_a_worker_even_on_one_core(workers: int) -> None:
    """A small body whose attributes could take seconds is parsed where a deadline can kill
    it, even where cores are too few for workers to speed anything up."""
    heavy = attribute_heavy(FEW_ATTRIBUTES + 1)
    assert len(heavy) < SMALL_BODY
    with trio.fail_after(DEADLINE):
        async with ParsePool(workers=workers) as pool:
            assert await pool.parse(heavy, None) == parse_feed(heavy)
    assert pool.in_workers == 1


async def test_a_pathological_body_is_killed_at_the_deadline() -> None:
    """40,000 attributes on one element (about 400 KiB) take feedparser many seconds: the
    parse is cancelled at its deadline at once, and the pool goes on working."""
    heavy = attribute_heavy(40_000)
    async with ParsePool(workers=0) as pool:
        started = time.monotonic()
        with trio.move_on_after(0.5) as scope:
            await pool.parse(heavy, None)
        assert scope.cancelled_caught
        assert time.monotonic() - started < 5  # not the parse's own 14-40 s
        with trio.fail_after(30):
            assert await pool.parse(body(1), None) == parse_feed(body(1))


async def test_a_cancelled_parse_leaves_the_pool_working() -> None:
    """A poll cancelled mid-parse (a timeout, a signal) kills that worker; the next one starts."""
    big = body(0) + b" " * SMALL_BODY  # trailing white space: valid, and past SMALL_BODY
    async with ParsePool(workers=1) as pool:
        with trio.move_on_after(0.01) as scope:
            await pool.parse(big, None)
        assert scope.cancelled_caught
        with trio.fail_after(30):
            assert await pool.parse(big, None) == parse_feed(big)


async def test_on_one_core_a_burst_of_small_bodies_stays_in_the_event_loop() -> None:
    """With no cores to spare, workers would only add their start-up to a cold poll."""
    bodies = [body(n) for n in range(IN_PROCESS + 2)]
    with trio.fail_after(DEADLINE):
        async with ParsePool(workers=0) as pool:
            assert [await pool.parse(each, None) for each in bodies] == [
                parse_feed(b) for b in bodies
            ]
    assert pool.in_workers == 0


async def test_bodies_that_come_slowly_stay_in_the_event_loop(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Continuous mode: a body now and then never starts a worker process (a burst does)."""
    async with ParsePool(workers=2) as pool:
        for n in range(IN_PROCESS * 2):
            assert await pool.parse(body(n), None) == parse_feed(body(n))
            await trio.sleep(IDLE_TIMEOUT / IN_PROCESS + 1)
    assert pool.in_workers == 0
