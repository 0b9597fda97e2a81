"""What a run says about its polls on stderr, and the tally its summary and exit status use.

The rules (SPEC §5): in continuous mode a failing feed is reported once when it starts
failing and once when it recovers; a `--once` run names every feed that failed in it, with
the host and the reason, even with `-q` (cron mails what is on stderr). With `-v` every
poll says what happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from statusstream.feeds import FeedSpec
from statusstream.log import Log, counted


@dataclass(slots=True)
class Tally:
    polled: int = 0
    not_modified: int = 0
    changed: int = 0
    failed: int = 0
    deferred: int = 0  # not asked: the server's Retry-After had not passed

    @property
    def done(self) -> int:
        return self.polled + self.deferred

    def summary(self, events: int) -> str:
        deferred = f"; {self.deferred} deferred (not asked)" if self.deferred else ""
        return (
            f"{counted(self.polled, 'feed')} polled: {self.not_modified} not modified, "
            f"{self.changed} changed, {self.failed} failed{deferred}; "
            f"{counted(events, 'event')} written"
        )


class Report:
    def __init__(self, log: Log, *, once: bool) -> None:
        self.log = log
        self.once = once
        self.tally = Tally()

    def not_modified(self, spec: FeedSpec, how: str) -> None:
        self.tally.polled += 1
        self.tally.not_modified += 1
        self.log.debug(f"not modified ({how})", name(spec))

    def changed(self, spec: FeedSpec, new: int, *, windowed: bool) -> None:
        self.tally.polled += 1
        self.tally.changed += 1
        if windowed and not new:
            self.log.debug("changed: nothing newer than --since", name(spec))
        else:
            self.log.debug(f"changed: {counted(new, 'new update')}", name(spec))

    def baseline(self, source: str, incidents: int) -> None:
        """`source`: the feed's name, or its own title when it was defined without one."""
        self.log.info(
            f"first poll: {counted(incidents, 'incident')} recorded as the baseline"
            " (nothing emitted; --since emits past updates)",
            source,
        )

    def rotated(self, source: str) -> None:
        self.log.warning(
            "most incidents look new (the feed changed its ids?): emitted only the updates"
            " newer than any seen before; recorded the rest as the new baseline",
            source,
        )

    def failed(self, spec: FeedSpec, reason: str, *, started: bool, failures: int) -> None:
        self.tally.polled += 1
        self.tally.failed += 1
        if started:
            self.log.error(f"failing: {reason}", name(spec))
        elif self.once:
            self.log.error(f"still failing ({counted(failures, 'poll')}): {reason}", name(spec))
        else:
            self.log.debug(f"still failing ({counted(failures, 'poll')}): {reason}", name(spec))

    def recovered(self, spec: FeedSpec, failures: int) -> None:
        self.log.info(f"recovered after {counted(failures, 'failed poll')}", name(spec))

    def deferred(self, spec: FeedSpec, wait: float) -> None:
        """Not polled: the server asked to be left alone for `wait` seconds more."""
        if self.once:
            self.tally.deferred += 1
            self.log.info(f"deferred: the server asked to wait {wait:.0f}s more", name(spec))
        else:
            self.log.debug(f"waiting {wait:.0f}s more, as the server asked", name(spec))


def name(spec: FeedSpec) -> str:
    """The name in diagnostics: the defined one, else the URL (hosts are often shared)."""
    return spec.name or spec.url
