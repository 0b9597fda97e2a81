"""One poll of one feed: conditional GET -> parse -> plan -> write and record.

Polls share the HTTP clients, the parse workers, the state and the output (the runner
decides how many run at once). Any failure of one feed's poll is that feed's:
it is recorded in its state and reported, and the other feeds go on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import trio

from statusstream import tracker
from statusstream.client import Clients
from statusstream.errors import FeedError, FetchError
from statusstream.events import health_event
from statusstream.feeds import FeedSpec
from statusstream.feedstate import FeedState
from statusstream.fetch import Fetched, fetch
from statusstream.output import Output
from statusstream.parse_pool import ParsePool
from statusstream.parsing import Parsed
from statusstream.reasons import where
from statusstream.report import Report, name
from statusstream.settings import Settings
from statusstream.state import State
from statusstream.statevalues import body_digest, today
from statusstream.statuses import all_closed
from statusstream.timeutil import rfc3339, utcnow
from statusstream.urls import host_of


@dataclass(frozen=True, slots=True)
class Polled:
    """What the scheduler needs to know about a poll."""

    ok: bool
    retry_after: float | None = None
    max_age: float | None = None


class Poller:
    def __init__(
        self,
        settings: Settings,
        state: State,
        output: Output,
        report: Report,
        clients: Clients,
        parsers: ParsePool,
    ) -> None:
        self.settings = settings
        self.state = state
        self.output = output
        self.report = report
        self.clients = clients
        self.parsers = parsers
        self._changed = trio.Event()

    @property
    def dirty(self) -> bool:
        """The state changed since it was last saved."""
        return self._changed.is_set()

    async def wait_changed(self) -> None:
        """Wait until the state changes; the caller saves it, and so it is clean again."""
        await self._changed.wait()
        self._changed = trio.Event()

    async def poll(self, spec: FeedSpec) -> Polled:
        feed = self.state.feed(spec.url)
        try:
            fetched = await self._fetch(spec, feed)
        except FetchError as exc:
            await self._failed(spec, feed, str(exc), exc.retry_after)
            return Polled(ok=False, retry_after=exc.retry_after)
        digest = body_digest(fetched.body) if fetched.status == 200 else None
        if fetched.status == 304 or (feed.baselined and digest == feed.body):
            self._refresh_validators(feed, fetched)
            self.report.not_modified(spec, "304" if digest is None else "the same body")
            await self._recovered(spec, feed)
            return Polled(ok=True, max_age=fetched.max_age)
        try:
            parsed = await self._parse(spec, fetched.body)
        except FeedError as exc:
            await self._failed(spec, feed, str(exc))
            return Polled(ok=False)
        await self._commit(spec, feed, parsed)
        # Only now, with every event written, may the body and its validators count as seen.
        ttl = parsed.ttl_minutes * 60.0 if parsed.ttl_minutes else None
        feed.seen_body(digest, ttl=ttl, quiet=all_closed(parsed.updates))
        self._refresh_validators(feed, fetched)
        await self._recovered(spec, feed)
        return Polled(ok=True, max_age=fetched.max_age)

    async def _fetch(self, spec: FeedSpec, feed: FeedState) -> Fetched:
        timeout = spec.timeout or self.settings.timeout
        with trio.move_on_after(timeout):
            return await fetch(
                self.clients,
                spec.url,
                headers=dict(spec.headers),
                etag=feed.etag,
                last_modified=feed.last_modified,
                max_body=self.settings.max_body,
            )
        message = f"{where(spec.url)}: timed out after {timeout:g}s"
        raise FetchError(message)

    async def _parse(self, spec: FeedSpec, body: bytes) -> Parsed:
        timeout = spec.timeout or self.settings.timeout
        try:
            # A parse that may take long runs in a worker process, killed at the deadline.
            with trio.fail_after(timeout):
                return await self.parsers.parse(body, spec.provider)
        except trio.TooSlowError:
            message = f"parsing took over {timeout:g}s"
            raise FeedError(message) from None
        except FeedError:
            raise
        except Exception as exc:  # a parser bug must cost one feed, not the run
            message = f"cannot read this feed ({type(exc).__name__}: {exc})"
            raise FeedError(message) from exc

    async def _commit(self, spec: FeedSpec, feed: FeedState, parsed: Parsed) -> None:
        """Write the new events, recording each once the kernel took its line."""
        observed = utcnow()
        source = tracker.Source(
            name=spec.name or parsed.title or host_of(spec.url) or spec.url,
            url=spec.url,
            provider=parsed.provider,
        )
        plan = tracker.plan(feed, parsed.updates, source, observed, self.settings.cutoff(observed))
        for incident_key, update_key in plan.silent:
            feed.record(incident_key, update_key)
        feed.mark_baselined()

        def taken(index: int) -> None:
            feed.record(plan.pending[index].incident_key, plan.pending[index].update_key)

        try:
            if plan.pending:
                await self.output.write([self.output.render(p.event) for p in plan.pending], taken)
        finally:
            self._changed.set()
        feed.saw_updates_until(plan.newest)  # after the write: a failed one moves no mark
        feed.prune(set(plan.present), today())
        self.report.changed(spec, len(plan.pending), windowed=self.settings.since is not None)
        if plan.baseline is not None:
            self.report.baseline(source.name, plan.baseline)
        if plan.rotated:
            self.report.rotated(source.name)

    def _refresh_validators(self, feed: FeedState, fetched: Fetched) -> None:
        if feed.refresh_validators(fetched.etag, fetched.last_modified):
            self._changed.set()

    async def _failed(
        self, spec: FeedSpec, feed: FeedState, reason: str, retry_after: float | None = None
    ) -> None:
        here = where(spec.url)  # SPEC: every failure names the host, and the port if not default
        reason = reason if reason.startswith(f"{here}: ") else f"{here}: {reason}"
        started = feed.fail(reason, retry_after, time.time())
        self._changed.set()
        self.report.failed(spec, reason, started=started, failures=feed.failures)
        if started:
            await self._health(spec, "feed_failing", reason)

    async def _recovered(self, spec: FeedSpec, feed: FeedState) -> None:
        if feed.healthy:
            return
        failures = feed.failures
        self._changed.set()
        if feed.recover() is not None:
            self.report.recovered(spec, failures)
            await self._health(spec, "feed_recovered", "recovered")

    async def _health(self, spec: FeedSpec, change: str, reason: str) -> None:
        if self.settings.health:
            now = rfc3339(utcnow())
            event = health_event(name(spec), spec.url, spec.provider, change, reason, now)
            await self.output.write([self.output.render(event)], lambda index: None)
