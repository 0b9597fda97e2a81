"""The output event: its JSON line (schema `statusstream/1`) and the JSON Schema."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from statusstream.events import SCHEMA_ID, Event, json_schema

# SPEC §3, in its order.
SPEC_KEYS = [
    "id", "source", "feed", "provider", "incident", "title", "link", "kind", "change", "status",
    "message", "components", "time", "published", "observed",
]  # fmt: skip


def make_event(**changes: Any) -> Event:
    values: dict[str, Any] = {
        "id": "3f2a9c1b0d4e5f6a7b8c9d0e",
        "source": "GitHub",
        "feed": "https://www.githubstatus.com/history.rss",
        "provider": "statuspage",
        "incident": "https://www.githubstatus.com/incidents/abc123",
        "title": "Degraded performance for Actions",
        "link": "https://www.githubstatus.com/incidents/abc123",
        "kind": "incident",
        "change": "new",
        "status": "investigating",
        "message": "We are investigating reports of degraded performance.",
        "components": ("Actions", "API Requests"),
        "time": "2025-11-03T14:32:00Z",
        "published": "2025-11-03T14:32:00Z",
        "observed": "2025-11-03T14:33:05Z",
    }
    values.update(changes)
    return Event(**values)


def health_event() -> Event:
    return make_event(
        incident=None,
        title="HTTP 503 Service Unavailable",
        link=None,
        kind=None,
        change="feed_failing",
        status=None,
        message="",
        components=(),
        published=None,
    )


def test_keys_are_in_spec_order() -> None:
    """The JSON object has exactly the SPEC §3 keys, in that order."""
    assert list(json.loads(make_event().to_json())) == SPEC_KEYS


def test_event_fields_are_the_spec_keys() -> None:
    """The dataclass fields are the SPEC keys in order, so nothing is added or left out."""
    assert [field.name for field in dataclasses.fields(Event)] == SPEC_KEYS


def test_json_is_compact_and_on_one_line() -> None:
    """No spaces after separators, no newline, even when the text holds line breaks."""
    line = make_event(message="first line\nsecond line\r\nthird").to_json()
    assert "\n" not in line and "\r" not in line
    assert line.startswith('{"id":"3f2a9c1b0d4e5f6a7b8c9d0e","source":"GitHub",')
    assert ", " not in line.replace("first line", "")
    assert json.loads(line)["message"] == "first line\nsecond line\r\nthird"


def test_values_round_trip() -> None:
    """Every value decodes to what the event holds; components become a JSON array."""
    event = make_event()
    record = json.loads(event.to_json())
    assert record == {**dataclasses.asdict(event), "components": ["Actions", "API Requests"]}


def test_nulls_are_json_null() -> None:
    """None fields are written as null, not omitted."""
    record = json.loads(health_event().to_json())
    for key in ("incident", "link", "kind", "status", "published"):
        assert key in record
        assert record[key] is None
    assert record["components"] == []


def test_non_ascii_is_kept_as_it_is() -> None:
    """Non-ASCII text is written as UTF-8 characters, not \\u escapes."""
    title = "Störung in Zürich \u2013 障害"
    line = make_event(title=title, components=("Région", "🔥")).to_json()
    assert title in line
    assert '["Région","🔥"]' in line
    assert "\\u" not in line


def test_control_characters_are_escaped() -> None:
    """C0 controls (ESC, NUL, BEL, tab) are escaped; none is written raw."""
    line = make_event(message="a\x1b[31mb\x00c\x07d\te", title='q"uote\\').to_json()
    assert not any(ord(char) < 0x20 for char in line)
    assert "\\u001b" in line and "\\u0000" in line and "\\u0007" in line and "\\t" in line
    record = json.loads(line)
    assert record["message"] == "a\x1b[31mb\x00c\x07d\te"
    assert record["title"] == 'q"uote\\'


@given(st.text())
def test_any_text_gives_one_valid_line(text: str) -> None:
    """Whatever the text, the line is one line of valid JSON that gives the text back."""
    line = make_event(message=text, title=text, components=(text,)).to_json()
    assert "\n" not in line and "\r" not in line
    record = json.loads(line)
    assert record["message"] == text
    assert record["components"] == [text]


def test_schema_is_valid_draft_2020_12() -> None:
    """`json_schema()` is a valid draft 2020-12 schema with the statusstream/1 id."""
    schema = json_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID == "statusstream/1"


def test_schema_requires_every_key_and_no_other() -> None:
    """Every SPEC key is required, in order, and no other key is allowed."""
    schema = json_schema()
    assert schema["required"] == SPEC_KEYS
    assert list(schema["properties"]) == SPEC_KEYS
    assert schema["additionalProperties"] is False


def test_schema_is_plain_json() -> None:
    """The schema serialises as JSON (what `--schema` prints) and reads back the same."""
    schema = json_schema()
    assert json.loads(json.dumps(schema)) == schema


@pytest.mark.parametrize(
    "event",
    [
        make_event(),
        make_event(change="update", status="resolved", kind="maintenance"),
        make_event(status=None, kind=None, link=None, published=None, components=()),
        health_event(),
        dataclasses.replace(health_event(), change="feed_recovered"),
    ],
)
def test_schema_validates_events(event: Event) -> None:
    """Incident events and --health lines are valid under the schema."""
    Draft202012Validator(json_schema()).validate(json.loads(event.to_json()))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("time", "2025-11-03 14:32:00"),
        ("time", "2025-11-03T14:32:00+00:00"),
        ("time", "2025-11-03T14:32:00.5Z"),
        ("observed", None),
        ("published", "yesterday"),
        ("change", "created"),
        ("kind", "outage"),
        ("components", "API"),
        ("components", [1]),
        ("id", None),
        ("title", None),
    ],
)
def test_schema_rejects_bad_values(key: str, value: object) -> None:
    """Times not in RFC 3339 UTC `Z` form, unknown changes or kinds, wrong types are invalid."""
    record = json.loads(make_event().to_json())
    record[key] = value
    with pytest.raises(jsonschema.ValidationError):
        Draft202012Validator(json_schema()).validate(record)


def test_schema_rejects_missing_and_extra_keys() -> None:
    """A line without a key, or with one more, is invalid."""
    validator = Draft202012Validator(json_schema())
    record = json.loads(make_event().to_json())
    del record["observed"]
    assert not validator.is_valid(record)
    record = {**json.loads(make_event().to_json()), "severity": "major"}
    assert not validator.is_valid(record)


def test_to_text_is_one_readable_line() -> None:
    """The terminal form shows time, source, status, title and components."""
    assert make_event().to_text() == (
        "2025-11-03 14:32Z  GitHub  INVESTIGATING  Degraded performance for Actions"
        " [Actions, API Requests]"
    )


def test_to_text_uses_the_change_without_a_status() -> None:
    """A line without a status (a --health line) shows its change instead."""
    assert "  FEED FAILING  HTTP 503" in health_event().to_text()


def test_to_text_keeps_seconds_when_there_are_some() -> None:
    """A time with seconds is shown with them and a single `Z`."""
    assert make_event(time="2025-11-03T14:32:05Z").to_text().startswith("2025-11-03 14:32:05Z  ")
