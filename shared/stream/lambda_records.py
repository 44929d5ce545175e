"""The records of Lambda's stream events, built in one place: the local event source mappings
and the admin function's re-drive build them from what GetRecords returns, the tests and
benchmarks (shared/events/testing.py) from plain values. boto3 reads binary values as bytes and
times as datetimes; a Lambda event carries them in base64 and as epoch seconds."""

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any


def kinesis_record(
    data: bytes,
    partition_key: str,
    sequence_number: str,
    arrival: float,
    shard_id: str,
    stream_arn: str,
    region: str,
    invoke_identity_arn: str | None = None,
) -> dict[str, Any]:
    """A record of a Kinesis event; `arrival` is its ApproximateArrivalTimestamp, epoch seconds.
    Lambda names the function's role in `invokeIdentityArn`; a re-drive has no role to name."""
    record: dict[str, Any] = {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(data).decode(),
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }
    if invoke_identity_arn is not None:
        record["invokeIdentityArn"] = invoke_identity_arn
    return record


def dynamodb_record(
    event_id: str,
    event_name: str,
    change: Mapping[str, Any],
    stream_arn: str,
    region: str,
    event_version: str = "1.1",
) -> dict[str, Any]:
    """A record of a DynamoDB Streams event; `change` is its `dynamodb` part as Lambda delivers
    it (AttributeValue images, binary values in base64, ApproximateCreationDateTime in epoch
    seconds)."""
    return {
        "eventID": event_id,
        "eventName": event_name,
        "eventVersion": event_version,
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dict(change),
        "eventSourceARN": stream_arn,
    }


def kinesis_from_get_records(
    record: Mapping[str, Any],
    shard_id: str,
    stream_arn: str,
    region: str,
    invoke_identity_arn: str | None = None,
) -> dict[str, Any]:
    """A record of Kinesis GetRecords as Lambda puts it in a Kinesis event."""
    return kinesis_record(
        data=record["Data"],
        partition_key=record["PartitionKey"],
        sequence_number=str(record["SequenceNumber"]),
        arrival=epoch(record["ApproximateArrivalTimestamp"]),
        shard_id=shard_id,
        stream_arn=stream_arn,
        region=region,
        invoke_identity_arn=invoke_identity_arn,
    )


def dynamodb_from_get_records(record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A record of DynamoDB Streams GetRecords as Lambda puts it in an event."""
    change = binary_as_base64(record["dynamodb"])
    change["ApproximateCreationDateTime"] = epoch(change["ApproximateCreationDateTime"])
    return dynamodb_record(
        event_id=record["eventID"],
        event_name=record["eventName"],
        change=change,
        stream_arn=stream_arn,
        region=region,
        event_version=record.get("eventVersion", "1.1"),
    )


def binary_as_base64(value: Any) -> Any:
    """boto3 decodes B and BS attribute values to bytes; Lambda's event carries them in base64."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Mapping):
        return {key: binary_as_base64(item) for key, item in value.items()}
    if isinstance(value, list):
        return [binary_as_base64(item) for item in value]
    return value


def epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)
