"""Continuous mode at the scheduler level: a mock transport under trio's autojump clock,
so hours of polling run in milliseconds."""

from __future__ import annotations

import itertools
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx2
import trio
import trio.testing

from statusstream.client import Clients
from statusstream.feeds import FeedSpec
from statusstream.log import Log
from statusstream.output import Output
from statusstream.pacing import BACKOFF_CAP, JITTER
from statusstream.runner import Runner
from statusstream.settings import Settings
from statusstream.state import State
from tests.feedgen import incident, statuspage_rss

OPEN = statuspage_rss([incident("a", "Down", ("Investigating", "2025-11-03 14:32", "Looking."))])
CLOSED = statuspage_rss(
    [
        incident(
            "a",
            "Down",
            ("Investigating", "2025-11-03 14:32", "Looking."),
            ("Resolved", "2025-11-03 15:00", "Fixed."),
        )
    ]
)

Handler = Callable[[httpx2.Request], Awaitable[httpx2.Response]]


@dataclass
class Recorder:
    """A fake origin: records when each URL was requested, answers with `respond`."""

    respond: Callable[[httpx2.Request], httpx2.Response]
    latency: float = 0.0
    times: dict[str, list[float]] = field(default_factory=dict)
    in_flight: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        host = request.url.host
        self.times.setdefault(str(request.url), []).append(trio.current_time())
        self.in_flight[host] = self.in_flight.get(host, 0) + 1
        self.peak[host] = max(self.peak.get(host, 0), self.in_flight[host])
        try:
            await trio.sleep(self.latency)
            return self.respond(request)
        finally:
            self.in_flight[host] -= 1

    def gaps(self, url: str) -> list[float]:
        times = self.times[url]
        return [later - earlier for earlier, later in itertools.pairwise(times)]


async def run_for(
    hours: float, specs: list[FeedSpec], recorder: Recorder, **settings: object
) -> Runner:
    """Run continuous mode for `hours` of mock time, then stop it."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    runner = Runner(
        Settings(**settings),  # type: ignore[arg-type]
        State(),
        None,
        Output(devnull),
        Log(level=100),
    )
    clients = Clients(lambda: httpx2.MockTransport(recorder))
    async with trio.open_nursery() as nursery:
        nursery.start_soon(runner.run, tuple(specs), clients)
        await trio.sleep(hours * 3600)
        nursery.cancel_scope.cancel()
    os.close(devnull)
    return runner


def answer(
    status: int, body: bytes = b"", **headers: str
) -> Callable[[httpx2.Request], httpx2.Response]:
    return lambda request: httpx2.Response(status, content=body, headers=headers)


URL = "https://status.example.test/history.rss"


def within(gaps: list[float], low: float, high: float) -> bool:
    """Every gap in [low, high], give or take the mock clock's float arithmetic."""
    return bool(gaps) and all(low - 1e-6 <= gap <= high + 1e-6 for gap in gaps)


async def test_backoff_grows_then_caps(autojump_clock: trio.testing.MockClock) -> None:
    """A feed answering 500 is retried with doubling gaps, capped at an hour."""
    recorder = Recorder(answer(500))
    await run_for(10, [FeedSpec(URL)], recorder, interval=60.0)
    gaps = recorder.gaps(URL)
    for number, gap in enumerate(gaps[:5], 1):
        expected = 60 * 2**number
        assert expected * (1 - JITTER) <= gap <= expected * (1 + JITTER)
    assert max(gaps) <= BACKOFF_CAP * (1 + JITTER)
    assert gaps[-1] >= BACKOFF_CAP * (1 - JITTER)


async def test_retry_after_means_one_request_an_hour(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """429 with Retry-After: 3600 at a 60 s interval: one request per hour, not sixty."""
    recorder = Recorder(answer(429, **{"Retry-After": "3600"}))
    await run_for(5.5, [FeedSpec(URL)], recorder, interval=60.0)
    assert len(recorder.times[URL]) == 6
    assert within(recorder.gaps(URL), 3600, 3600 * (1 + JITTER))


async def test_recovery_resets_the_backoff(autojump_clock: trio.testing.MockClock) -> None:
    """After a success the feed is back at its base interval."""
    answers = iter([500, 500, 500] + [200] * 1000)
    recorder = Recorder(lambda request: httpx2.Response(next(answers), content=OPEN))
    await run_for(2, [FeedSpec(URL)], recorder, interval=60.0)
    gaps = recorder.gaps(URL)
    assert gaps[2] >= 480 * (1 - JITTER)
    assert within(gaps[4:], 60 * (1 - JITTER), 60 * (1 + JITTER))


async def test_max_age_lengthens_but_never_shortens(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Cache-Control: max-age=600 stretches a 60 s interval; max-age=10 leaves it alone."""
    long_url, short_url = URL, "https://other.example.test/history.rss"

    def respond(request: httpx2.Request) -> httpx2.Response:
        age = "600" if request.url.host == "status.example.test" else "10"
        return httpx2.Response(200, content=OPEN, headers={"Cache-Control": f"max-age={age}"})

    recorder = Recorder(respond)
    await run_for(3, [FeedSpec(long_url), FeedSpec(short_url)], recorder, interval=60.0)
    assert within(recorder.gaps(long_url), 600, 660)
    assert within(recorder.gaps(short_url), 54, 66)


async def test_rss_ttl_lengthens_the_interval(autojump_clock: trio.testing.MockClock) -> None:
    """<ttl>5</ttl> (minutes) makes a 60 s feed wait at least five minutes."""
    body = OPEN.replace(b"<channel>", b"<channel><ttl>5</ttl>")
    recorder = Recorder(answer(200, body))
    await run_for(2, [FeedSpec(URL)], recorder, interval=60.0)
    assert within(recorder.gaps(URL), 300, 330)


async def test_quiet_feeds_relax_open_ones_do_not(autojump_clock: trio.testing.MockClock) -> None:
    """All resolved: polled at the idle interval; an open incident: at the base interval."""
    quiet_url, open_url = URL, "https://other.example.test/history.rss"

    def respond(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200, content=CLOSED if request.url.host == "status.example.test" else OPEN
        )

    recorder = Recorder(respond)
    await run_for(3, [FeedSpec(quiet_url), FeedSpec(open_url)], recorder, interval=60.0, idle=300.0)
    assert within(recorder.gaps(quiet_url), 270, 330)
    assert within(recorder.gaps(open_url), 54, 66)


async def test_per_feed_interval_overrides_the_global_one(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A feed's interval= option wins over --interval."""
    recorder = Recorder(answer(200, OPEN))
    await run_for(1, [FeedSpec(URL, interval=600.0)], recorder, interval=60.0)
    assert within(recorder.gaps(URL), 539.99, 660)


async def test_per_host_cap_prevents_bursts(autojump_clock: trio.testing.MockClock) -> None:
    """50 feeds on one host never have more than --per-host requests in flight there."""
    specs = [FeedSpec(f"https://status.example.test/{n}.rss") for n in range(50)]
    specs += [FeedSpec(f"https://other.example.test/{n}.rss") for n in range(50)]
    recorder = Recorder(answer(200, OPEN), latency=2.0)
    await run_for(1, specs, recorder, interval=60.0, per_host=4, concurrency=16)
    assert recorder.peak == {"status.example.test": 4, "other.example.test": 4}


async def test_one_feed_is_never_polled_twice_at_once(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A slow answer delays the next poll of that feed; it never overlaps it."""
    recorder = Recorder(answer(200, OPEN), latency=90.0)
    await run_for(1, [FeedSpec(URL)], recorder, interval=60.0, timeout=120.0)
    assert recorder.peak["status.example.test"] == 1
    assert within(recorder.gaps(URL), 90 + 54, 90 + 66)
