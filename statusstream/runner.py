"""The two modes: `--once`, and continuous polling until SIGINT/SIGTERM.

In continuous mode each feed has its own task, so one feed is never polled twice at once;
the task sleeps between polls as `pacing.next_delay` says. A saver task writes the state
after every poll that changed it, and SIGHUP re-reads the definition files.
"""

from __future__ import annotations

import random
import signal
import sys
from collections.abc import Callable, Iterator

import httpx2
import trio

from statusstream import pacing
from statusstream.errors import StatusStreamError
from statusstream.feeds import FeedSpec, host_of
from statusstream.fetch import make_transport
from statusstream.log import Log
from statusstream.output import Output
from statusstream.poller import Polled, Poller, Settings
from statusstream.state import State, StateFile


class Runner:
    def __init__(
        self,
        settings: Settings,
        state: State,
        state_file: StateFile | None,
        output: Output,
        log: Log,
        reload: Callable[[], tuple[FeedSpec, ...]] | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.state = state
        self.state_file = state_file
        self.output = output
        self.log = log
        self.reload = reload  # re-reads the definition files on SIGHUP
        self.transport = transport
        self.interrupted: int | None = None  # the signal that stopped the run
        self.poller: Poller | None = None
        self._fatal: StatusStreamError | None = None
        self._specs: dict[str, FeedSpec] = {}
        self._running: dict[str, trio.CancelScope] = {}
        self._stop = trio.CancelScope()

    async def run(self, feeds: tuple[FeedSpec, ...]) -> None:
        """Poll until done (`--once`) or stopped by a signal; then save the state."""
        transport = self.transport or make_transport(self.settings.concurrency)
        poller = self.poller = Poller(self.settings, self.state, self.output, self.log, transport)
        try:
            async with transport, trio.open_nursery() as nursery:
                await nursery.start(self._watch_signals, nursery)
                if self.settings.once:
                    await self._once(poller, feeds, nursery.cancel_scope)
                    nursery.cancel_scope.cancel()
                else:
                    self._stop = nursery.cancel_scope
                    nursery.start_soon(self._save_on_change, poller)
                    await self._apply(feeds, nursery)
        finally:
            try:
                if poller.changed.is_set():  # else the file holds this state already
                    self.save()
            finally:
                with trio.CancelScope(shield=True):  # a cancelled parse killed its worker
                    await poller.aclose()
        if self._fatal is not None:
            raise self._fatal

    async def _once(
        self, poller: Poller, feeds: tuple[FeedSpec, ...], stop: trio.CancelScope
    ) -> None:
        by_host: dict[str, list[FeedSpec]] = {}
        for spec in feeds:
            if wait := poller.deferred(spec):
                poller.skip(spec, wait)
            else:
                by_host.setdefault(host_of(spec.url), []).append(spec)
        async with trio.open_nursery() as polls:
            if self.settings.progress:
                polls.start_soon(self._show_progress, poller, len(feeds))
            # As many tasks per host as it may have requests in flight, each taking the next
            # feed: a thousand feeds on one host are not a thousand tasks queued on its limit.
            for specs in by_host.values():
                queue = iter(specs)
                for _ in range(min(self.settings.per_host, len(specs))):
                    polls.start_soon(self._poll_each, poller, queue, stop)

    async def _poll_each(
        self, poller: Poller, queue: Iterator[FeedSpec], stop: trio.CancelScope
    ) -> None:
        for spec in queue:
            await self._poll(poller, spec, stop)

    async def _show_progress(self, poller: Poller, total: int) -> None:
        tally = poller.tally
        while True:
            done = tally.not_modified + tally.changed + tally.failed
            sys.stderr.write(f"\rstatusstream: {done}/{total} feeds\x1b[K")
            sys.stderr.flush()
            if done >= total:
                sys.stderr.write("\r\x1b[K")
                return
            await trio.sleep(0.25)

    async def _poll(self, poller: Poller, spec: FeedSpec, stop: trio.CancelScope) -> Polled:
        """Poll; an error that ends the whole run (stdout closed, ...) cancels everything."""
        try:
            return await poller.poll(spec)
        except StatusStreamError as exc:
            self._fatal = self._fatal or exc
            stop.cancel()
            return Polled(ok=False)

    # -- continuous mode ---------------------------------------------------------------

    async def _apply(self, feeds: tuple[FeedSpec, ...], nursery: trio.Nursery) -> None:
        """Follow exactly these feeds: stop the dropped ones, start the new ones."""
        wanted = {spec.url: spec for spec in feeds}
        for url in list(self._running):
            if url not in wanted:
                self._running.pop(url).cancel()
        self._specs = wanted  # a kept feed picks up changed options at its next poll
        for url in wanted:
            if url not in self._running:
                self._running[url] = await nursery.start(self._follow, url, nursery)

    async def _follow(
        self,
        url: str,
        nursery: trio.Nursery,
        task_status: trio.TaskStatus[trio.CancelScope] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        assert self.poller is not None, "started by run()"
        poller = self.poller
        with trio.CancelScope() as scope:
            task_status.started(scope)
            await trio.sleep(poller.deferred(self._specs[url]))
            while url in self._specs:
                spec = self._specs[url]
                polled = await self._poll(poller, spec, nursery.cancel_scope)
                await trio.sleep(self.delay(spec, polled))

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
            await poller.changed.wait()
            poller.changed = trio.Event()
            try:
                self.save()
            except StatusStreamError as exc:
                self._fatal = self._fatal or exc
                self._stop.cancel()
                return

    async def _watch_signals(
        self, nursery: trio.Nursery, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGHUP) as signals:
            task_status.started()
            async for signum in signals:
                if signum != signal.SIGHUP:
                    self.interrupted = signum
                    nursery.cancel_scope.cancel()
                    return
                if self.reload is not None and not self.settings.once:
                    self._reread(nursery)

    def _reread(self, nursery: trio.Nursery) -> None:
        assert self.reload is not None
        try:
            specs = self.reload()
        except StatusStreamError as exc:
            self.log.error(f"SIGHUP: keeping the current {len(self._specs)} feeds: {exc}")
            return
        nursery.start_soon(self._apply, specs, nursery)
        self.log.info(f"SIGHUP: following {len(specs)} feeds")

    def save(self) -> None:
        if self.state_file is not None:
            self.state_file.save(self.state)
