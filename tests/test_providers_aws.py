"""AWS Service Health Dashboard RSS: one item per update, grouped into incidents."""

from __future__ import annotations

import pytest

from statusstream.parsing import parse_feed
from tests.providers_helpers import assert_golden, cdata, events, rss
from tests.real_feeds import real_names

BASE = "http://status.aws.amazon.com/"
CHANNEL = f"<link>{BASE}</link><generator>AWS Service Health Dashboard RSS Generator</generator>"


def item(title: str, pub_date: str, service: str, epoch: int, text: str) -> dict[str, str]:
    return {
        "title": cdata(title),
        "link": BASE,
        "pubDate": pub_date,
        "guid": f"{BASE}#{service}_{epoch}",
        "description": cdata(text),
    }


INCIDENT = [
    item(
        "Service is operating normally: [RESOLVED] Increased API Error Rates",
        "Wed, 20 Apr 2016 10:00:00 PDT",
        "ec2-us-east-1",
        1461171600,
        "Between 9:18 AM and 9:38 AM PDT we saw errors. The service is operating normally.",
    ),
    item(
        "Service disruption: Increased API Error Rates",
        "Wed, 20 Apr 2016 09:50:00 PDT",
        "ec2-us-east-1",
        1461171000,
        "We have identified the cause.",
    ),
    item(
        "Informational message: Increased API Error Rates",
        "Wed, 20 Apr 2016 09:39:00 PDT",
        "ec2-us-east-1",
        1461170340,
        "We are investigating increased API error rates.",
    ),
]


def test_updates_of_one_incident_are_grouped_new_then_update() -> None:
    """Items with one service and title are one incident: `new`, then `update`s, oldest first."""
    found = events(rss(INCIDENT, channel=CHANNEL))
    assert [(e.time, e.status, e.change) for e in found] == [
        ("2016-04-20T16:39:00Z", "update", "new"),
        ("2016-04-20T16:50:00Z", "investigating", "update"),
        ("2016-04-20T17:00:00Z", "resolved", "update"),
    ]
    assert {e.incident for e in found} == {
        f"{BASE}#ec2-us-east-1/increased-api-error-rates/2016-04-20"
    }
    assert {e.title for e in found} == {"Increased API Error Rates"}
    assert {e.components for e in found} == {("ec2-us-east-1",)}
    assert {(e.provider, e.kind, e.published) for e in found} == {
        ("aws", "incident", "2016-04-20T16:39:00Z")
    }


def test_document_order_does_not_matter() -> None:
    """The same items in another order give the same events."""
    forward = events(rss(INCIDENT, channel=CHANNEL))
    backward = events(rss(list(reversed(INCIDENT)), channel=CHANNEL))
    assert [(e.id, e.status, e.change) for e in forward] == [
        (e.id, e.status, e.change) for e in backward
    ]


def test_pst_and_pdt_dates_are_converted() -> None:
    """`PST` is UTC-8 and `PDT` UTC-7."""
    body = rss(
        [
            item(
                "Informational message: A", "Fri, 24 Dec 2021 10:41:17 PST", "s3-us-west-2", 1, "x"
            ),
            item(
                "Informational message: B", "Fri, 23 Aug 2019 04:18:35 PDT", "s3-us-west-2", 2, "y"
            ),
        ],
        channel=CHANNEL,
    )
    assert sorted(e.time for e in events(body)) == ["2019-08-23T11:18:35Z", "2021-12-24T18:41:17Z"]


def test_resolved_markers_in_title_or_text_mean_resolved() -> None:
    """`[RESOLVED]` after an informational prefix, or leading the text, is `resolved`."""
    marked_title = item(
        "Informational message: [RESOLVED] Connectivity",
        "Fri, 24 Dec 2021 10:41:17 PST",
        "internetconnectivity-ap-south-1",
        1640371277,
        "Connectivity from some customer networks was impaired.",
    )
    marked_text = item(
        "Network connectivity",
        "Fri, 15 May 2015 08:36:27 PDT",
        "ec2-ap-northeast-1",
        1431704187,
        "[RESOLVED] Between 4:33 AM and 8:14 AM PDT we saw issues.",
    )
    found = events(rss([marked_title, marked_text], channel=CHANNEL))
    assert [(e.status, e.title) for e in found] == [
        ("resolved", "Network connectivity"),
        ("resolved", "Connectivity"),
    ]
    assert found[0].message == "Between 4:33 AM and 8:14 AM PDT we saw issues."


def test_a_retitled_earlier_update_keeps_a_plain_status() -> None:
    """An old update retitled `operating normally: [RESOLVED]`, its text saying otherwise."""
    title = "Service is operating normally: [RESOLVED] Increased API Error Rates"
    retitled = dict(INCIDENT[2], title=cdata(title))
    found = events(rss([INCIDENT[0], retitled], channel=CHANNEL))
    assert [(e.status, e.change) for e in found] == [("update", "new"), ("resolved", "update")]


def test_bilingual_titles_group_by_their_english_part() -> None:
    """`日本語 | English` titles with `[解決済]` / `[RESOLVED]` markers stay one incident."""
    opened = item(
        "Informational message: APIのエラー率の増加 | API Error Rates",
        "Sun, 04 Jun 2017 22:20:00 PDT",
        "ec2-ap-northeast-1",
        1496640000,
        "調査中 | Investigating.",
    )
    closed = item(
        "Service is operating normally: [解決済] APIのエラー率の増加 | [RESOLVED] API Error Rates",
        "Sun, 04 Jun 2017 22:58:04 PDT",
        "ec2-ap-northeast-1",
        1496642284,
        "解決 | Resolved.",
    )
    found = events(rss([closed, opened], channel=CHANNEL))
    assert [(e.status, e.change) for e in found] == [("update", "new"), ("resolved", "update")]
    assert {e.title for e in found} == {"APIのエラー率の増加 | API Error Rates"}
    assert len({e.incident for e in found}) == 1


def test_one_title_weeks_apart_or_on_two_services_is_two_incidents() -> None:
    """A recurring title starts a new incident after a quiet gap, and services never mix."""
    title = "Informational message: API errors"
    body = rss(
        [
            item(title, "Mon, 01 Jun 2015 10:00:00 PDT", "ec2-us-east-1", 1, "a"),
            item(title, "Mon, 22 Jun 2015 10:00:00 PDT", "ec2-us-east-1", 2, "b"),
            item(title, "Mon, 22 Jun 2015 10:05:00 PDT", "s3-us-east-1", 3, "c"),
        ],
        channel=CHANNEL,
    )
    found = events(body)
    assert [e.change for e in found] == ["new", "new", "new"]
    assert len({e.incident for e in found}) == 3


def test_detected_from_the_guid_without_the_generator() -> None:
    """A `status.aws.amazon.com/#service_epoch` guid is enough to recognise the format."""
    assert parse_feed(rss(INCIDENT)).provider == "aws"


@pytest.mark.parametrize("name", real_names("aws-"))
def test_real_feed_events_match_the_golden_file(name: str) -> None:
    """The events of each real AWS feed are the reviewed ones in tests/golden/."""
    assert_golden(name)
