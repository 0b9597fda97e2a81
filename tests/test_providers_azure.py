"""Azure status RSS (documented form only): one item per active issue, updated in place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from statusstream.feedstate import FeedState
from statusstream.parsing import parse_feed
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
    state.mark_baselined()
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


# -- the real layout: archived captures of the feed (2022-2026) ------------------------------
# Written here to their structure: `<category>` per affected service and region, the link an
# internal `azurestatusprodncus.azurewebsites.net` page or status.azure.com, a description that
# is entity-escaped HTML, with or without `Impact statement:` / `Current status:` labels.

INTERNAL = "https://azurestatusprodncus.azurewebsites.net/en-us/status/"


def real_layout(description: str, categories: list[str], link: str = INTERNAL) -> bytes:
    tags = "".join(f"<category>{name}</category>" for name in categories)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss xmlns:a10="http://www.w3.org/2005/Atom"'
        ' version="2.0"><channel><title>Azure Status</title>'
        f"<link>{link}</link><description>Azure Status</description>"
        "<language>en-us</language><lastBuildDate>Thu, 23 Jul 2026 16:38:47 Z</lastBuildDate>"
        '<item><guid isPermaLink="false">issues-connecting-to-resources-in-east-us</guid>'
        f"<link>{link}</link>{tags}<title>Issues connecting to resources in East US </title>"
        f"<description>{description}</description>"
        "<pubDate>Thu, 23 Jul 2026 16:29:09 Z</pubDate></item></channel></rss>"
    ).encode()


SERVICES = ["API Management", "Application Gateway", "Virtual WAN", "East US", "East US 2"]
UNLABELLED = (
    "&lt;p&gt;We are investigating a networking issue affecting Azure services in East US."
    "&lt;/p&gt;&lt;p&gt;We will provide more information as it becomes available.&lt;/p&gt;"
)


def test_the_categories_are_the_components_in_order() -> None:
    """Each `<category>` (services, then regions) is a component, in the feed's order."""
    (event,) = events(real_layout(UNLABELLED, SERVICES))
    assert event.components == tuple(SERVICES)
    assert event.title == "Issues connecting to resources in East US"


def test_a_feed_added_by_url_alone_is_azure_without_labels() -> None:
    """Channel `Azure Status` on the internal azurewebsites.net host is Azure, not generic."""
    (event,) = events(real_layout(UNLABELLED, SERVICES))
    assert (event.provider, event.kind) == ("azure", "incident")
    assert event.incident == "issues-connecting-to-resources-in-east-us"


@pytest.mark.parametrize(
    "link", [INTERNAL, "https://status.azure.com/en-us/status/", "https://example.test/"]
)
def test_detected_from_the_channel_title_or_an_azure_link(link: str) -> None:
    """The `Azure Status` channel title or an Azure status link (internal host too) suffices."""
    assert parse_feed(real_layout(UNLABELLED, [], link)).provider == "azure"
    retitled = real_layout(UNLABELLED, [], link).replace(b"Azure Status", b"Status")
    expected = "generic" if link == "https://example.test/" else "azure"
    assert parse_feed(retitled).provider == expected


def test_without_a_current_status_part_the_prose_or_update_gives_the_status() -> None:
    """No `Current status:`: a plain statement in the text is the status, otherwise `update`."""
    assert events(real_layout(UNLABELLED, SERVICES))[0].status == "investigating"
    aware = "We are aware of an issue that started on 19 July 2024 at 04:09 UTC."
    assert events(real_layout(aware, []))[0].status == "update"


def test_lower_case_labels_in_strong_tags_are_read() -> None:
    """`<strong>Impact statement: </strong>` and `<strong>Current status: </strong>` as in 2022."""
    described = (
        "&lt;p&gt;&lt;strong&gt;Impact statement: &lt;/strong&gt;Starting at 16:10 UTC on 07 Sep"
        " 2022, customers using Azure Front Door could be experiencing issues.&lt;/p&gt;"
        "&lt;p&gt;&lt;strong&gt;Current status: &lt;/strong&gt;This issue is now mitigated."
        "&amp;nbsp;&lt;/p&gt;"
    )
    (event,) = events(real_layout(described, ["Content Delivery Network", "West Europe"]))
    assert event.status == "resolved"
    assert event.message.startswith("Impact statement: Starting at 16:10 UTC")
    assert event.components == ("Content Delivery Network", "West Europe")
