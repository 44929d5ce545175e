"""The materialize flavor: events in, lists stored, exactly once.

Configured by rules that map an event type to a list change, it runs these steps on a batch:
1. validate the events of the rules' types against their models and map them to changes
   (a schema violation is a fault);
2. read the state of every title and user list the batch names (consistent reads);
3. plan each title: fold its changes in order (coalescing), skipping ids already applied and
   rejecting what can never apply (type conflict, limits);
4. archive the records to be applied, in one round trip, before anything changes;
5. commit the writes; a title refused because another batch moved it on is read and planned
   again, so no update is lost and none is applied twice.
A cause that may pass (throttling, the archive down) fails the title's first record, and the
batch response retries from the earliest such record.
"""

import base64
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.events.codec import dumps
from shared.events.validation import InvalidEvent, parse_event
from shared.lists.changes import Change, Delete
from shared.lists.coalesce import Outcome, TitlePlan, TitleState, plan_title
from shared.lists.dedup import HOUR_MS, DedupSettings
from shared.stream.connectors.archive import Archive, ArchivedRecord, ArchiveUnavailable
from shared.stream.connectors.dynamodb import ListTable, TableUnavailable
from shared.stream.pipeline import Step, pending
from shared.stream.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class MaterializeRule:
    id: str
    event_type: str
    to_change: Callable[[Any], Change]
    """From the validated event (the model of its type) to the change it asks for."""


@dataclass(frozen=True)
class MaterializeOptions:
    table: ListTable
    archive: Archive
    dedup: DedupSettings = field(default_factory=DedupSettings)
    max_attempts: int = 6
    """Plans of one title refused before its records are failed and retried by the mapping."""
    clock: Callable[[], int] = field(default=lambda: int(time.time() * 1000), compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


def materialize(rules: Sequence[MaterializeRule], options: MaterializeOptions) -> Step:
    by_type = {rule.event_type: rule for rule in rules}

    def step(units: Sequence[UnitOfWork]) -> list[UnitOfWork]:
        mapped = [to_change(unit, by_type) for unit in units]
        return store(mapped, options)

    return step


def to_change(unit: UnitOfWork, rules: Mapping[str, MaterializeRule]) -> UnitOfWork:
    rule = rules.get(unit.event_type or "")
    if rule is None or not pending(unit):
        return unit
    try:
        event = parse_event(unit.event)
    except InvalidEvent as error:
        return unit._replace(fault=f"schema violation: {error}")
    return unit._replace(change=rule.to_change(event))


def store(units: list[UnitOfWork], options: MaterializeOptions) -> list[UnitOfWork]:
    by_title: dict[str, list[int]] = {}
    for index, unit in enumerate(units):
        if unit.change is not None and pending(unit):
            by_title.setdefault(unit.change.title, []).append(index)
    if not by_title:
        return units
    outcomes: dict[int, Outcome] = {}
    failures: dict[str, str] = {}
    titles = list(by_title)
    archived: set[int] = set()
    for attempt in range(options.max_attempts):
        now = options.clock()
        try:
            states = options.table.load(_names(units, by_title, titles))
            plans = {title: _plan(states[title], units, by_title[title], now, options) for title in titles}
            archived = _archive(units, by_title, plans, archived, now, options.archive)
        except (TableUnavailable, ArchiveUnavailable) as error:
            failures.update(dict.fromkeys(titles, str(error)))
            break
        for title, plan in plans.items():
            outcomes.update(zip(by_title[title], plan.outcomes, strict=True))
        expires_at = (now + options.dedup.window_hours * HOUR_MS) // 1000
        result = options.table.commit({title: plans[title].writes for title in titles}, expires_at)
        failures.update({title: str(error) for title, error in result.failed.items()})
        titles = sorted(result.stale, key=lambda title: by_title[title][0])
        if not titles:
            break
        options.sleep(random.uniform(0, 0.05 * 2**attempt))
    else:
        failures.update(dict.fromkeys(titles, "the title kept being changed by other writers"))
    return _settle(units, by_title, outcomes, failures)


def _names(
    units: Sequence[UnitOfWork], by_title: Mapping[str, list[int]], titles: Sequence[str]
) -> dict[str, set[str]]:
    return {title: {units[index].change.user for index in by_title[title]} for title in titles}  # type: ignore[union-attr]


def _plan(
    state: TitleState,
    units: Sequence[UnitOfWork],
    indices: Sequence[int],
    now: int,
    options: MaterializeOptions,
) -> TitlePlan:
    changes = [units[index].change for index in indices]
    return plan_title(state, changes, now, options.dedup)  # type: ignore[arg-type]


def _archive(
    units: Sequence[UnitOfWork],
    by_title: Mapping[str, list[int]],
    plans: Mapping[str, TitlePlan],
    archived: set[int],
    now: int,
    archive: Archive,
) -> set[int]:
    """Archives what the plans apply; forgets what an earlier plan archived and the new plan
    rejects. Returns the units whose rows are now in the archive."""
    rows: list[ArchivedRecord] = []
    rejected: list[tuple[str, str, str]] = []
    now_archived = set(archived)
    for title, plan in plans.items():
        for index, outcome in zip(by_title[title], plan.outcomes, strict=True):
            if outcome.status == "applied":
                rows.append(archived_record(units[index], outcome, now))
                now_archived.add(index)
            elif outcome.status == "rejected" and index in archived:
                change = units[index].change
                assert change is not None
                rejected.append((change.title, change.user, change.event_id))
                now_archived.discard(index)
    archive.record(rows)
    archive.forget(rejected)
    return now_archived


def archived_record(unit: UnitOfWork, outcome: Outcome, now: int) -> ArchivedRecord:
    change = unit.change
    assert change is not None and unit.event is not None
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
            # that were stored meanwhile come again and are recognized as applied.
            settled[indices[0]] = units[indices[0]]._replace(failed=failures[title])
            continue
        for index in indices:
            outcome = outcomes[index]
            if outcome.status == "rejected":
                settled[index] = units[index]._replace(fault=outcome.reason)
    return settled
