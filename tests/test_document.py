"""Feed bytes -> `Document` (and on through the tracker): malformed and hostile documents give
sane events or the project's own errors, and a document read twice emits nothing new.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from statusstream import tracker
from statusstream.document import MAX_ITEMS, parse_document
from statusstream.errors import StatusStreamError
from statusstream.feedstate import FeedState
from statusstream.parsing import parse_feed
from tests.feedgen import generic_item, generic_rss


def test_items_without_ids_or_dates_duplicates_and_future_dates() -> None:
    """No guid/link/date, an invalid date, exact duplicates, a date far ahead: sane events."""
    future = format_datetime(datetime(2031, 1, 2, 3, 4, tzinfo=UTC), usegmt=True)
    body = generic_rss(
        generic_item("Bare", guid=None),
        generic_item("Bad date", guid="b", date="yesterday-ish"),
        generic_item("Twice", guid="t", date=future),
        generic_item("Twice", guid="t", date=future),
        generic_item("Year 9999", guid="y", date="Fri, 31 Dec 9999 23:59:59 +0000"),
        generic_item("Year 1", guid="z", date="Mon, 01 Jan 0001 00:00:00 +0000"),
    ).encode()
    observed = datetime(2026, 1, 1, tzinfo=UTC)
    found = plan_events(body, observed)
    times = {event["title"]: event["time"] for event in found}
    assert times == {
        "Bare": "2026-01-01T00:00:00Z",
        "Bad date": "2026-01-01T00:00:00Z",
        "Twice": "2031-01-02T03:04:00Z",
        "Year 9999": "2026-01-01T00:00:00Z",
        "Year 1": "2026-01-01T00:00:00Z",
    }
    assert len(found) == 5  # the exact duplicate counted once


def test_a_document_keeps_at_most_max_items_the_newest() -> None:
    """A flood of items is cut to the newest MAX_ITEMS, so a feed's state stays bounded."""
    dates = [datetime(2020, 1, 1, tzinfo=UTC).timestamp() + 3600 * n for n in range(MAX_ITEMS * 2)]
    items = [
        generic_item(
            f"n{n}", guid=f"g{n}", date=format_datetime(datetime.fromtimestamp(stamp, UTC))
        )
        for n, stamp in enumerate(dates)
    ]
    document = parse_document(generic_rss(*items).encode())
    assert len(document.items) == MAX_ITEMS
    assert {entry.title for entry in document.items} == {
        f"n{n}" for n in range(MAX_ITEMS, 2 * MAX_ITEMS)
    }


# -- the pipeline under Hypothesis -----------------------------------------------------------


# A Statuspage update stamped in year 1, east of UTC: in UTC it falls before year 1.
YEAR_ONE_IN_JAPAN = (
    b'<rss version="2.0"><channel><item><title>t</title><description>'
    b"&lt;p&gt;&lt;small&gt;Jan 1, 0001 00:30 JST&lt;/small&gt;&lt;br&gt;"
    b"&lt;strong&gt;Resolved&lt;/strong&gt; - x&lt;/p&gt;</description>"
    b"</item></channel></rss>"
)


def plan_events(body: bytes, observed: datetime) -> list[dict[str, object]]:
    """Parse, extract and plan with `--since all`; record what is emitted, as a poll does."""
    parsed = parse_feed(body)
    feed = FeedState()
    source = tracker.Source(
        name=parsed.title or "x", url="https://x.test/f", provider=parsed.provider
    )
    plan = tracker.plan(feed, parsed.updates, source, observed, datetime.min.replace(tzinfo=UTC))
    for keys in plan.silent:
        feed.record(*keys)
    feed.mark_baselined()
    found = []
    for pending in plan.pending:
        found.append(json.loads(pending.event.to_json()))
        feed.record(pending.incident_key, pending.update_key)
    again = tracker.plan(feed, parse_feed(body).updates, source, observed, None)
    assert again.pending == (), "the same document, read again, emitted something"
    return found


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
_ESCAPED = _TEXT.map(lambda text: text.replace("&", "&amp;").replace("<", "&lt;"))
_DATES = st.one_of(
    st.sampled_from(
        [
            "Mon, 03 Nov 2025 14:32:00 +0000",
            "2025-11-03T14:32:00Z",
            "Fri, 31 Dec 9999 23:59:59 +1400",
            "Mon, 01 Jan 0001 00:00:00 -1200",
            "Tue, 31 Feb 2025 25:61:00 GMT",
            "Sun, 01 Jan 2090 00:00:00 GMT",
            "",
            "0",
            "-1",
        ]
    ),
    _TEXT,
)
_WHEN = st.builds(
    lambda month, day, year, clock, zone: f"{month} {day}{year}, {clock} {zone}",
    st.sampled_from(["Jan", "Feb", "Dec", "Xyz", "Sept"]),
    st.integers(0, 40),
    st.sampled_from(["", " 0001", " 9999", " 2025", " 1970"]),
    st.sampled_from(["14:32", "00:00", "23:59", "99:99", "12:30 PM", "7:5"]),
    st.sampled_from(["UTC", "JST", "NZDT", "HST", "PDT", "XYZ", ""]),
)
_UPDATE = st.builds(
    lambda when, label, text: f"<p><small>{when}</small><br><strong>{label}</strong> - {text}</p>",
    _WHEN,
    st.sampled_from(["Investigating", "Resolved", "In progress", "", "<b>"]),
    _TEXT,
)
_DESCRIPTION = st.one_of(
    st.lists(_UPDATE, max_size=4).map("".join),
    _TEXT,
    st.sampled_from(["<p>This incident affected: A, B (C, D).</p>", "<![CDATA[x]]>", "<!--"]),
)


@st.composite
def _items(draw: st.DrawFn) -> str:
    parts = [f"<title>{draw(_ESCAPED)}</title>"]
    description = draw(_DESCRIPTION)
    if draw(st.booleans()):  # escaped, as it should be; else raw markup inside the XML
        description = description.replace("&", "&amp;").replace("<", "&lt;")
    parts.append(f"<description>{description}</description>")
    for tag, values in (
        ("guid", st.sampled_from(["g1", "g2", "https://x.test/incidents/1", ""]) | _ESCAPED),
        ("link", st.sampled_from(["https://x.test/incidents/1", "javascript:x", ""]) | _ESCAPED),
        ("pubDate", _DATES),
    ):
        if draw(st.booleans()):
            parts.append(f"<{tag}>{draw(values)}</{tag}>")
    return "<item>" + "".join(parts) + "</item>"


@st.composite
def _documents(draw: st.DrawFn) -> bytes:
    declared = draw(st.sampled_from(["", "UTF-8", "ISO-8859-1", "windows-1252", "UTF-16", "x-x"]))
    declaration = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    doctype = draw(st.sampled_from(["", '<!DOCTYPE rss [<!ENTITY a "&#x1b;[31m">]>']))
    ttl = draw(st.sampled_from(["", "<ttl>5</ttl>", "<ttl>-3</ttl>", f"<ttl>{'9' * 400}</ttl>"]))
    items = "".join(draw(st.lists(_items(), max_size=5)))
    root = draw(st.sampled_from(["rss", "atom", "html", "none"]))
    if root == "rss":
        title = draw(_ESCAPED)
        text = f'<rss version="2.0"><channel><title>{title}</title>{ttl}{items}</channel></rss>'
    elif root == "atom":
        entries = items.replace("<item>", "<entry>").replace("</item>", "</entry>")
        text = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{entries}</feed>'
    elif root == "html":
        text = f"<html><body>{items}</body></html>"
    else:
        text = items
    text = declaration + doctype + text
    codec = draw(st.sampled_from(["utf-8", "latin-1", "cp1252", "utf-16", "utf-16-le"]))
    data = text.encode(codec, "replace")
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    return data if cut is None else data[:cut]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents() | st.binary(max_size=300))
@example(YEAR_ONE_IN_JAPAN)
def test_any_document_gives_events_or_a_project_error(body: bytes) -> None:
    """parse_feed + tracker on any bytes: events that are valid JSON, or a StatusStreamError."""
    try:
        found = plan_events(body, datetime(2026, 1, 1, tzinfo=UTC))
    except StatusStreamError as exc:
        assert "\n" not in str(exc)
        return
    for event in found:
        assert isinstance(event["id"], str)
        assert str(event["time"]).endswith("Z")
