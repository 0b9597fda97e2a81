"""The output event (schema `statusstream/1`): one JSON object per line, keys in SPEC order."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from typing import Any

from statusstream.statuses import ALL_STATUSES

SCHEMA_ID = "statusstream/1"


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    source: str
    feed: str
    provider: str
    incident: str | None
    title: str
    link: str | None
    kind: str | None
    change: str
    status: str | None
    message: str
    components: tuple[str, ...]
    time: str
    published: str | None
    observed: str

    def to_json(self) -> str:
        # Not `astuple`: it deep-copies every field, and cost more than the encoding.
        record: dict[str, object] = {name: getattr(self, name) for name in _FIELD_NAMES}
        record["components"] = list(self.components)
        return _encode(record)

    def to_text(self) -> str:
        """One readable line for a terminal: time, source, status, title, components."""
        when = self.time.replace("T", " ").removesuffix("Z").removesuffix(":00") + "Z"
        status = self.status or self.change.replace("_", " ")
        components = f" [{', '.join(self.components)}]" if self.components else ""
        return f"{when}  {self.source}  {status.upper()}  {self.title}{components}"


def health_event(
    source: str, feed: str, provider: str | None, change: str, reason: str, now: str
) -> Event:
    """A `--health` line: `feed_failing` or `feed_recovered`, `reason` as its title; the
    provider named in the feed's definition, else `unknown`."""
    identity = f"{feed}\x1f{change}\x1f{now}"
    return Event(
        id=hashlib.sha256(identity.encode()).hexdigest()[:24],
        source=source,
        feed=feed,
        provider=provider or "unknown",
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


_FIELD_NAMES = tuple(field.name for field in fields(Event))
# One encoder for all events: `json.dumps` with options builds a new one on every call.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

_RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one output line."""
    string = {"type": "string"}
    nullable = {"type": ["string", "null"]}
    time = {"type": "string", "pattern": _RFC3339}
    properties: dict[str, Any] = {
        "id": {**string, "description": "stable event id, the same for the same update"},
        "source": {**string, "description": "the feed's name"},
        "feed": {**string, "description": "the feed URL as defined"},
        "provider": {**string, "description": "the format recognised, or generic"},
        "incident": {**nullable, "description": "the incident's stable id"},
        "title": {**string, "description": "incident title"},
        "link": {**nullable, "description": "incident page"},
        "kind": {"enum": ["incident", "maintenance", None]},
        "change": {"enum": ["new", "update", "feed_failing", "feed_recovered"]},
        "status": {
            **nullable,
            "description": "normalised, lower case; these, or a feed's own label as written",
            "examples": list(ALL_STATUSES),
        },
        "message": {**string, "description": "the update's text, plain"},
        "components": {"type": "array", "items": string, "description": "affected components"},
        "time": {**time, "description": "time of this update, RFC 3339 UTC"},
        "published": {
            "type": ["string", "null"],
            "pattern": _RFC3339,
            "description": "time the incident was first published",
        },
        "observed": {**time, "description": "time statusstream saw the update"},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "statusstream event",
        "type": "object",
        "properties": properties,
        "required": list(_FIELD_NAMES),
        "additionalProperties": False,
    }
