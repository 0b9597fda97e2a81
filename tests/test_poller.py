"""One poll of one feed (`Poller.poll`) in process, against an `httpx2.MockTransport` origin:
the conditional GET and what a 304 costs, failures recorded in the feed's `FeedState`, and
validators taken one by one as servers send them."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx2
import pytest
import trio

from statusstream.client import Clients
from statusstream.feeds import FeedSpec
from statusstream.log import Log
from statusstream.output import Output
from statusstream.parse_pool import ParsePool
from statusstream.parsing import Parsed
from statusstream.poller import Poller
from statusstream.report import Report
from statusstream.settings import Settings
from statusstream.state import State
from tests.feedgen import incident, statuspage_rss

DEADLINE = 10.0  # seconds; a poll against a mock transport takes milliseconds
URL = "https://status.example.test/history.rss"
SPEC = FeedSpec(URL)
BODY = statuspage_rss([incident("a", "Down", ("Investigating", "2025-11-03 14:32", "Looking."))])
MONDAY = "Mon, 03 Nov 2025 14:32:00 GMT"
TUESDAY = "Tue, 04 Nov 2025 09:00:00 GMT"


class CountingParsePool(ParsePool):
    """The parse pool of a run, counting the bodies it was given."""

    def __init__(self) -> None:
        super().__init__(0)
        self.parsed = 0

    async def parse(self, body: bytes, provider: str | None) -> Parsed:
        self.parsed += 1
        return await super().parse(body, provider)


@dataclass
class Origin:
    """A fake origin: answers the n-th request with the n-th response, keeps the requests."""

    responses: list[Callable[[httpx2.Request], httpx2.Response]]
    requests: list[httpx2.Request] = field(default_factory=list)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.responses[min(len(self.requests), len(self.responses)) - 1](request)


def answer(status: int, body: bytes = b"", **headers: str) -> Callable[..., httpx2.Response]:
    """A response as a network would give it: its body a stream not read yet."""
    return lambda request: httpx2.Response(status, headers=headers, stream=httpx2.ByteStream(body))


@dataclass
class Setup:
    poller: Poller
    state: State
    parsers: CountingParsePool
    origin: Origin


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    """A poller of a `--once` run whose client reaches `setup.origin` (its answers set later)."""
    origin = Origin([])
    state = State()
    devnull = os.open(os.devnull, os.O_WRONLY)
    output = Output(devnull)
    clients = Clients(lambda: httpx2.MockTransport(origin))
    async with clients, CountingParsePool() as parsers:
        report = Report(Log(level=100), once=True)
        poller = Poller(Settings(once=True), state, output, report, clients, parsers)
        yield Setup(poller, state, parsers, origin)
    output.close()
    os.close(devnull)


async def test_a_304_costs_no_parse(setup: Setup) -> None:
    """The stored ETag goes back as If-None-Match; the 304 it earns is not parsed."""
    setup.origin.responses = [answer(200, BODY, ETag='"v1"'), answer(304)]
    with trio.fail_after(DEADLINE):
        first = await setup.poller.poll(SPEC)
        second = await setup.poller.poll(SPEC)
    assert first.ok and second.ok
    assert setup.parsers.parsed == 1
    assert "if-none-match" not in setup.origin.requests[0].headers
    assert setup.origin.requests[1].headers["if-none-match"] == '"v1"'
    assert setup.poller.report.tally.not_modified == 1
    assert setup.state.feed(URL).baselined


async def test_the_same_body_again_costs_no_parse(setup: Setup) -> None:
    """A server without validators that sends the body it sent before: not parsed again."""
    setup.origin.responses = [answer(200, BODY)]
    with trio.fail_after(DEADLINE):
        await setup.poller.poll(SPEC)
        again = await setup.poller.poll(SPEC)
    assert again.ok
    assert setup.parsers.parsed == 1
    assert len(setup.origin.requests) == 2


async def test_a_failure_is_recorded_in_the_feed_state(setup: Setup) -> None:
    """A 503 with Retry-After: the feed's state counts the failure, keeps the reason and the
    wait; the next good poll clears them."""
    setup.origin.responses = [answer(503, b"busy", **{"Retry-After": "120"}), answer(200, BODY)]
    with trio.fail_after(DEADLINE):
        failed = await setup.poller.poll(SPEC)
    feed = setup.state.feed(URL)
    assert (failed.ok, failed.retry_after) == (False, 120.0)
    assert feed.failures == 1
    assert feed.failing == "status.example.test: HTTP 503 Service Unavailable"  # where, and why
    assert feed.retry_at is not None
    assert not feed.healthy
    assert setup.parsers.parsed == 0
    assert setup.poller.dirty
    with trio.fail_after(DEADLINE):
        recovered = await setup.poller.poll(SPEC)
    assert recovered.ok
    assert (feed.failures, feed.failing, feed.retry_at) == (0, None, None)
    assert feed.healthy


async def test_validators_refresh_independently(setup: Setup) -> None:
    """A 304 carrying only a new ETag keeps the Last-Modified, and the other way round; each
    change marks the state to be saved."""
    setup.origin.responses = [
        answer(200, BODY, ETag='"a"', **{"Last-Modified": MONDAY}),
        answer(304, ETag='"b"'),
        answer(304, **{"Last-Modified": TUESDAY}),
    ]
    feed = setup.state.feed(URL)
    with trio.fail_after(DEADLINE):
        await setup.poller.poll(SPEC)
        assert (feed.etag, feed.last_modified) == ('"a"', MONDAY)
        await setup.poller.wait_changed()  # what a save does: the state is clean again
        await setup.poller.poll(SPEC)
        assert (feed.etag, feed.last_modified) == ('"b"', MONDAY)
        assert setup.poller.dirty
        await setup.poller.wait_changed()
        await setup.poller.poll(SPEC)
        assert (feed.etag, feed.last_modified) == ('"b"', TUESDAY)
        assert setup.poller.dirty
    third = setup.origin.requests[2].headers
    assert (third["if-none-match"], third["if-modified-since"]) == ('"b"', MONDAY)
    assert setup.parsers.parsed == 1
