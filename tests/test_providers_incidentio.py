"""incident.io status pages: one item per incident, current status and latest message only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from statusstream.feedstate import FeedState
from statusstream.parsing import parse_feed
from statusstream.tracker import Source, plan
from tests.providers_helpers import (
    FEED_URL,
    assert_golden,
    atom,
    cdata,
    events,
    rss,
    without_observed,
)
from tests.real_feeds import real_names

LINK = "https://status.example.test//incidents/01K80CBJD5Z64DF82KGT3K3QE0"


def body_html(status: str, message: str, *components: str) -> str:
    listed = "".join(f"<li>{name}</li>" for name in components)
    block = f"<br/><br/><b>Affected components</b>\n<ul>\n{listed}</ul>" if components else ""
    return f"<b>Status: {status}</b><br/><br/>{message}{block}"


def feed_rss(status: str, message: str, pub_date: str, *components: str) -> bytes:
    markup = cdata(body_html(status, message, *components))
    return rss(
        [
            {
                "title": cdata("Login issues"),
                "link": LINK,
                "guid": LINK,
                "pubDate": pub_date,
                "description": markup,
                "content:encoded": markup,
            }
        ],
        channel="<link>https://status.example.test/</link><generator>incident.io</generator>",
    )


def test_status_message_and_components_come_from_the_item() -> None:
    """`Status: X` is the status; the message is the latest text; component states go."""
    body = feed_rss(
        "Monitoring",
        "We are seeing recovery.",
        "Mon, 20 Oct 2025 09:43:12 GMT",
        "Login (Partial outage)",
        "Login (Partial outage)",
        "Fine-tuning (Degraded performance)",
        "API (EU) (Operational)",
    )
    (event,) = events(body)
    assert event.provider == "incidentio"
    assert (event.status, event.kind, event.change) == ("monitoring", "incident", "new")
    assert event.message == "We are seeing recovery."
    assert event.components == ("Login", "Fine-tuning", "API (EU)")
    assert event.incident == LINK  # the double slash is kept as given
    assert (event.time, event.published) == ("2025-10-20T09:43:12Z", "2025-10-20T09:43:12Z")


def test_an_item_without_components_has_none() -> None:
    """Entries without an `Affected components` block give `[]` and the whole message."""
    (event,) = events(feed_rss("Resolved", "All good again.", "Mon, 20 Oct 2025 10:00:00 GMT"))
    assert (event.components, event.message, event.status) == ((), "All good again.", "resolved")


def test_items_left_open_are_no_components_and_cost_no_rescan() -> None:
    """Thousands of `<li>` never closed (hostile text): none is a component, the closed one
    is; each open item ends at the next `<li>` instead of scanning to the end of the text."""
    listed = "<li>Open" * 20_000 + "<li>API</li>"
    markup = cdata(
        f"<b>Status: Investigating</b><br/><br/>Down.<b>Affected components</b><ul>{listed}</ul>"
    )
    body = feed_rss("Investigating", "Down.", "Mon, 20 Oct 2025 09:43:12 GMT")
    body = body.replace(cdata(body_html("Investigating", "Down.")).encode(), markup.encode())
    (event,) = events(body)
    assert event.components == ("API",)


def test_a_new_update_is_a_changed_status_or_date() -> None:
    """The next poll's changed status and date is one `update` event; a re-render is none."""
    source = Source("OpenAI", FEED_URL, "incidentio")
    state = FeedState()
    first = parse_feed(feed_rss("Investigating", "Looking.", "Mon, 20 Oct 2025 09:00:00 GMT"))
    for keys in plan(state, first.updates, source, datetime(2025, 10, 20, tzinfo=UTC), None).silent:
        state.record(*keys)
    state.mark_baselined()
    same = parse_feed(
        feed_rss("Investigating", "Looking, reworded.", "Mon, 20 Oct 2025 09:00:00 GMT")
    )
    assert plan(state, same.updates, source, datetime(2025, 10, 20, tzinfo=UTC), None).pending == ()
    later = parse_feed(feed_rss("Resolved", "Fixed.", "Mon, 20 Oct 2025 09:50:00 GMT"))
    pending = plan(state, later.updates, source, datetime(2025, 10, 20, tzinfo=UTC), None).pending
    assert [(p.event.status, p.event.change) for p in pending] == [("resolved", "update")]


def test_maintenance_is_told_by_its_status_or_title() -> None:
    """`Status: Scheduled` (or `Maintenance` in the title) makes a maintenance."""
    (event,) = events(feed_rss("Scheduled", "Database upgrade.", "Mon, 20 Oct 2025 09:00:00 GMT"))
    assert (event.status, event.kind) == ("scheduled", "maintenance")


def test_rss_and_atom_forms_agree() -> None:
    """The Atom entry (id = link, `<updated>`) gives the same incident, status and time."""
    text = "All impacted services have now fully recovered."
    markup = body_html("Resolved", text, "Login (Operational)")
    body = atom(
        [
            {
                'title type="html"': cdata("Login issues"),
                "id": LINK,
                f'link href="{LINK}"': "",
                "updated": "2025-10-20T09:43:12.659Z",
                'summary type="html"': cdata(markup),
                'content type="html"': cdata(markup),
            }
        ],
        head="<generator>incident.io</generator>",
    )
    from_atom = events(body)
    from_rss = events(
        feed_rss("Resolved", text, "Mon, 20 Oct 2025 09:43:12 GMT", "Login (Operational)")
    )
    assert from_atom[0].published is None  # Atom gives no <published>
    (atom_fields,) = without_observed(from_atom)
    (rss_fields,) = without_observed(from_rss)
    assert {**atom_fields, "published": None} == {**rss_fields, "published": None}


def test_detected_from_markup_without_the_generator() -> None:
    """A `<b>Status: X</b>` body on an `/incidents/` link is enough to recognise the format."""
    markup = cdata(body_html("Identified", "Found it."))
    body = rss([{"title": "x", "link": LINK, "description": markup}])
    assert parse_feed(body).provider == "incidentio"


@pytest.mark.parametrize("name", real_names("incidentio-"))
def test_real_feed_events_match_the_golden_file(name: str) -> None:
    """The events of each real incident.io feed are the reviewed ones in tests/golden/."""
    assert_golden(name)
