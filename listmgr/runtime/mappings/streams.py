"""Reading a stream's shards with boto3: Kinesis Data Streams and DynamoDB Streams behind one face.

Only public API calls (ListShards / DescribeStream, GetShardIterator, GetRecords), so the same code
reads moto, LocalStack or AWS itself.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from listmgr.runtime.mappings.records import KINESIS, StreamRecord, from_dynamodb, from_kinesis
from listmgr.runtime.mappings.sources import StreamSource
from shared.stream.lambda_records import epoch

DYNAMODB_STREAM_RETENTION = 24 * 3600.0


@dataclass(frozen=True)
class Shard:
    shard_id: str
    parent_id: str | None


@dataclass(frozen=True)
class Position:
    """Where to start reading a shard: a ShardIteratorType and what it needs."""

    kind: str
    sequence_number: str | None = None
    timestamp: float | None = None


@dataclass(frozen=True)
class Page:
    """One GetRecords response."""

    records: list[StreamRecord]
    next_iterator: str | None
    """None once a closed shard has been read to its end."""
    caught_up: bool
    """Whether the read reached the newest record of the shard."""


class StreamReader:
    """What both kinds of stream answer; each subclass speaks its service's API."""

    limit: int
    """Most records one GetRecords call returns."""
    poll_interval: float
    """Seconds between Lambda's reads of an idle shard."""

    def __init__(self, client: Any, source: StreamSource, region: str) -> None:
        self.client = client
        self.source = source
        self.region = region

    def shards(self) -> list[Shard]:
        return [Shard(shard["ShardId"], shard.get("ParentShardId")) for shard in self._listed()]

    def _listed(self) -> Iterator[Mapping[str, Any]]:
        raise NotImplementedError

    def identity(self) -> str:
        """Names the stream as it is now, so a checkpoint of a deleted and re-created stream is not used."""
        raise NotImplementedError

    def retention(self) -> float:
        """Seconds a record stays readable."""
        raise NotImplementedError

    def iterator(self, shard_id: str, position: Position) -> str:
        raise NotImplementedError

    def read(self, shard_id: str, iterator: str) -> Page:
        raise NotImplementedError


def reader_for(source: StreamSource, clients: Mapping[str, Any], region: str) -> StreamReader:
    if source.kind == KINESIS:
        return KinesisReader(clients["kinesis"], source, region)
    return DynamoDBStreamReader(clients["dynamodbstreams"], source, region)


class KinesisReader(StreamReader):
    limit = 10_000
    poll_interval = 1.0

    def _listed(self) -> Iterator[Mapping[str, Any]]:
        request: dict[str, Any] = {"StreamName": self.source.stream_name}
        while True:
            response = self.client.list_shards(**request)
            yield from response["Shards"]
            if not response.get("NextToken"):
                return
            request = {"NextToken": response["NextToken"]}

    def _summary(self) -> Mapping[str, Any]:
        summary: Mapping[str, Any] = self.client.describe_stream_summary(StreamName=self.source.stream_name)[
            "StreamDescriptionSummary"
        ]
        return summary

    def identity(self) -> str:
        return f"{self.source.arn}@{epoch(self._summary()['StreamCreationTimestamp'])}"

    def retention(self) -> float:
        return float(self._summary()["RetentionPeriodHours"]) * 3600

    def iterator(self, shard_id: str, position: Position) -> str:
        request: dict[str, Any] = {
            # moto ties an iterator to the name it was asked with; the ARN alone is not enough.
            "StreamName": self.source.stream_name,
            "ShardId": shard_id,
            "ShardIteratorType": position.kind,
        }
        if position.sequence_number is not None:
            request["StartingSequenceNumber"] = position.sequence_number
        if position.timestamp is not None:
            request["Timestamp"] = position.timestamp
        return str(self.client.get_shard_iterator(**request)["ShardIterator"])

    def read(self, shard_id: str, iterator: str) -> Page:
        response = self.client.get_records(ShardIterator=iterator, Limit=self.limit)
        records = [
            from_kinesis(record, shard_id, self.source.arn, self.region) for record in response["Records"]
        ]
        return Page(records, response.get("NextShardIterator"), response.get("MillisBehindLatest", 0) == 0)


class DynamoDBStreamReader(StreamReader):
    limit = 1_000
    poll_interval = 0.25

    def _listed(self) -> Iterator[Mapping[str, Any]]:
        request: dict[str, Any] = {"StreamArn": self.source.arn}
        while True:
            description = self.client.describe_stream(**request)["StreamDescription"]
            yield from description["Shards"]
            if not description.get("LastEvaluatedShardId"):
                return
            request["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]

    def identity(self) -> str:
        # A table's stream ARN carries its creation time as its label, so the ARN alone names one stream.
        return self.source.arn

    def retention(self) -> float:
        return DYNAMODB_STREAM_RETENTION

    def iterator(self, shard_id: str, position: Position) -> str:
        request: dict[str, Any] = {
            "StreamArn": self.source.arn,
            "ShardId": shard_id,
            "ShardIteratorType": position.kind,
        }
        if position.sequence_number is not None:
            request["SequenceNumber"] = position.sequence_number
        return str(self.client.get_shard_iterator(**request)["ShardIterator"])

    def read(self, shard_id: str, iterator: str) -> Page:
        response = self.client.get_records(ShardIterator=iterator, Limit=self.limit)
        records = [
            from_dynamodb(record, shard_id, self.source.arn, self.region) for record in response["Records"]
        ]
        # DynamoDB Streams says nothing of how far behind a read is; a short page is the newest there is.
        return Page(records, response.get("NextShardIterator"), len(records) < self.limit)
