"""The crud flavor: table changes out as events.

Configured by rules, one per kind of item, it maps each DynamoDB Streams record to the event a
subscriber needs: `<prefix>-created` when an item becomes live, `-updated` when its entity
changed, `-deleted` when it becomes a tombstone or is removed. Items of no rule's kind (and
tombstones expiring) publish nothing, nor does a write a subscriber could not see.

An event's id derives from the item's key and version (`change_id`), so the same change always
has the same id: delivered twice, read again from the stream, or stored again by a rebuild.
"""

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.events.codec import dumps
from shared.lists.items import is_live, public_image
from shared.stream.faults import faulty
from shared.stream.pipeline import Step, pending
from shared.stream.publish import MAX_RECORD_BYTES, Outgoing, PublishOptions, Stream, encode, publish
from shared.stream.unit_of_work import UnitOfWork

CHANGE_IDS = uuid.UUID("7c1e4d2a-58b9-4f0b-8e7d-2b6a1c9f4e33")
"""The UUIDv5 namespace of the trigger's event ids."""


@dataclass(frozen=True)
class CrudRule:
    id: str
    kind: str
    """The `kind` attribute of the items this rule publishes."""
    event_prefix: str
    to_entity: Callable[[Mapping[str, Any]], dict[str, Any]]
    to_partition_key: Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class CrudOptions:
    stream: Stream
    tags: Mapping[str, str | int]
    publish: PublishOptions = field(default_factory=PublishOptions)
    clock: Callable[[], int] = field(default=lambda: int(time.time() * 1000), compare=False)


def crud(rules: Sequence[CrudRule], options: CrudOptions) -> Step:
    by_kind = {rule.kind: rule for rule in rules}
    map_unit = faulty(lambda unit: to_event(unit, by_kind, options))

    def step(units: Sequence[UnitOfWork]) -> list[UnitOfWork]:
        mapped = [map_unit(unit) for unit in units]
        outgoing = [_record(unit.published, index) for index, unit in enumerate(mapped) if unit.published]
        unpublished = publish(options.stream, outgoing, options.publish)
        if unpublished:
            first = unpublished[0]
            mapped[first] = mapped[first]._replace(failed="its event could not be published")
        return mapped

    return step


def to_event(unit: UnitOfWork, rules: Mapping[str, CrudRule], options: CrudOptions) -> UnitOfWork:
    if not pending(unit) or unit.event is None:
        return unit
    new, old = unit.event.get("new"), unit.event.get("old")
    rule = rules.get(str((new or old or {}).get("kind")))
    if rule is None:
        return unit
    action = _action(old, new, rule)
    if action is None:
        return unit
    current = new if action != "deleted" else old
    assert current is not None
    event = {
        "id": change_id(current["pk"], current["sk"], (new or old or {}).get("version"), action),
        "type": f"{rule.event_prefix}-{action}",
        "timestamp": _timestamp(unit, current, options),
        "partitionKey": rule.to_partition_key(current),
        "tags": {**options.tags, "pipeline": rule.id},
        "list": rule.to_entity(current),
        "raw": {"new": public_image(new), "old": public_image(old)},
    }
    return unit._replace(published=event)


def change_id(pk: str, sk: str, version: Any, action: str) -> str:
    """UUIDv5 of the compact JSON array [pk, sk, version, action]. JSON quotes and escapes each
    part, so no name can shift a boundary: joined with a separator instead, the user lists
    ('x|U#y', 'z') and ('x', 'y|U#z') made one id."""
    return str(uuid.uuid5(CHANGE_IDS, dumps([pk, sk, version, action])))


def _action(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, rule: CrudRule) -> str | None:
    was, now = is_live(old), is_live(new)
    if now and not was:
        return "created"
    if was and not now:
        return "deleted"
    if was and now and rule.to_entity(old) != rule.to_entity(new):  # type: ignore[arg-type]
        return "updated"
    return None


def _timestamp(unit: UnitOfWork, item: Mapping[str, Any], options: CrudOptions) -> int:
    created = unit.record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    if created is not None:
        return round(float(created) * 1000)
    return int(item.get("updatedAt") or options.clock())


def _record(event: Mapping[str, Any], ref: int) -> Outgoing:
    """The event's Kinesis record; without its raw images if they would take it past Kinesis's
    1 MiB a record (the entity is always there)."""
    record = encode(event, ref)
    if len(record.data) + len(record.partition_key.encode()) <= MAX_RECORD_BYTES:
        return record
    slim = {**event, "raw": {"new": None, "old": None}, "tags": {**event["tags"], "rawOmitted": 1}}
    return encode(slim, ref)
