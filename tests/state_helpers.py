"""Shared by the tests of the state: feed states to save, and a record loaded or read back."""

from __future__ import annotations

import json

from statusstream.feedstate import FeedState
from statusstream.state import State
from statusstream.statevalues import DIGEST_WIDTH, digest

NOW = 1764460800.0  # 2025-11-30T00:00:00Z
TODAY = int(NOW // 86400)
FAILED_AT = 1762180000.0  # 2025-11-03T14:26:40Z, when `full_feed_state` last failed


def full_feed_state() -> FeedState:
    """A feed state with every field set."""
    feed = FeedState()
    feed.refresh_validators('W/"5f1-abc"', "Mon, 03 Nov 2025 14:32:00 GMT")
    feed.seen_body("x" * 22, ttl=300.0, quiet=True)
    feed.mark_baselined()
    for _ in range(3):
        feed.fail("HTTP 503 Service Unavailable", retry_after=320.5, now=FAILED_AT)
    feed.record(digest("incident a"), digest("update 1"))
    feed.record(digest("incident a"), digest("update 2"))
    feed.record(digest("incident b"), digest("update 1"))
    feed.saw_updates_until(FAILED_AT - 600)
    feed.prune({digest("incident a")}, day=20395)
    return feed


def with_etag(etag: str) -> FeedState:
    feed = FeedState()
    feed.refresh_validators(etag, None)
    return feed


def incidents_of(feed: FeedState) -> dict[str, str]:
    """A feed's incidents as its record in the file holds them: digest -> update keys."""
    written = feed.to_json().get("incidents", "")
    return {entry[:DIGEST_WIDTH]: entry[DIGEST_WIDTH:] for entry in written.split()}


def load(record: dict[str, object], *, version: int = 2, now: float = NOW) -> FeedState:
    """One feed's record, read as a state file holding only it would be."""
    data = json.dumps({"version": version, "feeds": {"https://a.test/": record}}).encode()
    return State.from_bytes(data, "state.json", now=now).feeds["https://a.test/"]


def reloaded(feed: FeedState, now: float = NOW) -> FeedState:
    """A feed's state saved and read back."""
    data = State(feeds={"u": feed}).to_bytes()
    return State.from_bytes(data, "state.json", now=now).feeds["u"]
