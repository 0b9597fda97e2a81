"""Google Cloud Service Health Atom: one entry per update, grouped by the incident id."""

from __future__ import annotations

import html

import pytest

from statusstream.parsing import parse_feed
from tests.providers_helpers import assert_golden, atom, events
from tests.real_feeds import real_names

PAGE = "https://status.cloud.google.com/incidents/B1hD4KAtcxiyAWkcANfV"


def entry(update: str, title: str, updated: str, text: str, *, link: str = PAGE) -> dict[str, str]:
    summary = (
        "<p> Incident began at <strong>2022-03-31 08:30</strong> <span>(all times are "
        "<strong>US/Pacific</strong>).</span></p>"
        f'<div class="cBIRi14aVDP__status-update-text"><p>{text}</p></div><hr>'
        "<p>Affected products: Cloud Monitoring, Google Cloud Pub/Sub</p>"
        "<p>Affected locations: Global</p>"
    )
    return {
        "title": html.escape(title),
        f'link href="{link}" rel="alternate" type="text/html"': "",
        "id": f"tag:status.cloud.google.com,2022:feed:B1hD4KAtcxiyAWkcANfV.{update}",
        "updated": updated,
        'summary type="html"': html.escape(summary),
    }


FEED = atom(
    [
        entry("u2", "RESOLVED: Global: Metrics missing", "2022-04-01T20:13:25+00:00", "Fixed."),
        entry("u1", "UPDATE: Global: Metrics missing", "2022-03-31T16:00:00+00:00", "Looking."),
    ],
    head='<link href="https://status.cloud.google.com/" rel="alternate"/>',
)


def test_updates_group_under_the_incident_page() -> None:
    """Entries `<incident>.<update>` are one incident keyed by its page: new, then update."""
    found = events(FEED)
    assert [(e.time, e.status, e.change) for e in found] == [
        ("2022-03-31T16:00:00Z", "update", "new"),
        ("2022-04-01T20:13:25Z", "resolved", "update"),
    ]
    assert {(e.incident, e.provider, e.kind) for e in found} == {(PAGE, "gcp", "incident")}
    assert {e.published for e in found} == {"2022-03-31T16:00:00Z"}


def test_the_status_prefix_leaves_the_title() -> None:
    """`RESOLVED:` / `UPDATE:` become the status; the location prefix stays in the title."""
    assert {e.title for e in events(FEED)} == {"Global: Metrics missing"}


def test_message_is_the_update_text_and_products_are_components() -> None:
    """The message skips the `Incident began` line and the `Affected ...` tail."""
    first = events(FEED)[0]
    assert first.message == "Looking."
    assert first.components == ("Cloud Monitoring", "Google Cloud Pub/Sub")


def test_without_a_matching_page_the_tag_prefix_is_the_incident() -> None:
    """A link that is not the incident's own page falls back to the id's incident part."""
    body = atom([entry("u1", "UPDATE: X", "2022-03-31T16:00:00Z", "y", link=PAGE + "-other")])
    (event,) = events(body)
    assert event.incident == "tag:status.cloud.google.com,2022:feed:B1hD4KAtcxiyAWkcANfV"


def test_detected_from_the_entry_ids() -> None:
    """The `tag:...:feed:<incident>.<update>` ids with `/incidents/` links identify the format."""
    assert parse_feed(FEED).provider == "gcp"


@pytest.mark.parametrize("name", real_names("gcp-"))
def test_real_feed_events_match_the_golden_file(name: str) -> None:
    """The events of each real Google Cloud feed are the reviewed ones in tests/golden/."""
    assert_golden(name)


def test_entries_of_two_incidents_interleaved_group_by_incident() -> None:
    """A feed lists updates of several incidents newest first; each incident is new, then update."""
    other = "https://status.cloud.google.com/incidents/Zz9OtherIncident0000"
    second = entry(
        "v1", "UPDATE: us-east1: Disks slow", "2022-03-31T17:00:00+00:00", "Slow.", link=other
    )
    second["id"] = "tag:status.cloud.google.com,2022:feed:Zz9OtherIncident0000.v1"
    body = atom(
        [
            entry("u2", "RESOLVED: Global: Metrics missing", "2022-04-01T20:13:25+00:00", "Fixed."),
            second,
            entry("u1", "UPDATE: Global: Metrics missing", "2022-03-31T16:00:00+00:00", "Looking."),
        ]
    )
    found = events(body)
    assert [(e.incident, e.status, e.change) for e in found] == [
        (PAGE, "update", "new"),
        (other, "update", "new"),
        (PAGE, "resolved", "update"),
    ]
    assert found[1].title == "us-east1: Disks slow"
