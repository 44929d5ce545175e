"""Builders of Lambda events, for tests and benchmarks: the shapes the event source mappings
deliver (seeds 000, 001, 004), from plain documents."""

import json
from collections.abc import Iterable, Mapping
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from shared.events.codec import dumps
from shared.stream import lambda_records

STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/list-manager-dev-events"
TABLE_STREAM_ARN = (
    "arn:aws:dynamodb:us-east-1:123456789012:table/list-manager-dev-lists/stream/2026-01-01T00:00:00.000"
)
REGION = "us-east-1"
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
    return lambda_records.kinesis_record(
        data=data.encode() if isinstance(data, str) else data,
        partition_key=partition_key,
        sequence_number=str(sequence_number),
        arrival=arrival,
        shard_id=shard,
        stream_arn=STREAM_ARN,
        region=REGION,
        invoke_identity_arn="arn:aws:iam::123456789012:role/list-manager-listener",
    )


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
    return lambda_records.dynamodb_record(
        event_id=f"event-{sequence_number}",
        event_name=event_name,
        change=stream,
        stream_arn=TABLE_STREAM_ARN,
        region=REGION,
    )


def typed(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}
