"""The messages of the on-failure queue and the stream records they point at.

A message is Lambda's invocation record of a discarded batch (docs/operating.md, "Re-driving
failed batches"): the batch's shard, first and last sequence numbers, size and stream, never the
records. `fetch` reads them back from the stream by shard and sequence range (an
AT_SEQUENCE_NUMBER iterator) while the stream still holds them, as the records of a Lambda
event, exactly as the event source mapping would deliver them.
"""

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from shared.stream.lambda_records import dynamodb_from_get_records, kinesis_from_get_records

KINESIS, DYNAMODB = "kinesis", "dynamodb"
BATCH_INFO = {"KinesisBatchInfo": KINESIS, "DDBStreamBatchInfo": DYNAMODB}
MAX_READS = 200
"""GetRecords calls for one batch at most: a batch is at most 10,000 records, and a read that
brings nothing new while the shard has more is Kinesis catching up, not the end."""


class NotAFailureRecord(ValueError):
    """A message on the queue that is no Lambda invocation record of a stream batch."""


@dataclass(frozen=True)
class FailedBatch:
    """One message of the queue: Lambda's invocation record of a batch it gave up on."""

    message_id: str
    source: str
    """kinesis or dynamodb."""
    shard_id: str
    start: str
    end: str
    size: int
    stream_arn: str
    function_arn: str
    condition: str
    invoke_count: int | None
    timestamp: str
    document: Mapping[str, Any]
    receipt: str | None = None

    @property
    def function_name(self) -> str:
        return self.function_arn.rsplit(":function:", 1)[-1].split(":", 1)[0]


def failed_batch(message_id: str, body: str, receipt: str | None = None) -> FailedBatch:
    try:
        document = json.loads(body)
    except ValueError as error:
        raise NotAFailureRecord(f"message {message_id} is not JSON") from error
    keys = document if isinstance(document, dict) else {}
    found = [(key, kind) for key, kind in BATCH_INFO.items() if key in keys]
    if not found:
        raise NotAFailureRecord(f"message {message_id} has no KinesisBatchInfo or DDBStreamBatchInfo")
    (key, kind), info = found[0], document[found[0][0]]
    context = document.get("requestContext") or {}
    try:
        return FailedBatch(
            message_id=message_id,
            source=kind,
            shard_id=str(info["shardId"]),
            start=str(info["startSequenceNumber"]),
            end=str(info["endSequenceNumber"]),
            size=int(info["batchSize"]),
            stream_arn=str(info["streamArn"]),
            function_arn=str(context.get("functionArn") or ""),
            condition=str(context.get("condition") or ""),
            invoke_count=context.get("approximateInvokeCount"),
            timestamp=str(document.get("timestamp") or ""),
            document=document,
            receipt=receipt,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise NotAFailureRecord(f"message {message_id}: {key} lacks {error}") from error


@dataclass(frozen=True)
class Fetched:
    records: list[dict[str, Any]]
    """The batch's records as the function's event carries them."""
    missing: str | None = None
    """Why some or all of the records could not be read, when they could not."""

    @property
    def event(self) -> dict[str, Any]:
        return {"Records": self.records}


def fetch(batch: FailedBatch, clients: Mapping[str, Any], region: str) -> Fetched:
    """The records of `batch`, read from its stream with an AT_SEQUENCE_NUMBER iterator."""
    try:
        if batch.source == KINESIS:
            records = list(_kinesis_records(batch, clients["kinesis"], region))
        else:
            records = list(_dynamodb_records(batch, clients["dynamodbstreams"], region))
    except ClientError as error:
        error_info = error.response.get("Error", {})
        reason = f"{error_info.get('Code')}: {error_info.get('Message')}"
        return Fetched([], f"the stream no longer has these records ({reason})")
    if len(records) < batch.size:
        lost = batch.size - len(records)
        return Fetched(
            records,
            f"{lost} of {batch.size} records are no longer on the stream "
            "(past its retention period, or the shard is gone)",
        )
    return Fetched(records)


def _in_range(batch: FailedBatch, sequence: str) -> bool:
    # Sequence numbers are decimal strings of varying length: compare them as integers.
    return int(batch.start) <= int(sequence) <= int(batch.end)


def _kinesis_records(batch: FailedBatch, kinesis: Any, region: str) -> Iterator[dict[str, Any]]:
    iterator = kinesis.get_shard_iterator(
        StreamName=batch.stream_arn.split("/", 1)[-1],
        ShardId=batch.shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=batch.start,
    )["ShardIterator"]
    found = 0
    for _ in range(MAX_READS):
        response = kinesis.get_records(ShardIterator=iterator, Limit=min(10_000, batch.size))
        for record in response["Records"]:
            if int(record["SequenceNumber"]) > int(batch.end):
                return
            if _in_range(batch, record["SequenceNumber"]):
                found += 1
                yield kinesis_from_get_records(record, batch.shard_id, batch.stream_arn, region)
        iterator = response.get("NextShardIterator")
        caught_up = not response["Records"] and not response.get("MillisBehindLatest")
        if found >= batch.size or iterator is None or caught_up:
            return


def _dynamodb_records(batch: FailedBatch, streams: Any, region: str) -> Iterator[dict[str, Any]]:
    iterator = streams.get_shard_iterator(
        StreamArn=batch.stream_arn,
        ShardId=batch.shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=batch.start,
    )["ShardIterator"]
    found = 0
    for _ in range(MAX_READS):
        response = streams.get_records(ShardIterator=iterator, Limit=min(1000, batch.size))
        for record in response["Records"]:
            sequence = record["dynamodb"]["SequenceNumber"]
            if int(sequence) > int(batch.end):
                return
            if _in_range(batch, sequence):
                found += 1
                yield dynamodb_from_get_records(record, batch.stream_arn, region)
        iterator = response.get("NextShardIterator")
        if found >= batch.size or iterator is None or not response["Records"]:
            return


def describe(batch: FailedBatch) -> dict[str, Any]:
    """A message in a line of `dlq list` or the admin's answer."""
    return {
        "id": batch.message_id,
        "function": batch.function_name,
        "source": batch.source,
        "shardId": batch.shard_id,
        "startSequenceNumber": batch.start,
        "endSequenceNumber": batch.end,
        "batchSize": batch.size,
        "condition": batch.condition,
        "approximateInvokeCount": batch.invoke_count,
        "timestamp": batch.timestamp,
    }
