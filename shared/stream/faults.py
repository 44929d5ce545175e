"""Faults: records that can never be processed, set aside as `fault` events so the shard goes on.

A fault event carries the reason and everything needed to find, fix and resubmit the record: its
id (the event's id when it could be read, else the record's Kinesis eventID), its shard and
sequence number, and its data exactly as Kinesis delivered it. The fault event's own id derives
from the record's position and eventID (`fault_id`), so a record that faults again on a retry
publishes the same event, which subscribers drop as a duplicate, and two records never share one.
"""

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shared.clock import now_ms
from shared.events.codec import dumps
from shared.events.types import FAULT
from shared.stream.pipeline import Step
from shared.stream.publish import MAX_RECORD_BYTES, PublishOptions, Stream, encode, publish
from shared.stream.unit_of_work import UnitOfWork

FAULT_IDS = uuid.UUID("3f0b3c55-1d6a-4c0e-9a51-6f6c2b7a9e10")
"""The UUIDv5 namespace of fault event ids."""
_ENVELOPE_ALLOWANCE = 64 * 1024
MAX_FAULT_REASON_CHARS = 4096
"""A reason quotes what it found wrong, which may be as large as the record (a 1 MiB key is in
the location of its schema violation): cut there, the fault event always fits the envelope
allowance and Kinesis's 1 MiB, where a fault event too large to publish would fail its record on
every retry and block its shard."""
MAX_ID_CHARS = 256


def faulty(map_unit: Callable[[UnitOfWork], UnitOfWork]) -> Callable[[UnitOfWork], UnitOfWork]:
    """`map_unit` with any exception it raises made the unit's fault. For rules' callbacks: they
    are pure functions of the record, so what fails once fails every time, and one item they
    cannot map must not fail the batch, nor hold its shard back retrying."""

    def guarded(unit: UnitOfWork) -> UnitOfWork:
        try:
            return map_unit(unit)
        except Exception as error:
            return unit._replace(fault=f"a rule failed on this record: {type(error).__name__}: {error}")

    return guarded


def fault_event(
    unit: UnitOfWork, tags: Mapping[str, str | int], clock: Callable[[], int] = now_ms
) -> dict[str, Any]:
    """The fault event of `unit`, also when its record is not a Kinesis record at all: then with
    what could be read of it, and the time it was found (`clock`) for want of its arrival."""
    record = unit.record
    kinesis = record.get("kinesis")
    kinesis = kinesis if isinstance(kinesis, Mapping) else {}
    data = kinesis.get("data")
    data = data if isinstance(data, str) else ""
    reason = _publishable(unit.fault or "unknown")
    if len(reason) > MAX_FAULT_REASON_CHARS:
        reason = reason[: MAX_FAULT_REASON_CHARS - 1] + "…"
    if len(data) > MAX_RECORD_BYTES - _ENVELOPE_ALLOWANCE:
        reason += (
            " (data left out: too large to publish again; read it from the stream at this sequence number)"
        )
        data = ""
    return {
        "id": fault_id(unit),
        "type": FAULT,
        "timestamp": unit.arrival_ms if unit.arrival_ms is not None else clock(),
        "partitionKey": _text(unit.partition_key) or "fault",
        "tags": dict(tags),
        "fault": {
            "reason": reason,
            "id": _text(unit.event_id) or _text(record.get("eventID")),
            "shard": unit.shard,
            "sequenceNumber": unit.sequence_number,
            "data": data,
        },
    }


def _text(value: Any, limit: int = MAX_ID_CHARS) -> str | None:
    """`value` if it is a string fit to stand for an id: an event's own id may be the very thing
    wrong with it (1 MiB long, or a lone surrogate that no UTF-8 can carry)."""
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        return None
    return value if _publishable(value) == value else None


def _publishable(text: str) -> str:
    """`text` as UTF-8 can carry it: a lone surrogate (JSON's "\\ud800") as its escape. Encoding
    the fault event must never fail, or the record fails on every retry and blocks its shard."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode()
    return text


def fault_id(unit: UnitOfWork) -> str:
    """UUIDv5 of the compact JSON array [stream ARN, shard, sequence number, eventID]: the
    record's position, which no other record shares and a redelivery keeps. The envelope id
    would not do: two records may carry the same one (a resubmission, another user's list).
    A record without a sequence number (not from a mapping) adds itself, all it has."""
    record = unit.record
    position = [record.get("eventSourceARN"), unit.shard, unit.sequence_number, record.get("eventID")]
    return str(uuid.uuid5(FAULT_IDS, dumps(position if unit.sequence_number else [*position, record])))


def publish_faults(stream: Stream, tags: Mapping[str, str | int], options: PublishOptions) -> Step:
    """Publishes a fault event for every unit carrying a fault; a fault that cannot be published
    fails its unit, so the record is retried rather than lost."""

    def step(units: Sequence[UnitOfWork]) -> list[UnitOfWork]:
        faulted = [
            index for index, unit in enumerate(units) if unit.fault is not None and unit.failed is None
        ]
        outgoing = [encode(fault_event(units[index], tags), index) for index in faulted]
        unpublished = set(publish(stream, outgoing, options))
        return [
            unit._replace(failed="its fault event could not be published") if index in unpublished else unit
            for index, unit in enumerate(units)
        ]

    return step
