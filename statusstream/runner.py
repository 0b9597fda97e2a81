"""The run: definitions -> poll -> parse -> diff against state -> write -> record.

`--once` polls every feed once; otherwise each feed is polled on its own timer until
SIGINT/SIGTERM, and SIGHUP re-reads the definition files.
"""

from __future__ import annotations

import hashlib
import math
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx2
import trio

from statusstream import providers, tracker
from statusstream.document import parse_document
from statusstream.errors import FeedError, StatusStreamError
from statusstream.events import Event
from statusstream.feeds import FeedSpec
from statusstream.fetch import DEFAULT_MAX_BODY, Fetched, FetchError, fetch, make_client
from statusstream.log import Log
from statusstream.model import Update
from statusstream.output import Output
from statusstream.state import FeedState, State, StateFile, body_digest, today
from statusstream.timeutil import rfc3339, utcnow

ALL = math.inf  # --since all


@dataclass(frozen=True, slots=True)
class Settings:
    once: bool = False
    interval: float = 60.0
    timeout: float = 30.0
    concurrency: int = 16
    since: float | None = None  # seconds, ALL, or None for a silent baseline
    health: bool = False
    max_body: int = DEFAULT_MAX_BODY


@dataclass(slots=True)
class Tally:
    polled: int = 0
    not_modified: int = 0
    changed: int = 0
    failed: int = 0

    def summary(self, events: int) -> str:
        return (
            f"{self.polled} feeds polled: {self.not_modified} not modified, "
            f"{self.changed} changed, {self.failed} failed; {events} events written"
        )


class Runner:
    def __init__(
        self,
        settings: Settings,
        state: State,
        state_file: StateFile | None,
        output: Output,
        log: Log,
        reload: Callable[[], tuple[FeedSpec, ...]] | None = None,
    ) -> None:
        self.settings = settings
        self.state = state
        self.state_file = state_file
        self.output = output
        self.log = log
        self.reload = reload  # re-reads the definition files on SIGHUP
        self.tally = Tally()
        self.interrupted: int | None = None  # the signal that stopped the run
        self._fatal: StatusStreamError | None = None
        self._dirty = False
        self._limit = trio.CapacityLimiter(settings.concurrency)
        self._host_limits: dict[str, trio.CapacityLimiter] = {}
        self._client: httpx2.AsyncClient | None = None
        self._apply: Callable[[tuple[FeedSpec, ...]], Awaitable[None]] | None = None

    # -- the two modes -------------------------------------------------------------

    async def run(self, feeds: tuple[FeedSpec, ...]) -> None:
        """Poll until done (`--once`) or stopped by a signal; then save the state."""
        try:
            async with (
                make_client(self.settings.concurrency) as client,
                trio.open_nursery() as nursery,
            ):
                self._client = client
                await nursery.start(self._watch_signals, nursery.cancel_scope)
                if self.settings.once:
                    async with trio.open_nursery() as polls:
                        for spec in feeds:
                            polls.start_soon(self._poll_guarded, spec, nursery.cancel_scope)
                    nursery.cancel_scope.cancel()
                else:
                    await self._schedule(feeds, nursery)
        finally:
            self.save()
        if self._fatal is not None:
            raise self._fatal

    async def _schedule(self, feeds: tuple[FeedSpec, ...], nursery: trio.Nursery) -> None:
        """Continuous mode: one task per feed, each on its own timer; SIGHUP swaps the set."""
        running: dict[str, trio.CancelScope] = {}

        async def follow(spec: FeedSpec, task_status: trio.TaskStatus[trio.CancelScope]) -> None:
            with trio.CancelScope() as scope:
                task_status.started(scope)
                interval = spec.interval or self.settings.interval
                while True:
                    await self._poll_guarded(spec, nursery.cancel_scope)
                    self.save_if_changed()
                    await trio.sleep(interval)

        async def apply(specs: tuple[FeedSpec, ...]) -> None:
            wanted = {spec.url: spec for spec in specs}
            for url in list(running):
                if url not in wanted:
                    running.pop(url).cancel()
            for url, spec in wanted.items():
                if url not in running:
                    running[url] = await nursery.start(follow, spec)

        await apply(feeds)
        self._apply = apply

    async def _watch_signals(
        self, scope: trio.CancelScope, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGHUP) as signals:
            task_status.started()
            async for signum in signals:
                if signum == signal.SIGHUP:
                    await self._reload()
                    continue
                self.interrupted = signum
                scope.cancel()
                return

    async def _reload(self) -> None:
        if self.reload is None or self._apply is None:
            return
        try:
            specs = self.reload()
        except StatusStreamError as exc:
            self.log.error(f"SIGHUP: keeping the current feeds: {exc}")
            return
        await self._apply(specs)
        self.log.info(f"SIGHUP: now following {len(specs)} feeds")

    # -- one poll of one feed ----------------------------------------------------------

    async def _poll_guarded(self, spec: FeedSpec, stop: trio.CancelScope) -> None:
        """Poll; an error that ends the whole run (stdout closed, ...) cancels everything."""
        try:
            await self.poll(spec)
        except StatusStreamError as exc:
            self._fatal = self._fatal or exc
            stop.cancel()

    async def poll(self, spec: FeedSpec) -> None:
        feed = self.state.feed(spec.url)
        self.tally.polled += 1
        try:
            fetched = await self._fetch(spec, feed)
        except FeedError as exc:
            self._failed(spec, feed, str(exc))
            return
        digest = body_digest(fetched.body) if fetched.status == 200 else None
        if fetched.status == 304 or (feed.baselined and digest == feed.body):
            if _refresh_validators(feed, fetched):
                self._dirty = True
            self.tally.not_modified += 1
            self._recovered(spec, feed)
            return
        try:
            document = parse_document(fetched.body)
            provider = (
                providers.by_name(spec.provider) if spec.provider else providers.detect(document)
            )
            updates = provider.extract(document)
        except FeedError as exc:
            self._failed(spec, feed, str(exc))
            return
        name = spec.name or document.title or urlsplit(spec.url).hostname or spec.url
        source = tracker.Source(name=name, url=spec.url, provider=provider.name)
        self._commit(spec, feed, source, updates)
        # Only now, with every event written, may the body count as seen.
        feed.body = digest
        _refresh_validators(feed, fetched)
        self.tally.changed += 1
        self._recovered(spec, feed)

    async def _fetch(self, spec: FeedSpec, feed: FeedState) -> Fetched:
        host = urlsplit(spec.url).hostname or ""
        per_host = self._host_limits.setdefault(
            host, trio.CapacityLimiter(self.settings.concurrency)
        )
        timeout = spec.timeout or self.settings.timeout
        async with self._limit, per_host:
            try:
                with trio.fail_after(timeout):
                    assert self._client is not None, "poll() runs inside run()"
                    return await fetch(
                        self._client,
                        spec.url,
                        headers=dict(spec.headers),
                        etag=feed.etag,
                        last_modified=feed.last_modified,
                        max_body=self.settings.max_body,
                    )
            except trio.TooSlowError:
                message = f"timed out after {timeout:g}s"
                raise FetchError(message) from None

    def _commit(
        self,
        spec: FeedSpec,
        feed: FeedState,
        source: tracker.Source,
        updates: list[Update],
    ) -> None:
        """Write the new events, recording each only after it was written; then the rest."""
        observed = utcnow()
        since = self._since_cutoff(observed)
        plan = tracker.plan(feed, updates, source, observed, since)
        for incident_key, update_key in plan.silent:
            feed.record(incident_key, update_key)
        feed.baselined = True
        for pending in plan.pending:
            self.output.write(pending.event.to_json())
            feed.record(pending.incident_key, pending.update_key)
        feed.prune(set(plan.present), today())
        self._dirty = True
        if plan.baseline is not None:
            self.log.info(
                f"first poll: {plan.baseline} incidents recorded as the baseline"
                " (nothing emitted; --since emits past updates)",
                source.name,
            )
        if plan.rotated:
            self.log.warning(
                "most incidents look new (the feed changed its ids?): emitted nothing,"
                " recorded them as the new baseline",
                source.name,
            )

    def _since_cutoff(self, observed: datetime) -> datetime | None:
        since = self.settings.since
        if since is None:
            return None
        if since == ALL:
            return datetime.min.replace(tzinfo=UTC)
        return observed - timedelta(seconds=since)

    # -- failing and recovering ----------------------------------------------------------

    def _failed(self, spec: FeedSpec, feed: FeedState, reason: str) -> None:
        self.tally.failed += 1
        self._dirty = True
        feed.failures += 1
        name = spec.name or spec.url
        if feed.failing is None:
            feed.failing = reason
            self.log.error(f"failing: {reason}", name)
            self._health(spec, "feed_failing", reason)
        elif self.settings.once:
            self.log.info(f"still failing ({feed.failures} polls): {reason}", name)

    def _recovered(self, spec: FeedSpec, feed: FeedState) -> None:
        if feed.failing is None:
            if feed.failures:
                feed.failures = 0
                self._dirty = True
            return
        self.log.info(f"recovered after {feed.failures} failed polls", spec.name or spec.url)
        self._dirty = True
        feed.failing = None
        feed.failures = 0
        self._health(spec, "feed_recovered", "recovered")

    def _health(self, spec: FeedSpec, change: str, reason: str) -> None:
        if not self.settings.health:
            return
        now = rfc3339(utcnow())
        identity = f"{spec.url}\x1f{change}\x1f{now}"
        event = Event(
            id=hashlib.sha256(identity.encode()).hexdigest()[:24],
            source=spec.name or urlsplit(spec.url).hostname or spec.url,
            feed=spec.url,
            provider=spec.provider or "unknown",
            incident=None,
            title=reason,
            link=None,
            kind=None,
            change=change,
            status=None,
            message=reason,
            components=(),
            time=now,
            published=None,
            observed=now,
        )
        self.output.write(event.to_json())

    # -- state -----------------------------------------------------------------------------

    def save_if_changed(self) -> None:
        if self._dirty:
            self.save()

    def save(self) -> None:
        if self.state_file is not None:
            self.state_file.save(self.state)
        self._dirty = False


def _refresh_validators(feed: FeedState, fetched: Fetched) -> bool:
    """Each validator on its own, as servers change one without the other; True if one changed."""
    before = (feed.etag, feed.last_modified)
    feed.etag = fetched.etag or feed.etag
    feed.last_modified = fetched.last_modified or feed.last_modified
    return before != (feed.etag, feed.last_modified)
