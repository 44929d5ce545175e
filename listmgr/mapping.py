"""Event source mappings: poll a Kinesis or DynamoDB stream and invoke a function with batches,
the way AWS Lambda does.

This first version reads each shard in order, gathers batches by `batchSize` and `batchWindow`,
invokes the function in-process with an event in Lambda's exact shape, and honours
ReportBatchItemFailures (retrying from the first failed record), `maximumRetryAttempts` and the
on-failure destination (an SQS queue receiving Lambda's invocation record).
"""

import base64
import logging
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from listmgr.functions import LocalFunction

log = logging.getLogger("listmgr.mapping")

KINESIS_MAX_RECORDS = 10_000
DYNAMODB_MAX_RECORDS = 1_000


@dataclass(frozen=True)
class StreamSource:
    """One `- stream:` event of a function, resolved against the local resources."""

    function_key: str
    kind: str
    arn: str
    batch_size: int = 100
    batch_window: float = 0.0
    starting_position: str = "TRIM_HORIZON"
    maximum_retry_attempts: int = -1
    bisect: bool = False
    report_batch_item_failures: bool = False
    on_failure: str | None = None
    enabled: bool = True


def sources_of(function_key: str, events: Sequence[Mapping[str, Any]], resolve: Any) -> list[StreamSource]:
    sources = []
    for event in events:
        stream = event.get("stream") if isinstance(event, Mapping) else None
        if stream is None:
            continue
        if isinstance(stream, str | dict) and not isinstance(stream, dict):
            stream = {"arn": stream}
        arn = resolve(stream.get("arn"))
        kind = stream.get("type") or ("dynamodb" if ":dynamodb:" in str(arn) else "kinesis")
        destination = (stream.get("destinations") or {}).get("onFailure")
        if isinstance(destination, Mapping):
            destination = destination.get("arn")
        sources.append(
            StreamSource(
                function_key=function_key,
                kind=kind,
                arn=str(arn),
                batch_size=int(stream.get("batchSize", 100)),
                batch_window=float(stream.get("batchWindow", 0)),
                starting_position=str(stream.get("startingPosition", "TRIM_HORIZON")),
                maximum_retry_attempts=int(stream.get("maximumRetryAttempts", -1)),
                bisect=bool(stream.get("bisectBatchOnFunctionError", False)),
                report_batch_item_failures=stream.get("functionResponseType") == "ReportBatchItemFailures",
                on_failure=resolve(destination) if destination else None,
                enabled=bool(stream.get("enabled", True)),
            )
        )
    return sources


class EventSourceMapping:
    """Polls every shard of one source and invokes one function."""

    def __init__(
        self, source: StreamSource, function: LocalFunction, clients: Mapping[str, Any], region: str
    ) -> None:
        self.source = source
        self.function = function
        self.clients = clients
        self.region = region
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    @property
    def reader(self) -> Any:
        return self.clients["kinesis" if self.source.kind == "kinesis" else "dynamodbstreams"]

    def start(self) -> None:
        if not self.source.enabled:
            return
        for shard in self._shards():
            thread = threading.Thread(
                target=self._poll, args=(shard,), daemon=True, name=f"{self.function.key}:{shard}"
            )
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=10)

    def _shards(self) -> list[str]:
        if self.source.kind == "kinesis":
            shards = self.reader.list_shards(StreamName=self.source.arn.rsplit("/", 1)[-1])["Shards"]
        else:
            shards = self.reader.describe_stream(StreamArn=self.source.arn)["StreamDescription"]["Shards"]
        return [shard["ShardId"] for shard in shards]

    def _iterator(self, shard: str, after: str | None) -> str:
        kind = "AFTER_SEQUENCE_NUMBER" if after else self.source.starting_position
        request: dict[str, Any] = {"ShardId": shard, "ShardIteratorType": kind}
        if after:
            request["StartingSequenceNumber"] = after
        if self.source.kind == "kinesis":
            # moto ties an iterator to the stream name it was asked with; the ARN alone is not enough.
            request["StreamName"] = self.source.arn.rsplit("/", 1)[-1]
        else:
            request["StreamArn"] = self.source.arn
        return str(self.reader.get_shard_iterator(**request)["ShardIterator"])

    def _poll(self, shard: str) -> None:
        iterator = self._iterator(shard, None)
        buffered: list[dict[str, Any]] = []
        window_started: float | None = None
        limit = KINESIS_MAX_RECORDS if self.source.kind == "kinesis" else DYNAMODB_MAX_RECORDS
        while not self.stopping.is_set():
            try:
                response = self.reader.get_records(ShardIterator=iterator, Limit=limit)
            except Exception:
                log.exception("get_records failed on %s", shard)
                self.stopping.wait(1)
                continue
            iterator = response.get("NextShardIterator") or iterator
            buffered += response.get("Records", [])
            if buffered and window_started is None:
                window_started = time.monotonic()
            due = window_started is not None and time.monotonic() - window_started >= self.source.batch_window
            if buffered and (len(buffered) >= self.source.batch_size or due):
                batch, buffered = buffered[: self.source.batch_size], buffered[self.source.batch_size :]
                window_started = time.monotonic() if buffered else None
                self._deliver(shard, batch)
            elif not response.get("Records"):
                self.stopping.wait(0.25)

    def _deliver(self, shard: str, batch: list[dict[str, Any]]) -> None:
        """Invokes until the batch is done: retrying from the first failed record, up to the
        retry limit, after which what is left goes to the on-failure destination."""
        attempts = 0
        remaining = batch
        while remaining and not self.stopping.is_set():
            started = time.perf_counter()
            event = {"Records": [self._lambda_record(shard, record) for record in remaining]}
            try:
                response = self.function.invoke(event)
                failed_from = self._failed_from(response, remaining)
                error = None
            except Exception as exception:
                log.exception("%s raised", self.function.name)
                failed_from, error = 0, exception
            log.info(
                "%s: %d records from %s, %s in %.0f ms",
                self.function.key,
                len(remaining),
                shard,
                "ok" if failed_from is None else f"failed from #{failed_from}",
                (time.perf_counter() - started) * 1000,
            )
            if failed_from is None:
                return
            remaining = remaining[failed_from:]
            attempts += 1
            limit = self.source.maximum_retry_attempts
            if limit >= 0 and attempts > limit:
                self._send_to_failure_destination(shard, remaining, attempts, error)
                return
            self.stopping.wait(min(5.0, 0.2 * attempts))

    def _failed_from(self, response: Any, records: Sequence[Mapping[str, Any]]) -> int | None:
        if not self.source.report_batch_item_failures or not isinstance(response, Mapping):
            return None
        failures = response.get("batchItemFailures")
        if not failures:
            return None
        numbers = [self._sequence_number(record) for record in records]
        positions = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
            if not identifier or identifier not in numbers:
                return 0
            positions.append(numbers.index(identifier))
        return min(positions)

    def _sequence_number(self, record: Mapping[str, Any]) -> str:
        if self.source.kind == "kinesis":
            return str(record["SequenceNumber"])
        return str(record["dynamodb"]["SequenceNumber"])

    def _lambda_record(self, shard: str, record: Mapping[str, Any]) -> dict[str, Any]:
        if self.source.kind == "kinesis":
            return kinesis_record(record, shard, self.source.arn, self.region)
        return dynamodb_record(record, self.source.arn, self.region)

    def _send_to_failure_destination(
        self, shard: str, records: Sequence[Mapping[str, Any]], attempts: int, error: Exception | None
    ) -> None:
        if not self.source.on_failure:
            log.warning("%s: dropped %d records after %d attempts", self.function.key, len(records), attempts)
            return
        arrivals = [self._arrival(record) for record in records]
        info = {
            "shardId": shard,
            "startSequenceNumber": self._sequence_number(records[0]),
            "endSequenceNumber": self._sequence_number(records[-1]),
            "approximateArrivalOfFirstRecord": _iso(arrivals[0]),
            "approximateArrivalOfLastRecord": _iso(arrivals[-1]),
            "batchSize": len(records),
            "streamArn": self.source.arn,
        }
        document = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function.arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled" if error else None,
            },
            "version": "1.0",
            "timestamp": _iso(time.time()),
            "KinesisBatchInfo" if self.source.kind == "kinesis" else "DDBStreamBatchInfo": info,
        }
        import json  # noqa: PLC0415

        queue_url = self.clients["sqs"].get_queue_url(QueueName=self.source.on_failure.rsplit(":", 1)[-1])[
            "QueueUrl"
        ]
        self.clients["sqs"].send_message(QueueUrl=queue_url, MessageBody=json.dumps(document))

    def _arrival(self, record: Mapping[str, Any]) -> float:
        if self.source.kind == "kinesis":
            return _epoch(record["ApproximateArrivalTimestamp"])
        return _epoch(record["dynamodb"]["ApproximateCreationDateTime"])


def kinesis_record(record: Mapping[str, Any], shard: str, stream_arn: str, region: str) -> dict[str, Any]:
    """A Kinesis GetRecords record in the shape Lambda delivers it."""
    sequence = str(record["SequenceNumber"])
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record["PartitionKey"],
            "sequenceNumber": sequence,
            "data": base64.b64encode(record["Data"]).decode(),
            "approximateArrivalTimestamp": _epoch(record["ApproximateArrivalTimestamp"]),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard}:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::123456789012:role/{stream_arn.rsplit('/', 1)[-1]}-local",
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def dynamodb_record(record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A DynamoDB Streams GetRecords record in the shape Lambda delivers it."""
    stream = dict(record["dynamodb"])
    stream["ApproximateCreationDateTime"] = _epoch(stream["ApproximateCreationDateTime"])
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": stream,
        "eventSourceARN": stream_arn,
    }


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _iso(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(epoch * 1000) % 1000:03d}Z"
    )
