"""Faults: records that can never be processed, set aside as `fault` events so the shard goes on.

A fault event carries the reason and everything needed to find, fix and resubmit the record: its
id (the event's id when it could be read, else the record's Kinesis eventID), its shard and
sequence number, and its data exactly as Kinesis delivered it. The fault event's own id derives
from the record's position and eventID (`fault_id`), so a record that faults again on a retry
publishes the same event, which subscribers drop as a duplicate, and two records never share one.
"""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from shared.events.codec import dumps
from shared.events.decoders import arrival_ms
from shared.events.envelope import FAULT
from shared.stream.pipeline import Step
from shared.stream.publish import MAX_RECORD_BYTES, PublishOptions, Stream, encode, publish
from shared.stream.unit_of_work import UnitOfWork

FAULT_IDS = uuid.UUID("3f0b3c55-1d6a-4c0e-9a51-6f6c2b7a9e10")
"""The UUIDv5 namespace of fault event ids."""
_ENVELOPE_ALLOWANCE = 64 * 1024


def fault_event(unit: UnitOfWork, tags: Mapping[str, str | int]) -> dict[str, Any]:
    record = unit.record
    kinesis = record["kinesis"]
    data: str = kinesis["data"]
    reason = unit.fault or "unknown"
    if len(data) > MAX_RECORD_BYTES - _ENVELOPE_ALLOWANCE:
        reason += (
            " (data left out: too large to publish again; read it from the stream at this sequence number)"
        )
        data = ""
    return {
        "id": fault_id(unit),
        "type": FAULT,
        "timestamp": arrival_ms(record),
        "partitionKey": kinesis.get("partitionKey") or "fault",
        "tags": dict(tags),
        "fault": {
            "reason": reason,
            "id": unit.event_id or record.get("eventID"),
            "shard": unit.shard,
            "sequenceNumber": unit.sequence_number,
            "data": data,
        },
    }


def fault_id(unit: UnitOfWork) -> str:
    """UUIDv5 of the compact JSON array [stream ARN, shard, sequence number, eventID]: the
    record's position, which no other record shares and a redelivery keeps. The envelope id
    would not do: two records may carry the same one (a resubmission, another user's list)."""
    record = unit.record
    position = [record.get("eventSourceARN"), unit.shard, unit.sequence_number, record.get("eventID")]
    return str(uuid.uuid5(FAULT_IDS, dumps(position)))


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
