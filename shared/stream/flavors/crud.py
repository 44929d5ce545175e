"""The crud flavor: table changes out as events.

Configured by rules, it maps each DynamoDB Streams record to the event a subscriber needs. A rule
reads a table image into a view (None for an item it does not publish) that says what the item
is, whether it is live and what a subscriber may see of it; the flavor knows nothing else of the
entity. It publishes `<prefix>-created` when an item becomes live, `-updated` when its entity
changed, `-deleted` when it becomes a tombstone or is removed. Items of no rule (and tombstones
expiring) publish nothing, nor does a write a subscriber could not see.

An event's id derives from the item's identity and version, so the same change always has the
same id: delivered twice, read again from the stream, or stored again by a rebuild.
"""

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.clock import now_ms
from shared.stream.faults import faulty
from shared.stream.pipeline import Step, pending
from shared.stream.publish import MAX_RECORD_BYTES, Outgoing, PublishOptions, Stream, encode, publish
from shared.stream.unit_of_work import UnitOfWork

CHANGE_IDS = uuid.UUID("7c1e4d2a-58b9-4f0b-8e7d-2b6a1c9f4e33")
"""The UUIDv5 namespace of the trigger's event ids."""


@dataclass(frozen=True)
class View:
    """What a subscriber may know of one table image."""

    identity: Sequence[str]
    """What names the item, part by part (its id derives from it)."""
    version: int
    entity: Mapping[str, Any] | None
    """The entity events carry; None for a tombstone."""
    raw: Mapping[str, Any]
    """The image as `raw.new` / `raw.old` show it."""
    partition_key: str


@dataclass(frozen=True)
class CrudRule:
    id: str
    event_prefix: str
    view: Callable[[Mapping[str, Any]], View | None]
    """The view of an image, or None for an item this rule does not publish."""


@dataclass(frozen=True)
class CrudOptions:
    stream: Stream
    tags: Mapping[str, str | int]
    publish: PublishOptions = field(default_factory=PublishOptions)
    clock: Callable[[], int] = field(default=now_ms, compare=False)


def crud(rules: Sequence[CrudRule], options: CrudOptions) -> Step:
    map_unit = faulty(lambda unit: to_event(unit, rules, options))

    def step(units: Sequence[UnitOfWork]) -> list[UnitOfWork]:
        mapped = [map_unit(unit) for unit in units]
        outgoing = [_record(unit.published, index) for index, unit in enumerate(mapped) if unit.published]
        unpublished = publish(options.stream, outgoing, options.publish)
        if unpublished:
            first = unpublished[0]
            mapped[first] = mapped[first]._replace(failed="its event could not be published")
        return mapped

    return step


def to_event(unit: UnitOfWork, rules: Sequence[CrudRule], options: CrudOptions) -> UnitOfWork:
    if not pending(unit) or unit.event is None:
        return unit
    new_image, old_image = unit.event.get("new"), unit.event.get("old")
    for rule in rules:
        event = _event(rule, new_image, old_image, unit, options)
        if event is not None:
            return unit._replace(published=event)
    return unit


def _event(
    rule: CrudRule,
    new_image: Mapping[str, Any] | None,
    old_image: Mapping[str, Any] | None,
    unit: UnitOfWork,
    options: CrudOptions,
) -> dict[str, Any] | None:
    new = rule.view(new_image) if new_image is not None else None
    old = rule.view(old_image) if old_image is not None else None
    action = _action(old, new)
    if action is None:
        return None
    current = new if action != "deleted" else old
    assert current is not None and current.entity is not None
    return {
        "id": change_id(current.identity, (new or old or current).version, action),
        "type": f"{rule.event_prefix}-{action}",
        "timestamp": _timestamp(unit, current, options),
        "partitionKey": current.partition_key,
        "tags": {**options.tags, "pipeline": rule.id},
        "list": dict(current.entity),
        "raw": {"new": None if new is None else dict(new.raw), "old": None if old is None else dict(old.raw)},
    }


def change_id(identity: Sequence[str], version: int, action: str) -> str:
    """Deterministic and injective: the parts are written as a JSON array, so no name can make
    two changes share an id, whatever separators it contains."""
    parts = json.dumps([*identity, version, action], ensure_ascii=False, separators=(",", ":"))
    return str(uuid.uuid5(CHANGE_IDS, parts))


def _action(old: View | None, new: View | None) -> str | None:
    was = old is not None and old.entity is not None
    now = new is not None and new.entity is not None
    if now and not was:
        return "created"
    if was and not now:
        return "deleted"
    if was and now and old.entity != new.entity:  # type: ignore[union-attr]
        return "updated"
    return None


def _timestamp(unit: UnitOfWork, current: View, options: CrudOptions) -> int:
    created = unit.record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    if created is not None:
        return round(float(created) * 1000)
    return int((current.entity or {}).get("updatedAt") or options.clock())


def _record(event: Mapping[str, Any], ref: int) -> Outgoing:
    """The event's Kinesis record; without its raw images if they would take it past Kinesis's
    1 MiB a record (the entity is always there)."""
    record = encode(event, ref)
    if len(record.data) + len(record.partition_key.encode()) <= MAX_RECORD_BYTES:
        return record
    slim = {**event, "raw": {"new": None, "old": None}, "tags": {**event["tags"], "rawOmitted": 1}}
    return encode(slim, ref)
