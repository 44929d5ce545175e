"""The materialize flavor: events in, lists stored, exactly once.

Configured by rules that map an event type to a list change, it runs these steps on a batch:
1. validate the events of the rules' types against their models and map them to changes placed
   in time (a schema violation or a timestamp out of range is a fault);
2. read the state of every title, user list and change id the batch names (consistent reads);
3. plan each title: fold its changes in order (coalescing), recognizing ids already decided,
   superseding what a newer change already decided and rejecting what can never apply;
4. archive the changes to be applied, in one round trip, before anything changes, and take out
   of the archive any change a plan no longer applies (a retry may decide differently);
5. commit the writes, each with the outcomes it decides; a title refused because another batch
   moved it on is read and planned again, so no update is lost and none is applied twice.
A cause that may pass (throttling, the archive down) fails the title's first record, and the
batch response retries from the earliest such record.
"""

import base64
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from shared.events.codec import dumps
from shared.events.validation import InvalidEvent, parse_event
from shared.lists.archive import ArchivedRecord, ArchiveKey, ArchiveUnavailable, ChangeArchive
from shared.lists.changes import Change, Delete
from shared.lists.coalesce import Outcome, TitlePlan, TitleState, plan_title
from shared.lists.dedup import HOUR_MS, DedupSettings
from shared.lists.store import ListStore, StoreUnavailable
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
    clock: Callable[[], int] = field(default=lambda: int(time.time() * 1000), compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


def materialize(rules: Sequence[MaterializeRule], options: MaterializeOptions) -> Step:
    by_type = {rule.event_type: rule for rule in rules}

    def step(units: Sequence[UnitOfWork]) -> list[UnitOfWork]:
        mapped = list(units)
        changes: dict[int, Change] = {}
        now = options.clock()
        for index, unit in enumerate(units):
            change_or_fault = to_change(unit, by_type, now, options.dedup)
            if isinstance(change_or_fault, str):
                mapped[index] = unit._replace(fault=change_or_fault, outcome="rejected")
            elif change_or_fault is not None:
                changes[index] = change_or_fault
        return store(mapped, changes, options)

    return step


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
    arrival = arrival_ms(unit, now)
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
    return replace(
        change, timestamp=min(change.timestamp, arrival), shard=unit.shard or "", sequence=sequence
    )


def arrival_ms(unit: UnitOfWork, now: int) -> int:
    arrival = unit.record.get("kinesis", {}).get("approximateArrivalTimestamp")
    try:
        return round(float(arrival) * 1000) if arrival is not None else now
    except (TypeError, ValueError, OverflowError):
        return now


def store(
    units: list[UnitOfWork], changes: Mapping[int, Change], options: MaterializeOptions
) -> list[UnitOfWork]:
    by_title: dict[str, list[int]] = {}
    for index, change in changes.items():
        by_title.setdefault(change.title, []).append(index)
    if not by_title:
        return units
    outcomes: dict[int, Outcome] = {}
    failures: dict[str, str] = {}
    refused: dict[int, str] = {}
    titles = list(by_title)
    for attempt in range(options.max_attempts):
        now = options.clock()
        try:
            states = options.store.load(_wanted(changes, by_title, titles))
            plans = {title: _plan(states[title], changes, by_title[title], now) for title in titles}
            _archive(units, changes, by_title, plans, now, options.archive)
        except (StoreUnavailable, ArchiveUnavailable) as error:
            failures.update(dict.fromkeys(titles, str(error)))
            break
        for title, plan in plans.items():
            outcomes.update(zip(by_title[title], plan.outcomes, strict=True))
        expires_at = (now + options.dedup.window_hours * HOUR_MS) // 1000
        result = options.store.commit({title: plans[title].writes for title in titles}, expires_at)
        failures.update({title: str(error) for title, error in result.failed.items()})
        for title, reason in result.refused.items():
            unstored = _unstored(changes, by_title[title], plans[title], result.committed.get(title, 0))
            refused.update(dict.fromkeys(unstored, reason))
            options.archive.forget([_key(changes[index]) for index in unstored])
        titles = sorted(result.stale, key=lambda title: by_title[title][0])
        if not titles:
            break
        options.sleep(random.uniform(0, 0.05 * 2**attempt))
    else:
        failures.update(dict.fromkeys(titles, "the title kept being changed by other writers"))
    settled = _settle(units, by_title, outcomes, failures)
    for index, reason in refused.items():
        settled[index] = settled[index]._replace(fault=reason, outcome="rejected")
    return settled


def _unstored(
    changes: Mapping[int, Change], indices: Sequence[int], plan: TitlePlan, stored: int
) -> list[int]:
    """The changes decided in the writes of `plan` after the first `stored` ones."""
    unstored = {ref for write in plan.writes[stored:] for ref in write.decided}
    return [index for index in indices if (changes[index].user, changes[index].event_id) in unstored]


def _key(change: Change) -> ArchiveKey:
    return (change.title, change.user, change.event_id)


def _wanted(
    changes: Mapping[int, Change], by_title: Mapping[str, list[int]], titles: Sequence[str]
) -> dict[str, dict[str, set[str]]]:
    wanted: dict[str, dict[str, set[str]]] = {}
    for title in titles:
        users = wanted.setdefault(title, {})
        for index in by_title[title]:
            users.setdefault(changes[index].user, set()).add(changes[index].event_id)
    return wanted


def _plan(state: TitleState, changes: Mapping[int, Change], indices: Sequence[int], now: int) -> TitlePlan:
    return plan_title(state, [changes[index] for index in indices], now)


def _archive(
    units: Sequence[UnitOfWork],
    changes: Mapping[int, Change],
    by_title: Mapping[str, list[int]],
    plans: Mapping[str, TitlePlan],
    now: int,
    archive: ChangeArchive,
) -> None:
    """Archives what the plans apply, and takes out whatever they do not: a change an earlier
    invocation archived ahead of a commit that failed may be superseded or rejected now, and the
    archive holds exactly the applied changes."""
    rows: list[ArchivedRecord] = []
    not_applied: list[ArchiveKey] = []
    for title, plan in plans.items():
        for index, outcome in zip(by_title[title], plan.outcomes, strict=True):
            change = changes[index]
            if outcome.status == "applied":
                rows.append(archived_record(units[index], change, outcome, now))
            elif outcome.status != "duplicate" or (outcome.first and outcome.first.status != "applied"):
                not_applied.append(_key(change))
    archive.record(rows)
    if not_applied:
        archive.forget(not_applied)


def archived_record(unit: UnitOfWork, change: Change, outcome: Outcome, now: int) -> ArchivedRecord:
    assert unit.event is not None
    record = unit.record.get("kinesis", {})
    return ArchivedRecord(
        id=change.event_id,
        title=change.title,
        user_name=change.user,
        event_type=str(unit.event_type),
        list_type=None if isinstance(change, Delete) else change.type,
        entries=None if isinstance(change, Delete) else dumps(change.entries),
        timestamp=change.timestamp,
        version=outcome.version,
        position=outcome.position,
        shard_id=unit.shard,
        sequence_number=unit.sequence_number,
        partition_key=record.get("partitionKey"),
        document=base64.b64decode(record["data"]).decode() if "data" in record else dumps(unit.event),
        archived_at=now,
    )


def _settle(
    units: list[UnitOfWork],
    by_title: Mapping[str, list[int]],
    outcomes: Mapping[int, Outcome],
    failures: Mapping[str, str],
) -> list[UnitOfWork]:
    settled = list(units)
    for title, indices in by_title.items():
        if title in failures:
            # The title's first record fails, so the mapping retries from there; records of it
            # that were stored meanwhile come again and are recognized by their ids.
            settled[indices[0]] = units[indices[0]]._replace(failed=failures[title])
            continue
        for index in indices:
            outcome = outcomes[index]
            settled[index] = units[index]._replace(outcome=outcome.status)
            # A rejection is final: a redelivered rejected record is set aside again, for the
            # same reason (its fault event has the same id, so subscribers see it once).
            first_rejected = outcome.first is not None and outcome.first.status == "rejected"
            if outcome.status == "rejected" or first_rejected:
                settled[index] = settled[index]._replace(fault=outcome.reason)
    return settled
