"""What is new: a feed's updates diffed against its state (SPEC §3 identity)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from statusstream.feedstate import FeedState
from statusstream.model import Update
from statusstream.statevalues import digest
from statusstream.tracker import ROTATION_MIN_INCIDENTS, Plan, Source, key_updates, plan

FEED = "https://status.example.test/history.rss"
SOURCE = Source(name="Example", url=FEED, provider="statuspage")
OBSERVED = datetime(2025, 11, 5, 12, 0, 30, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def update(
    incident: str,
    status: str | None,
    when: str | None,
    message: str = "Text.",
    *,
    title: str = "API errors",
    structured: bool = True,
    kind: str | None = "incident",
) -> Update:
    url = incident if incident.startswith("https://") else f"https://status.example.test/{incident}"
    return Update(
        incident=url if structured else incident,
        title=title,
        link=url,
        kind=kind,
        status=status,
        message=message,
        components=("API",),
        time=at(when) if when else None,
        published=None,
        structured=structured,
    )


def apply(feed: FeedState, result: Plan) -> None:
    """Record what a plan says, as the poller does once its events were written."""
    for incident_key, update_key in result.silent:
        feed.record(incident_key, update_key)
    feed.mark_baselined()
    for pending in result.pending:
        feed.record(pending.incident_key, pending.update_key)
    feed.saw_updates_until(result.newest)


def poll(
    feed: FeedState,
    updates: Sequence[Update],
    *,
    since: datetime | None = None,
    source: Source = SOURCE,
) -> Plan:
    result = plan(feed, updates, source, OBSERVED, since)
    apply(feed, result)
    return result


def baselined(updates: Sequence[Update]) -> FeedState:
    feed = FeedState()
    poll(feed, updates)
    return feed


def summary(result: Plan) -> list[tuple[str | None, str | None, str, str]]:
    return [
        (p.event.incident, p.event.status, p.event.change, p.event.time) for p in result.pending
    ]


INCIDENT_A = [
    update("incidents/a", "investigating", "2025-11-03 14:32", "Looking."),
    update("incidents/a", "identified", "2025-11-03 15:00", "Found it."),
]
INCIDENT_B = [update("incidents/b", "investigating", "2025-11-04 09:00", "Slow.")]


# -- first sight -----------------------------------------------------------------------------


def test_first_sight_is_a_silent_baseline() -> None:
    """Without `since`, the first poll emits nothing and records every update silently."""
    feed = FeedState()
    result = plan(feed, [*INCIDENT_A, *INCIDENT_B], SOURCE, OBSERVED, None)
    assert result.pending == ()
    assert result.baseline == 2
    assert not result.rotated
    assert len(result.silent) == 3
    apply(feed, result)
    assert feed.baselined
    assert plan(feed, [*INCIDENT_A, *INCIDENT_B], SOURCE, OBSERVED, None).pending == ()


def test_first_sight_of_an_empty_feed_is_a_baseline_of_nothing() -> None:
    """An empty feed on first sight: baseline 0, and its first incident later is emitted."""
    feed = FeedState()
    result = poll(feed, [])
    assert result.baseline == 0 and result.pending == ()
    assert summary(poll(feed, INCIDENT_B)) == [
        (INCIDENT_B[0].incident, "investigating", "new", "2025-11-04T09:00:00Z")
    ]


def test_since_all_emits_everything_oldest_first() -> None:
    """`since` far in the past: every update is emitted, oldest first, first of each `new`."""
    feed = FeedState()
    result = poll(feed, [*INCIDENT_B, *INCIDENT_A], since=datetime.min.replace(tzinfo=UTC))
    assert result.baseline is None
    assert result.silent == ()
    a, b = INCIDENT_A[0].incident, INCIDENT_B[0].incident
    assert summary(result) == [
        (a, "investigating", "new", "2025-11-03T14:32:00Z"),
        (a, "identified", "update", "2025-11-03T15:00:00Z"),
        (b, "investigating", "new", "2025-11-04T09:00:00Z"),
    ]


def test_since_cutoff_splits_an_incident() -> None:
    """Updates before `since` are recorded silently; the first after it is an `update`."""
    feed = FeedState()
    result = poll(feed, [*INCIDENT_A, *INCIDENT_B], since=at("2025-11-03 14:45"))
    a, b = INCIDENT_A[0].incident, INCIDENT_B[0].incident
    assert summary(result) == [
        (a, "identified", "update", "2025-11-03T15:00:00Z"),
        (b, "investigating", "new", "2025-11-04T09:00:00Z"),
    ]
    assert len(result.silent) == 1
    assert plan(feed, [*INCIDENT_A, *INCIDENT_B], SOURCE, OBSERVED, None).pending == ()


def test_since_includes_an_update_exactly_at_the_cutoff() -> None:
    """An update stamped exactly at `since` is emitted."""
    result = poll(FeedState(), INCIDENT_A, since=at("2025-11-03 15:00"))
    assert [p.event.status for p in result.pending] == ["identified"]


def test_since_applies_only_on_first_sight() -> None:
    """Once a feed is known, `since` changes nothing: only unseen updates are emitted."""
    feed = baselined(INCIDENT_A)
    result = poll(feed, [*INCIDENT_A, *INCIDENT_B], since=datetime.min.replace(tzinfo=UTC))
    assert [p.event.incident for p in result.pending] == [INCIDENT_B[0].incident]


def test_undated_update_counts_as_observed_for_since() -> None:
    """An update without a time is stamped with the observation time, which `since` admits."""
    undated = update("incidents/c", None, None, structured=False)
    result = poll(FeedState(), [undated], since=OBSERVED - timedelta(minutes=1))
    assert [p.event.time for p in result.pending] == ["2025-11-05T12:00:30Z"]


# -- later polls -----------------------------------------------------------------------------


def test_new_updates_are_emitted_once_oldest_first() -> None:
    """New updates are emitted oldest first whatever the feed order, and never again."""
    feed = baselined(INCIDENT_A[:1])
    later = [
        update("incidents/a", "resolved", "2025-11-03 16:00", "Fixed."),
        *INCIDENT_A,
        update("incidents/a", "monitoring", "2025-11-03 15:30", "Watching."),
    ]
    first = poll(feed, later)
    assert [(p.event.status, p.event.change) for p in first.pending] == [
        ("identified", "update"),
        ("monitoring", "update"),
        ("resolved", "update"),
    ]
    assert poll(feed, later).pending == ()


def test_a_new_incident_is_new_then_update() -> None:
    """A new incident's first update is `new`, later ones `update`, within one poll."""
    feed = baselined(INCIDENT_B)
    result = poll(feed, [*INCIDENT_B, *INCIDENT_A])
    assert [p.event.change for p in result.pending] == ["new", "update"]


def test_an_update_to_a_known_incident_is_an_update() -> None:
    """A new update of an incident seen before has change `update`."""
    feed = baselined(INCIDENT_A[:1])
    assert [p.event.change for p in poll(feed, INCIDENT_A).pending] == ["update"]


def test_event_fields_come_from_update_and_source() -> None:
    """The event carries the source's name, URL and provider and the update's values."""
    feed = baselined([])
    event = poll(feed, INCIDENT_A[:1]).pending[0].event
    assert (event.source, event.feed, event.provider) == ("Example", FEED, "statuspage")
    assert event.title == "API errors" and event.message == "Looking."
    assert event.link == INCIDENT_A[0].link and event.kind == "incident"
    assert event.components == ("API",)
    assert event.observed == "2025-11-05T12:00:30Z"
    assert event.published is None


def test_same_status_same_minute_are_two_events() -> None:
    """Two updates of one status stamped to the same minute are both emitted (their rank)."""
    feed = baselined([])
    twins = [
        update("incidents/a", "update", "2025-11-03 15:00", "First note."),
        update("incidents/a", "update", "2025-11-03 15:00", "Second note."),
    ]
    result = poll(feed, twins)
    assert [p.event.message for p in result.pending] == ["First note.", "Second note."]
    assert len({p.event.id for p in result.pending}) == 2
    assert len({p.update_key for p in result.pending}) == 2


def test_a_third_update_in_the_same_minute_emits_only_itself() -> None:
    """After two same-minute updates, a third one of that minute is the only new event."""
    twins = [
        update("incidents/a", "update", "2025-11-03 15:00", "First."),
        update("incidents/a", "update", "2025-11-03 15:00", "Second."),
    ]
    feed = baselined(twins)
    third = update("incidents/a", "update", "2025-11-03 15:00", "Third.")
    assert [p.event.message for p in poll(feed, [*twins, third]).pending] == ["Third."]


def test_rewritten_text_of_an_old_update_emits_nothing() -> None:
    """A provider rewriting an old structured update's text or title is not a new event."""
    feed = baselined(INCIDENT_A)
    rewritten = [
        dataclasses.replace(INCIDENT_A[0], message="Looking (edited)."),
        dataclasses.replace(INCIDENT_A[1], title="API errors in EU", components=("API", "EU")),
    ]
    assert poll(feed, rewritten).pending == ()


def test_reordered_feed_emits_nothing() -> None:
    """The same updates in another order (items or updates) emit nothing."""
    feed = baselined([*INCIDENT_A, *INCIDENT_B])
    assert poll(feed, [*INCIDENT_B, *reversed(INCIDENT_A)]).pending == ()


def test_an_incident_that_left_the_feed_emits_nothing() -> None:
    """Items that drop out of the feed emit nothing; the feed's present set shrinks."""
    feed = baselined([*INCIDENT_A, *INCIDENT_B])
    result = poll(feed, INCIDENT_B)
    assert result.pending == ()
    assert result.present == frozenset({digest(INCIDENT_B[0].incident)})


def test_status_change_at_same_time_is_a_new_event() -> None:
    """A second update at the same time but another status is a new event."""
    feed = baselined(INCIDENT_A)
    resolved = update("incidents/a", "resolved", "2025-11-03 15:00", "Done.")
    assert [p.event.status for p in poll(feed, [*INCIDENT_A, resolved]).pending] == ["resolved"]


# -- unstructured (generic) updates ----------------------------------------------------------


def generic(title: str, message: str, guid: str = "urn:item:1") -> Update:
    return update(guid, None, "2025-11-03 14:32", message, title=title, structured=False)


def test_generic_white_space_changes_emit_nothing() -> None:
    """An unstructured item re-rendered with other white space is the same update."""
    feed = baselined([generic("API  errors", "We are\n looking.")])
    assert poll(feed, [generic("API errors", "  We are   looking. ")]).pending == ()


def test_generic_real_text_change_emits_an_update() -> None:
    """A changed text of an unstructured item is a new event of the same incident."""
    feed = baselined([generic("API errors", "We are looking.")])
    result = poll(feed, [generic("API errors", "We found the cause.")])
    assert [(p.event.change, p.event.message) for p in result.pending] == [
        ("update", "We found the cause.")
    ]


def test_generic_title_change_emits_an_update() -> None:
    """A changed title of an unstructured item is a new event."""
    feed = baselined([generic("API errors", "Text.")])
    assert len(poll(feed, [generic("API errors resolved", "Text.")]).pending) == 1


def test_generic_time_change_alone_emits_nothing() -> None:
    """An unstructured item whose date moved but whose text did not is not new."""
    feed = baselined([generic("API errors", "Text.")])
    moved = dataclasses.replace(generic("API errors", "Text."), time=at("2025-11-04 10:00"))
    assert poll(feed, [moved]).pending == ()


# -- rotation --------------------------------------------------------------------------------


def incidents(prefix: str, count: int) -> list[Update]:
    return [
        update(f"{prefix}/{number}", "investigating", f"2025-11-0{number % 5 + 1} 10:00")
        for number in range(count)
    ]


def test_rotated_ids_emit_nothing_and_rebaseline() -> None:
    """When most of a known feed looks new (guids rotated), nothing is emitted."""
    old = incidents("old", 5)
    feed = baselined(old)
    rotated = incidents("new", 5)
    result = poll(feed, rotated)
    assert result.rotated
    assert result.pending == ()
    assert len(result.silent) == 5
    assert poll(feed, rotated).pending == ()  # the new ids are the baseline now


def test_a_few_new_incidents_are_not_a_rotation() -> None:
    """New incidents next to the old ones are emitted normally."""
    old = incidents("old", 5)
    feed = baselined(old)
    result = poll(feed, [*old, *incidents("new", ROTATION_MIN_INCIDENTS)])
    assert not result.rotated
    assert len(result.pending) == ROTATION_MIN_INCIDENTS


def test_a_small_feed_is_never_taken_for_rotated() -> None:
    """Below ROTATION_MIN_INCIDENTS incidents, a wholly new feed is emitted, not suppressed."""
    count = ROTATION_MIN_INCIDENTS - 1
    feed = baselined(incidents("old", count))
    result = poll(feed, incidents("new", count))
    assert not result.rotated
    assert len(result.pending) == count


def test_a_feed_that_was_empty_is_not_rotated() -> None:
    """A baselined empty feed that fills up emits its incidents: nothing vanished."""
    feed = baselined([])
    result = poll(feed, incidents("new", 5))
    assert not result.rotated
    assert len(result.pending) == 5


# -- identity --------------------------------------------------------------------------------


def test_event_ids_are_stable_across_calls() -> None:
    """The same updates give the same event ids on every call (and so every run)."""
    first = [k.event_id for k in key_updates([*INCIDENT_A, *INCIDENT_B], FEED)]
    second = [k.event_id for k in key_updates([*INCIDENT_A, *INCIDENT_B], FEED)]
    assert first == second
    assert all(len(event_id) == 24 for event_id in first)


def test_event_ids_differ_across_updates() -> None:
    """Different updates (status, time, rank, incident) have different event ids."""
    updates = [
        *INCIDENT_A,
        *INCIDENT_B,
        update("incidents/a", "investigating", "2025-11-03 14:33"),
        update("incidents/a", "investigating", "2025-11-03 14:32", "Again."),
        update("incidents/c", "investigating", "2025-11-03 14:32"),
    ]
    ids = [k.event_id for k in key_updates(updates, FEED)]
    assert len(set(ids)) == len(ids)


def test_event_id_ignores_text_of_structured_updates() -> None:
    """A structured update's id depends on status, time and rank, not on its text."""
    edited = dataclasses.replace(INCIDENT_A[0], message="Edited.", title="Other")
    [original] = key_updates(INCIDENT_A[:1], FEED)
    [again] = key_updates([edited], FEED)
    assert original.event_id == again.event_id
    assert original.update_key == again.update_key


def test_incident_url_ids_are_shared_across_feeds() -> None:
    """The same incident URL in two feeds (a page's RSS and Atom) gives the same event ids."""
    rss = [k.event_id for k in key_updates(INCIDENT_A, "https://status.example.test/history.rss")]
    atom = [k.event_id for k in key_updates(INCIDENT_A, "https://status.example.test/history.atom")]
    assert rss == atom


def test_non_url_incident_ids_are_scoped_by_feed() -> None:
    """A guid that is not a URL is only unique within its feed: other feeds, other ids."""
    item = generic("API errors", "Text.", guid="tag:example,2025:incident-1")
    [one] = key_updates([item], "https://one.example.test/feed.atom")
    [two] = key_updates([item], "https://two.example.test/feed.atom")
    assert one.event_id != two.event_id
    assert one.incident_key != two.incident_key


def test_state_keys_are_digests() -> None:
    """Incident and update keys are short digests, so the state stays small."""
    for keyed in key_updates([*INCIDENT_A, *INCIDENT_B], FEED):
        assert keyed.incident_key == digest(keyed.update.incident)
        assert len(keyed.update_key) == len(keyed.incident_key) == len(digest(""))


# -- rotation, or a feed last read long ago ----------------------------------------------------


def later_incidents(prefix: str, count: int, day: int = 20) -> list[Update]:
    """`count` incidents opened on another day of November 2025 than `incidents` uses."""
    return [
        update(
            f"{prefix}/{number}",
            "investigating",
            f"2025-11-{day} {number // 60:02}:{number % 60:02}",
        )
        for number in range(count)
    ]


def test_after_an_outage_a_wholly_new_feed_is_emitted() -> None:
    """Off for weeks, all of a feed is new and newer than what was seen: all of it is emitted."""
    feed = baselined(incidents("old", 5))
    missed = later_incidents("missed", 25)
    result = poll(feed, missed)
    assert result.rotated  # still said, so the poller warns
    assert len(result.pending) == 25
    assert {p.event.change for p in result.pending} == {"new"}
    assert result.silent == ()
    assert poll(feed, missed).pending == ()


def test_rekeyed_incidents_stay_quiet_while_a_new_one_is_emitted() -> None:
    """Same times under new ids are silent; a new incident that came with them is emitted."""
    old = incidents("old", 5)
    feed = baselined(old)
    rekeyed = [dataclasses.replace(u, incident=u.incident.replace("old", "new")) for u in old]
    fresh = later_incidents("fresh", 1)
    result = poll(feed, [*rekeyed, *fresh])
    assert result.rotated
    assert summary(result) == [(fresh[0].incident, "investigating", "new", "2025-11-20T00:00:00Z")]
    assert len(result.silent) == 5
    assert poll(feed, [*rekeyed, *fresh]).pending == ()


def test_a_rekeyed_incident_s_newer_update_is_an_update() -> None:
    """A re-keyed incident's update newer than the mark is emitted, as an `update`."""
    old = incidents("old", 5)
    feed = baselined(old)
    rekeyed = [dataclasses.replace(u, incident=u.incident.replace("old", "new")) for u in old]
    resolved = update("new/0", "resolved", "2025-11-20 10:00", "Fixed.")
    result = poll(feed, [*rekeyed, resolved])
    assert result.rotated
    assert summary(result) == [(resolved.incident, "resolved", "update", "2025-11-20T10:00:00Z")]


def test_a_rotation_without_a_mark_stays_silent() -> None:
    """A state from before the mark was kept: a rotated-looking feed emits nothing, as before."""
    feed = FeedState()
    for keyed in key_updates(incidents("old", 5), FEED):
        feed.record(keyed.incident_key, keyed.update_key)
    feed.mark_baselined()
    assert feed.newest is None
    result = plan(feed, later_incidents("missed", 5), SOURCE, OBSERVED, None)
    assert result.rotated
    assert result.pending == ()
    assert len(result.silent) == 5


def test_the_mark_is_the_newest_update_not_after_it_was_observed() -> None:
    """`newest` is the latest update time in the feed, never later than the observation."""
    result = plan(FeedState(), [*INCIDENT_A, *INCIDENT_B], SOURCE, OBSERVED, None)
    assert result.newest == at("2025-11-04 09:00").timestamp()
    ahead = update("incidents/m", "scheduled", "2026-01-01 00:00", kind="maintenance")
    assert plan(FeedState(), [ahead], SOURCE, OBSERVED, None).newest == OBSERVED.timestamp()
    undated = update("incidents/c", None, None, structured=False)
    assert plan(FeedState(), [undated], SOURCE, OBSERVED, None).newest is None


def test_recorded_updates_raise_the_mark() -> None:
    """Each committed poll raises the feed's mark to its newest update; it never goes down."""
    feed = baselined(INCIDENT_A)
    assert feed.newest == at("2025-11-03 15:00").timestamp()
    poll(feed, INCIDENT_B)
    assert feed.newest == at("2025-11-04 09:00").timestamp()
    poll(feed, INCIDENT_A)
    assert feed.newest == at("2025-11-04 09:00").timestamp()
