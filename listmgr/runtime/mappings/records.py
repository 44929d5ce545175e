"""Stream records as an event source mapping sees them, and in the shape Lambda delivers them.

A `StreamRecord` is one record read from a shard, with what the mapping needs to batch, order,
filter and report it: its sequence number, arrival time, partition key and size in the event.
"""

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from listmgr.runtime.config import LOCAL_ACCOUNT
from shared.stream.lambda_records import binary_as_base64, epoch

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
    sequence = str(record["SequenceNumber"])
    arrival = epoch(record["ApproximateArrivalTimestamp"])
    event_record = {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record["PartitionKey"],
            "sequenceNumber": sequence,
            "data": base64.b64encode(record["Data"]).decode(),
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{LOCAL_ACCOUNT}:role/{stream_arn.rsplit('/', 1)[-1]}-local",
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }
    return _stream_record(shard_id, sequence, arrival, str(record["PartitionKey"]), event_record)


def from_dynamodb(record: Mapping[str, Any], shard_id: str, stream_arn: str, region: str) -> StreamRecord:
    change = binary_as_base64(record["dynamodb"])
    change["ApproximateCreationDateTime"] = epoch(change["ApproximateCreationDateTime"])
    event_record = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }
    identity = record.get("userIdentity")
    if identity is not None:
        # Who made the change when it was not a client: DynamoDB's Time to Live (listmgr.runtime.expiry).
        event_record["userIdentity"] = {"principalId": identity["PrincipalId"], "type": identity["Type"]}
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
