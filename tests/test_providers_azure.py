"""Azure status RSS (documented form only): one item per active issue, updated in place."""

from __future__ import annotations

from datetime import UTC, datetime

from statusstream.parsing import parse_feed
from statusstream.state import FeedState
from statusstream.tracker import Source, plan
from tests.providers_helpers import FEED_URL, events, rss

STATUS_PAGE = "https://azure.status.microsoft/en-us/status/"
GUID = "impact-to-azure-virtual-machines-in-multiple-regions"
TITLE = "Impact to Azure Virtual Machines in multiple regions"


def feed(current: str, pub_date: str = "Thu, 26 Jun 2025 03:09:42 Z", title: str = TITLE) -> bytes:
    description = (
        "Impact Statement:&amp;nbsp;Starting at 01:37 UTC on 26 June 2025, customers using "
        f"Virtual Machines may experience issues.Current Status:&amp;nbsp;{current}"
    )
    return rss(
        [
            {
                "title": title,
                "link": STATUS_PAGE,
                'guid isPermaLink="false"': GUID,
                "description": description,
                "pubDate": pub_date,
            }
        ],
        channel=f"<link>{STATUS_PAGE}</link>",
        title="Azure Status",
    )


def test_current_status_gives_the_status_and_the_guid_the_incident() -> None:
    """`Current Status: We are actively investigating` is investigating; the guid names it."""
    (event,) = events(feed("We are actively investigating the impact."))
    assert (event.provider, event.status, event.kind) == ("azure", "investigating", "incident")
    assert event.incident == GUID  # the link is the status page every issue shares
    assert event.link == STATUS_PAGE
    assert event.time == "2025-06-26T03:09:42Z"
    assert event.message.startswith("Impact Statement: Starting at 01:37 UTC")
    assert event.components == ()


def test_mitigated_reads_as_resolved_and_other_prose_as_update() -> None:
    """`This issue is now mitigated` is resolved; prose that names no state is an update."""
    assert events(feed("This issue is now mitigated."))[0].status == "resolved"
    assert events(feed("Engineers have identified a root cause."))[0].status == "identified"
    assert events(feed("The next update will follow in 60 minutes."))[0].status == "update"


def test_a_changed_text_is_an_update_and_the_same_text_is_not() -> None:
    """No per-update structure: a rewritten description is the next update, a re-poll nothing."""
    source = Source("Azure", FEED_URL, "azure")
    state = FeedState()
    observed = datetime(2025, 6, 26, tzinfo=UTC)
    first = parse_feed(feed("We are actively investigating the impact."))
    for keys in plan(state, first.updates, source, observed, None).silent:
        state.record(*keys)
    state.baselined = True
    assert plan(state, first.updates, source, observed, None).pending == ()
    later = parse_feed(feed("This issue is now mitigated.", "Thu, 26 Jun 2025 05:00:00 Z"))
    pending = plan(state, later.updates, source, observed, None).pending
    assert [(p.event.status, p.event.change) for p in pending] == [("resolved", "update")]


def test_planned_maintenance_is_a_maintenance() -> None:
    """A title naming maintenance makes the kind maintenance."""
    (event,) = events(
        feed("Work is under way.", title="Planned maintenance: Storage in West Europe")
    )
    assert event.kind == "maintenance"


def test_detected_from_the_labelled_text_alone() -> None:
    """`Impact Statement:` and `Current Status:` are recognised even on another host."""
    body = rss(
        [
            {
                "title": "x",
                "guid": "x",
                "description": "Impact Statement: a.Current Status: We are investigating.",
            }
        ]
    )
    assert parse_feed(body).provider == "azure"
