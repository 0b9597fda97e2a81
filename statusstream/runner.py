"""The two modes: `--once`, and continuous polling until SIGINT/SIGTERM.

`--once` polls each host's feeds in turn over a few kept-alive connections, all hosts at
once. In continuous mode each feed has its own task, so one feed is never polled twice at
once; the task sleeps between polls as `pacing.next_delay` says. A saver task writes the
state after every poll that changed it, and SIGHUP re-reads the definition files.
"""

from __future__ import annotations

import math
import random
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import trio

from statusstream import pacing
from statusstream.client import Clients
from statusstream.errors import StatusStreamError
from statusstream.feeds import FeedSpec
from statusstream.log import Log
from statusstream.output import Output
from statusstream.parse_pool import ParsePool
from statusstream.poller import Polled, Poller
from statusstream.report import Report, Tally
from statusstream.settings import Settings
from statusstream.state import State
from statusstream.statefile import StateFile
from statusstream.terminal import Progress
from statusstream.urls import host_of

# `--once` gives a host one connection for this many of its feeds, up to `--per-host`: a
# new TLS connection costs more CPU than a request on a kept one, and a few connections a
# host keep its round trips overlapped (see tests/benchmarks).
FEEDS_PER_CONNECTION = 5


@dataclass(frozen=True, slots=True)
class Outcome:
    tally: Tally
    written: int  # events written
    interrupted: int | None  # the signal that stopped the run


class Runner:
    def __init__(
        self,
        settings: Settings,
        state: State,
        state_file: StateFile | None,
        output: Output,
        log: Log,
        reload: Callable[[], tuple[FeedSpec, ...]] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.settings = settings
        self.state = state
        self.state_file = state_file
        self.output = output
        self.log = log
        self.reload = reload  # re-reads the definition files on SIGHUP
        self.progress = progress
        self.report = Report(log, once=settings.once)
        self._interrupted: int | None = None
        self._fatal: StatusStreamError | None = None
        self._specs: dict[str, FeedSpec] = {}
        self._running: dict[str, trio.CancelScope] = {}
        self._stop = trio.CancelScope()
        # Polls in flight: at most `--concurrency` in all and `--per-host` to one host.
        self._limit = trio.CapacityLimiter(settings.concurrency)
        self._host_limits: dict[str, trio.CapacityLimiter] = {}

    async def run(self, feeds: tuple[FeedSpec, ...], clients: Clients | None = None) -> Outcome:
        """Poll until done (`--once`) or stopped by a signal; then save the state."""
        clients = clients or Clients()
        async with clients, ParsePool(self.settings.parse_workers) as parsers:
            poller = Poller(self.settings, self.state, self.output, self.report, clients, parsers)
            try:
                async with trio.open_nursery() as nursery:
                    self._stop = nursery.cancel_scope
                    await nursery.start(self._watch_signals, poller, nursery)
                    if self.settings.once:
                        await self._once(poller, feeds)
                        nursery.cancel_scope.cancel()
                    else:
                        nursery.start_soon(self._save_on_change, poller)
                        self._apply(poller, feeds, nursery)
            finally:
                if poller.dirty:  # else the file holds this state already
                    self.save()
        if self._fatal is not None:
            raise self._fatal
        return Outcome(self.report.tally, self.output.written, self._interrupted)

    async def _once(self, poller: Poller, feeds: tuple[FeedSpec, ...]) -> None:
        by_host: dict[str, list[FeedSpec]] = {}
        now = time.time()
        for spec in feeds:
            if wait := self.state.feed(spec.url).deferred_for(now):
                self.report.deferred(spec, wait)
            else:
                by_host.setdefault(host_of(spec.url), []).append(spec)
        async with trio.open_nursery() as polls:
            if self.progress is not None:
                polls.start_soon(self.progress.run, self.report.tally)
            # The limits hold by construction: at most `--per-host` tasks a host, each
            # polling in turn, and each task holds one of the `--concurrency` slots.
            for specs in by_host.values():
                queue = iter(specs)
                tasks = math.ceil(len(specs) / FEEDS_PER_CONNECTION)
                for _ in range(min(self.settings.per_host, tasks)):
                    polls.start_soon(self._poll_each, poller, queue)

    async def _poll_each(self, poller: Poller, queue: Iterator[FeedSpec]) -> None:
        async with self._limit:
            for spec in queue:
                await self._poll(poller, spec)

    async def _poll(self, poller: Poller, spec: FeedSpec) -> Polled:
        """Poll; an error that ends the whole run (stdout closed, ...) cancels everything."""
        try:
            return await poller.poll(spec)
        except StatusStreamError as exc:
            self._fatal = self._fatal or exc
            self._stop.cancel()
            return Polled(ok=False)

    # -- continuous mode ---------------------------------------------------------------

    def _apply(self, poller: Poller, feeds: tuple[FeedSpec, ...], nursery: trio.Nursery) -> None:
        """Follow exactly these feeds: stop the dropped ones, start the new ones.

        Not async: two SIGHUPs close together cannot interleave and start a feed twice.
        """
        wanted = {spec.url: spec for spec in feeds}
        for url in list(self._running):
            if url not in wanted:
                self._running.pop(url).cancel()
        self._specs = wanted  # a kept feed picks up changed options at its next poll
        for url in wanted:
            if url not in self._running:
                scope = self._running[url] = trio.CancelScope()
                nursery.start_soon(self._follow, poller, url, scope)

    async def _follow(self, poller: Poller, url: str, scope: trio.CancelScope) -> None:
        with scope:
            wait = self.state.feed(url).deferred_for(time.time())
            if wait and (spec := self._specs.get(url)) is not None:
                self.report.deferred(spec, wait)
            await trio.sleep(wait)
            while (spec := self._specs.get(url)) is not None:
                # The host's slot first: a host at its cap must not hold slots others could use.
                async with self._host_limit(spec.url), self._limit:
                    polled = await self._poll(poller, spec)
                await trio.sleep(self.delay(spec, polled))

    def _host_limit(self, url: str) -> trio.CapacityLimiter:
        host = host_of(url)
        limit = self._host_limits.get(host)
        if limit is None:
            limit = self._host_limits[host] = trio.CapacityLimiter(self.settings.per_host)
        return limit

    def delay(self, spec: FeedSpec, polled: Polled) -> float:
        feed = self.state.feed(spec.url)
        interval = spec.interval or self.settings.interval
        idle = self.settings.idle or pacing.default_idle(interval)
        hints = [hint for hint in (polled.max_age, feed.ttl) if hint]
        return pacing.next_delay(
            pacing.Pace(interval=interval, idle=max(idle, interval)),
            failures=0 if polled.ok else feed.failures,
            retry_after=polled.retry_after,
            hint=max(hints) if hints else None,
            quiet=feed.quiet,
            jitter=random.uniform(-1.0, 1.0),
        )

    async def _save_on_change(self, poller: Poller) -> None:
        """Save after each poll that changed the state: `kill -9` loses only polls in flight."""
        while True:
            await poller.wait_changed()
            try:
                self.save()
            except StatusStreamError as exc:
                self._fatal = self._fatal or exc
                self._stop.cancel()
                return

    async def _watch_signals(
        self,
        poller: Poller,
        nursery: trio.Nursery,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGHUP) as signals:
            task_status.started()
            async for signum in signals:
                if signum != signal.SIGHUP:
                    self._interrupted = signum
                    nursery.cancel_scope.cancel()
                    return
                if self.reload is not None and not self.settings.once:
                    self._reread(poller, nursery)

    def _reread(self, poller: Poller, nursery: trio.Nursery) -> None:
        assert self.reload is not None
        try:
            specs = self.reload()
        except StatusStreamError as exc:
            self.log.error(f"SIGHUP: keeping the current {len(self._specs)} feeds: {exc}")
            return
        self._apply(poller, specs, nursery)
        self.log.info(f"SIGHUP: following {len(specs)} feeds")

    def save(self) -> None:
        if self.state_file is not None:
            self.state_file.save(self.state)
