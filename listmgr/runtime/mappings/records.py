"""Stream records as an event source mapping sees them, and in the shape Lambda delivers them.

A `StreamRecord` is one record read from a shard, with what the mapping needs to batch, order,
filter and report it: its sequence number, arrival time, partition key and size in the event.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from listmgr.runtime.config import LOCAL_ACCOUNT
from shared.stream.lambda_records import dynamodb_from_get_records, kinesis_from_get_records

KINESIS = "kinesis"
DYNAMODB = "dynamodb"


@dataclass(frozen=True)
class StreamRecord:
    shard_id: str
    sequence_number: str
    arrival: float
    """ApproximateArrivalTimestamp (Kinesis) or ApproximateCreationDateTime (DynamoDB), epoch seconds."""
    partition_key: str
    """Kinesis: the record's partition key; DynamoDB Streams: the item's key."""
    event_record: dict[str, Any]
    """The record as it appears in the function's event."""
    size: int
    """Bytes the record takes in the event's JSON."""

    @property
    def sequence(self) -> int:
        # Sequence numbers are decimal strings of varying length (short ones on moto): order them as numbers.
        return int(self.sequence_number)


def from_kinesis(record: Mapping[str, Any], shard_id: str, stream_arn: str, region: str) -> StreamRecord:
    role = f"arn:aws:iam::{LOCAL_ACCOUNT}:role/{stream_arn.rsplit('/', 1)[-1]}-local"
    event_record = kinesis_from_get_records(record, shard_id, stream_arn, region, invoke_identity_arn=role)
    kinesis = event_record["kinesis"]
    return _stream_record(
        shard_id,
        kinesis["sequenceNumber"],
        kinesis["approximateArrivalTimestamp"],
        str(record["PartitionKey"]),
        event_record,
    )


def from_dynamodb(record: Mapping[str, Any], shard_id: str, stream_arn: str, region: str) -> StreamRecord:
    event_record = dynamodb_from_get_records(record, stream_arn, region)
    identity = record.get("userIdentity")
    if identity is not None:
        # Who made the change when it was not a client: DynamoDB's Time to Live (listmgr.runtime.expiry).
        event_record["userIdentity"] = {"principalId": identity["PrincipalId"], "type": identity["Type"]}
    change = event_record["dynamodb"]
    # Lambda keeps the changes of one item in order; the item's key is its partition key.
    item_key = json.dumps(change.get("Keys", {}), sort_keys=True)
    return _stream_record(
        shard_id, str(change["SequenceNumber"]), change["ApproximateCreationDateTime"], item_key, event_record
    )


def _stream_record(
    shard_id: str, sequence: str, arrival: float, partition_key: str, event_record: dict[str, Any]
) -> StreamRecord:
    size = len(json.dumps(event_record, separators=(",", ":")))
    return StreamRecord(shard_id, sequence, arrival, partition_key, event_record, size)
