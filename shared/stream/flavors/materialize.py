"""The materialize flavor: events in, lists stored, exactly once.

Configured by rules that map an event type to a list change, it validates the events of the
rules' types against their models and maps them to changes placed in time (a schema violation or
a timestamp out of range is a fault), then hands the batch's changes to the domain service that
applies them (shared.lists.apply: plan, archive ahead, commit, retry on stale versions) and
settles each unit with what became of its change. A cause that may pass (throttling, the archive
down) fails the title's first record, and the batch response retries from the earliest such
record.
"""

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.clock import now_ms
from shared.events.codec import dumps, dumps_entries
from shared.events.validation import InvalidEvent, parse_event
from shared.lists.apply import Applied, ApplyOptions, Received, apply_changes
from shared.lists.archive import ChangeArchive
from shared.lists.changes import Change, Delete, at_position
from shared.lists.dedup import HOUR_MS, DedupSettings
from shared.lists.store import ListStore
from shared.stream.pipeline import Step, pending
from shared.stream.unit_of_work import UnitOfWork

MAX_FUTURE_MS = 5 * 60 * 1000
"""How far after its arrival a change's timestamp may be (clock skew); further is a fault."""


@dataclass(frozen=True)
class MaterializeRule:
    id: str
    event_type: str
    to_change: Callable[[Any], Change]
    """From the validated event (the model of its type) to the change it asks for."""


@dataclass(frozen=True)
class MaterializeOptions:
    store: ListStore
    archive: ChangeArchive
    dedup: DedupSettings = field(default_factory=DedupSettings)
    max_attempts: int = 6
    """Plans of one title refused before its records are failed and retried by the mapping."""
    clock: Callable[[], int] = field(default=now_ms, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


def materialize(rules: Sequence[MaterializeRule], options: MaterializeOptions) -> Step:
    by_type = {rule.event_type: rule for rule in rules}

    def step(units: Sequence[UnitOfWork]) -> list[UnitOfWork]:
        mapped = list(units)
        received: list[Received] = []
        indices: list[int] = []  # of the unit each change came in
        now = options.clock()
        for index, unit in enumerate(units):
            change_or_fault = to_change(unit, by_type, now, options.dedup)
            if isinstance(change_or_fault, str):
                mapped[index] = unit._replace(fault=change_or_fault, outcome="rejected")
            elif change_or_fault is not None:
                received.append(received_change(unit, change_or_fault))
                indices.append(index)
        if not received:
            return mapped
        applied = apply_changes(received, options.store, options.archive, apply_options(options))
        return _settle(mapped, indices, received, applied)

    return step


def apply_options(options: MaterializeOptions) -> ApplyOptions:
    return ApplyOptions(
        window_hours=options.dedup.window_hours,
        max_attempts=options.max_attempts,
        clock=options.clock,
        sleep=options.sleep,
    )


def to_change(
    unit: UnitOfWork, rules: Mapping[str, MaterializeRule], now: int, dedup: DedupSettings
) -> Change | str | None:
    """The change a unit asks for, placed in time; the fault if it can never apply; None if no
    rule owns it."""
    rule = rules.get(unit.event_type or "")
    if rule is None or not pending(unit):
        return None
    try:
        event = parse_event(unit.event)
    except InvalidEvent as error:
        return f"schema violation: {error}"
    try:
        change = rule.to_change(event)
    except (ValueError, TypeError, KeyError) as error:
        return f"cannot map the event to a change: {error}"
    return placed(change, unit, now, dedup)


def placed(change: Change, unit: UnitOfWork, now: int, dedup: DedupSettings) -> Change | str:
    """The change at its effective time (its timestamp capped at its arrival) and position in
    the stream, or the fault when its timestamp is out of range."""
    arrival = unit.arrival_ms if unit.arrival_ms is not None else now
    if change.timestamp > arrival + MAX_FUTURE_MS:
        return (
            f"timestamp {change.timestamp} is more than {MAX_FUTURE_MS // 60_000} minutes after the "
            f"record's arrival ({arrival})"
        )
    if change.timestamp < arrival - dedup.retention_hours * HOUR_MS:
        return (
            f"timestamp {change.timestamp} is more than the stream's retention "
            f"({dedup.retention_hours} hours) before the record's arrival ({arrival})"
        )
    sequence = int(unit.sequence_number) if unit.sequence_number.isdigit() else 0
    return at_position(change, min(change.timestamp, arrival), unit.shard or "", sequence)


def received_change(unit: UnitOfWork, change: Change) -> Received:
    """The change with what the archive keeps of the record it came in."""
    assert unit.event is not None
    return Received(
        change=change,
        event_type=str(unit.event_type),
        entries=None if isinstance(change, Delete) else dumps_entries(change.entries),
        shard_id=unit.shard,
        sequence_number=unit.sequence_number,
        partition_key=unit.partition_key,
        document=unit.data if unit.data is not None else dumps(unit.event),
    )


def _settle(
    units: list[UnitOfWork], indices: Sequence[int], received: Sequence[Received], applied: Applied
) -> list[UnitOfWork]:
    settled = list(units)
    failing: set[str] = set()
    for position, each in enumerate(received):
        index, title = indices[position], each.change.title
        if title in applied.failed:
            # The title's first record fails, so the mapping retries from there; records of it
            # that were stored meanwhile come again and are recognized by their ids.
            if title not in failing:
                settled[index] = units[index]._replace(failed=applied.failed[title])
                failing.add(title)
            continue
        outcome = applied.outcomes[position]
        settled[index] = units[index]._replace(outcome=outcome.status)
        # A rejection is final: a redelivered rejected record is set aside again, for the same
        # reason (its fault event has the same id, so subscribers see it once).
        first_rejected = outcome.first is not None and outcome.first.status == "rejected"
        if outcome.status == "rejected" or first_rejected:
            settled[index] = settled[index]._replace(fault=outcome.reason)
    for position, reason in applied.refused.items():
        index = indices[position]
        settled[index] = settled[index]._replace(fault=reason, outcome="rejected")
    return settled
