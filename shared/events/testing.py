"""Builders of Lambda events, for tests and benchmarks: the shapes the event source mappings
deliver (seeds 000, 001, 004), from plain documents."""

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from shared.events.codec import dumps

STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/list-manager-dev-events"
TABLE_STREAM_ARN = (
    "arn:aws:dynamodb:us-east-1:123456789012:table/list-manager-dev-lists/stream/2026-01-01T00:00:00.000"
)
_serializer = TypeSerializer()


def kinesis_record(
    data: bytes | str | Mapping[str, Any],
    sequence_number: int,
    partition_key: str = "0",
    shard: str = "shardId-000000000000",
    arrival: float = 1_700_000_000.0,
) -> dict[str, Any]:
    if isinstance(data, Mapping):
        data = dumps(data)
    raw = data.encode() if isinstance(data, str) else data
    sequence = str(sequence_number)
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence,
            "data": base64.b64encode(raw).decode(),
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard}:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/list-manager-listener",
        "awsRegion": "us-east-1",
        "eventSourceARN": STREAM_ARN,
    }


def kinesis_event(
    documents: Iterable[bytes | str | Mapping[str, Any]],
    first_sequence: int = 1,
    arrival: float = 1_700_000_000.0,
) -> dict[str, Any]:
    """Records that arrived at `arrival` (epoch seconds): a change's timestamp may not be more
    than 5 minutes after its arrival, nor more than the stream's retention before it."""
    return {
        "Records": [
            kinesis_record(document, first_sequence + offset, arrival=arrival)
            for offset, document in enumerate(documents)
        ]
    }


def dynamodb_record(
    event_name: str,
    keys: Mapping[str, Any],
    new: Mapping[str, Any] | None = None,
    old: Mapping[str, Any] | None = None,
    sequence_number: int = 1,
    created: float = 1_700_000_000.0,
) -> dict[str, Any]:
    stream: dict[str, Any] = {
        "ApproximateCreationDateTime": created,
        "Keys": typed(keys),
        "SequenceNumber": str(sequence_number),
        "SizeBytes": len(json.dumps([new, old], default=str)),
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        stream["NewImage"] = typed(new)
    if old is not None:
        stream["OldImage"] = typed(old)
    return {
        "eventID": f"event-{sequence_number}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": stream,
        "eventSourceARN": TABLE_STREAM_ARN,
    }


def typed(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}
