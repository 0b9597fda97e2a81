"""One poll of one feed: conditional GET -> parse -> diff -> write -> record.

The `Poller` holds what polls share: the HTTP transport, the parsing workers, the global
and per-host limits on requests in flight, the state, the output. A failing feed is
reported once when it starts failing and once when it recovers, never on every poll.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx2
import trio

from statusstream.errors import FeedError
from statusstream.feeds import FeedSpec, host_of
from statusstream.fetch import DEFAULT_MAX_BODY, Fetched, FetchError, fetch
from statusstream.log import Log
from statusstream.output import Output
from statusstream.pacing import CLOSED_STATUSES
from statusstream.state import FeedState, State, body_digest, today
from statusstream.timeutil import ALL_TIME, rfc3339, utcnow

if TYPE_CHECKING:
    # Imported where first needed: a poll answered 304 needs neither parsing nor the
    # tracker, and a run of such polls should not pay for importing them.
    from statusstream import tracker
    from statusstream.events import Event
    from statusstream.model import Update
    from statusstream.parse_pool import ParsePool
    from statusstream.parsing import Parsed


@dataclass(frozen=True, slots=True)
class Settings:
    once: bool = False
    interval: float = 60.0
    idle: float | None = None  # for quiet feeds; None: `pacing.default_idle(interval)`
    timeout: float = 30.0
    concurrency: int = 16
    per_host: int = 8
    since: float | None = None  # seconds, ALL_TIME, or None for a silent baseline
    health: bool = False
    human: bool = False  # one readable line per event instead of JSON (a terminal)
    progress: bool = False  # `--once` shows "done/total" on stderr, a terminal
    max_body: int = DEFAULT_MAX_BODY
    parse_workers: int = 0  # worker processes for parsing; 0: all in the event loop


FLUSH_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class Polled:
    """What the scheduler needs to know about a poll."""

    ok: bool
    retry_after: float | None = None
    max_age: float | None = None


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


class Poller:
    def __init__(
        self,
        settings: Settings,
        state: State,
        output: Output,
        log: Log,
        transport: httpx2.AsyncBaseTransport,
    ) -> None:
        self.settings = settings
        self.state = state
        self.output = output
        self.log = log
        self.transport = transport
        self.tally = Tally()
        self.changed = trio.Event()  # set when the state changed; the saver resets it
        self._limit = trio.CapacityLimiter(settings.concurrency)
        self._host_limits: dict[str, trio.CapacityLimiter] = {}
        self._parsers: ParsePool | None = None  # started with the first body to parse

    async def aclose(self) -> None:
        if self._parsers is not None:
            await self._parsers.aclose()

    async def poll(self, spec: FeedSpec) -> Polled:
        feed = self.state.feed(spec.url)
        self.tally.polled += 1
        try:
            fetched = await self._fetch(spec, feed)
        except FetchError as exc:
            self._failed(spec, feed, str(exc), exc.retry_after)
            return Polled(ok=False, retry_after=exc.retry_after)
        digest = body_digest(fetched.body) if fetched.status == 200 else None
        if fetched.status == 304 or (feed.baselined and digest == feed.body):
            if _refresh_validators(feed, fetched):
                self._mark_changed()
            self.tally.not_modified += 1
            self._recovered(spec, feed)
            return Polled(ok=True, max_age=fetched.max_age)
        timeout = spec.timeout or self.settings.timeout
        try:
            # A parse in a worker process is killed at the deadline; one in the event loop
            # (a small body, see `ParsePool`) cannot be, and is quick.
            with trio.fail_after(timeout):
                parsed = await self._parse(fetched.body, spec.provider)
        except trio.TooSlowError:
            self._failed(spec, feed, f"parsing took over {timeout:g}s", None)
            return Polled(ok=False)
        except FeedError as exc:
            self._failed(spec, feed, str(exc), None)
            return Polled(ok=False)
        except Exception as exc:  # a parser bug must cost one feed, not the run
            self._failed(spec, feed, f"cannot read this feed ({type(exc).__name__}: {exc})", None)
            return Polled(ok=False)
        name = spec.name or parsed.title or host_of(spec.url) or spec.url
        from statusstream import tracker

        source = tracker.Source(name=name, url=spec.url, provider=parsed.provider)
        self._commit(feed, source, parsed.updates)
        # Only now, with every event written, may the body and its validators count as seen.
        feed.body = digest
        feed.ttl = parsed.ttl_minutes * 60.0 if parsed.ttl_minutes else None
        feed.quiet = _all_closed(parsed.updates)
        _refresh_validators(feed, fetched)
        self.tally.changed += 1
        self._recovered(spec, feed)
        return Polled(ok=True, max_age=fetched.max_age)

    async def _parse(self, body: bytes, provider: str | None) -> Parsed:
        if self._parsers is None:
            from statusstream.parse_pool import ParsePool

            self._parsers = ParsePool(self.settings.parse_workers)
        return await self._parsers.parse(body, provider)

    async def _fetch(self, spec: FeedSpec, feed: FeedState) -> Fetched:
        host = host_of(spec.url)
        per_host = self._host_limits.get(host)
        if per_host is None:
            per_host = self._host_limits[host] = trio.CapacityLimiter(self.settings.per_host)
        timeout = spec.timeout or self.settings.timeout
        # The host's slot first: a host at its cap must not hold global slots others could use.
        async with per_host, self._limit:
            try:
                with trio.fail_after(timeout):
                    return await fetch(
                        self.transport,
                        spec.url,
                        headers=dict(spec.headers),
                        etag=feed.etag,
                        last_modified=feed.last_modified,
                        max_body=self.settings.max_body,
                    )
            except trio.TooSlowError:
                message = f"timed out after {timeout:g}s"
                raise FetchError(message) from None

    def _commit(self, feed: FeedState, source: tracker.Source, updates: list[Update]) -> None:
        """Write the new events, recording each only after it was written."""
        observed = utcnow()
        from statusstream import tracker

        plan = tracker.plan(feed, updates, source, observed, self._since_cutoff(observed))
        for incident_key, update_key in plan.silent:
            feed.record(incident_key, update_key)
        feed.baselined = True
        self._mark_changed()
        lines = [self._render(pending.event) for pending in plan.pending]
        start = 0
        for end in _flush_points(lines):
            self.output.write(lines[start:end])
            for pending in plan.pending[start:end]:
                feed.record(pending.incident_key, pending.update_key)
            start = end
        feed.prune(set(plan.present), today())
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
        if since == ALL_TIME:
            return datetime.min.replace(tzinfo=UTC)
        return observed - timedelta(seconds=since)

    def _mark_changed(self) -> None:
        self.changed.set()

    def deferred(self, spec: FeedSpec) -> float:
        """Seconds the server asked us to wait before polling this feed again (Retry-After)."""
        retry_at = self.state.feed(spec.url).retry_at
        return max(0.0, retry_at - time.time()) if retry_at is not None else 0.0

    def skip(self, spec: FeedSpec, wait: float) -> None:
        """`--once`: a feed under a Retry-After is not asked again; it counts as failed."""
        self.tally.polled += 1
        self.tally.failed += 1
        self.log.info(f"not polled: the server asked to wait {wait:.0f}s more", _name(spec))

    # -- failing and recovering ----------------------------------------------------------

    def _failed(
        self, spec: FeedSpec, feed: FeedState, reason: str, retry_after: float | None
    ) -> None:
        self.tally.failed += 1
        feed.failures += 1
        feed.retry_at = time.time() + retry_after if retry_after else None
        self._mark_changed()
        if feed.failing is None:
            feed.failing = reason
            self.log.error(f"failing: {reason}", _name(spec))
            self._health(spec, "feed_failing", reason)
        elif self.settings.once:
            self.log.info(f"still failing ({feed.failures} polls): {reason}", _name(spec))
        else:
            self.log.debug(f"still failing ({feed.failures} polls): {reason}", _name(spec))

    def _recovered(self, spec: FeedSpec, feed: FeedState) -> None:
        if feed.failing is None:
            if feed.failures or feed.retry_at is not None:
                feed.failures = 0
                feed.retry_at = None
                self._mark_changed()
            return
        self.log.info(f"recovered after {feed.failures} failed polls", _name(spec))
        feed.failing = None
        feed.failures = 0
        feed.retry_at = None
        self._mark_changed()
        self._health(spec, "feed_recovered", "recovered")

    def _health(self, spec: FeedSpec, change: str, reason: str) -> None:
        if not self.settings.health:
            return
        now = rfc3339(utcnow())
        identity = f"{spec.url}\x1f{change}\x1f{now}"
        from statusstream.events import Event

        event = Event(
            id=hashlib.sha256(identity.encode()).hexdigest()[:24],
            source=_name(spec),
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
        self.output.write([self._render(event)])

    def _render(self, event: Event) -> str:
        if not self.settings.human:
            return event.to_json()
        if self.settings.progress:  # wipe the progress line the event would run into
            return "\r\x1b[K" + event.to_text()
        return event.to_text()


def _flush_points(lines: list[str]) -> Iterator[int]:
    """Where to flush: after about `FLUSH_BYTES`, not after every line (a write each).

    A flush that fails (`| head -1` gone) records none of its lines; a pipe holds 64 KiB,
    so a reader that leaves still sees progress: the lines it took count as written.
    """
    size = 0
    for index, line in enumerate(lines, 1):
        size += len(line)
        if size >= FLUSH_BYTES or index == len(lines):
            yield index
            size = 0


def _name(spec: FeedSpec) -> str:
    """The name in diagnostics: the defined one, else the URL (hosts are often shared)."""
    return spec.name or spec.url


def _all_closed(updates: list[Update]) -> bool:
    """True when every incident's latest update is resolved, completed or a postmortem."""
    latest: dict[str, Update] = {}
    for update in updates:
        current = latest.get(update.incident)
        if current is None or (update.time or datetime.min.replace(tzinfo=UTC)) >= (
            current.time or datetime.min.replace(tzinfo=UTC)
        ):
            latest[update.incident] = update
    return all(update.status in CLOSED_STATUSES for update in latest.values())


def _refresh_validators(feed: FeedState, fetched: Fetched) -> bool:
    """Each validator on its own, as servers change one without the other; True if one changed."""
    before = (feed.etag, feed.last_modified)
    feed.etag = fetched.etag or feed.etag
    feed.last_modified = fetched.last_modified or feed.last_modified
    return before != (feed.etag, feed.last_modified)
