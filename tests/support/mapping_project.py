"""The mapping fixture project (tests/fixtures/mappings) deployed under a stage of its own."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from listmgr.runtime import config as configuration
from listmgr.runtime.functions import LocalFunction, functions_of
from listmgr.runtime.mappings.mapping import EventSourceMapping
from listmgr.runtime.mappings.sources import StreamSource, sources_of
from listmgr.runtime.resources import LocalResources
from tests.support.aws import ROOT, Aws
from tests.support.stack import wait_for

FIXTURE = ROOT / "tests" / "fixtures" / "mappings" / "serverless.yml"


CLIENTS = ("kinesis", "dynamodbstreams", "sqs", "sns")


T = TypeVar("T")


@dataclass
class MappingProject:
    aws: Aws
    stage: str
    recordings: Path
    checkpoints: Path
    resources: LocalResources
    params: dict[str, str] = field(default_factory=dict)
    """serverless.yml's ${param:...} values."""
    mappings: list[EventSourceMapping] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"mapping-fixture-{self.stage}"

    @property
    def stream_name(self) -> str:
        return f"{self.prefix}-events"

    def config(self) -> configuration.ServerlessConfig:
        return configuration.load(FIXTURE, configuration.Options(stage=self.stage, params=self.params))

    def function(self, key: str) -> LocalFunction:
        return functions_of(self.config(), self.stage, self.aws.region)[key]

    def source(self, key: str) -> StreamSource:
        (source,) = sources_of(key, self.config().functions[key]["events"], self.resources.resolve)
        return source

    def start(self, key: str, clock: Callable[[], float] = time.time) -> EventSourceMapping:
        clients = {name: self.aws.client(name) for name in CLIENTS}
        mapping = EventSourceMapping(
            self.source(key), self.function(key), clients, self.aws.region, self.checkpoints, clock
        )
        mapping.start()
        self.mappings.append(mapping)
        return mapping

    def put(
        self, values: list[Any], key: Callable[[int, Any], str] = lambda index, _: str(index)
    ) -> list[str]:
        """Puts each value as a JSON record, in order; returns their sequence numbers."""
        kinesis = self.aws.client("kinesis")
        return [
            kinesis.put_record(
                StreamName=self.stream_name, Data=json.dumps(value).encode(), PartitionKey=key(index, value)
            )["SequenceNumber"]
            for index, value in enumerate(values)
        ]

    def recorded(self, key: str) -> list[dict[str, Any]]:
        """What the function recorded, one entry per invocation, in the order they ended."""
        path = self.recordings / f"{self.function(key).name}.jsonl"
        text = path.read_text() if path.exists() else ""
        # What follows the last newline is a line still being written.
        return [json.loads(line) for line in text.split("\n")[:-1]]

    def delivered(self, key: str) -> list[Any]:
        """The values of the records of the function's successful invocations."""
        return [value for line in self.recorded(key) if line["outcome"] == "ok" for value in line["values"]]

    def wait_until_delivered(self, key: str, count: int) -> list[Any]:
        return wait_for(lambda: _at_least(count, self.delivered(key)))

    def wait_for_invocations(self, key: str, count: int) -> list[dict[str, Any]]:
        return wait_for(lambda: _at_least(count, self.recorded(key)))

    def subscribe_topic_queue(self) -> None:
        """Subscribes the queue `<prefix>-topic-failures` to the topic `<prefix>-failure-topic`."""
        sqs, sns = self.aws.client("sqs"), self.aws.client("sns")
        url = sqs.get_queue_url(QueueName=f"{self.prefix}-topic-failures")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        topic_arn = queue_arn.replace(":sqs:", ":sns:").replace("topic-failures", "failure-topic")
        sns.subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
        )

    def failure_records(self, queue: str, count: int) -> list[dict[str, Any]]:
        """The first `count` invocation records on the queue `<prefix>-<queue>`."""
        sqs = self.aws.client("sqs")
        url = sqs.get_queue_url(QueueName=f"{self.prefix}-{queue}")["QueueUrl"]
        received: list[dict[str, Any]] = []

        def receive() -> list[dict[str, Any]] | None:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            received.extend(json.loads(message["Body"]) for message in messages)
            return received if len(received) >= count else None

        return wait_for(receive)

    def arrivals(self) -> dict[Any, float]:
        """Each record's value -> its arrival time on the stream, epoch seconds."""
        kinesis = self.aws.client("kinesis")
        iterator = kinesis.get_shard_iterator(
            StreamName=self.stream_name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = kinesis.get_records(ShardIterator=iterator)["Records"]
        return {
            json.loads(record["Data"]): record["ApproximateArrivalTimestamp"].timestamp()
            for record in records
        }

    def checkpoint(self, key: str, shard_id: str = "shardId-000000000000") -> str | None:
        """The sequence number the function's mapping checkpointed on the shard, if any."""
        files = list(self.checkpoints.glob(f"{self.function(key).name}-*.json"))
        return json.loads(files[0].read_text())["shards"].get(shard_id) if files else None

    def stop(self) -> None:
        for mapping in self.mappings:
            mapping.stop()
        self.mappings.clear()


def _at_least(count: int, items: list[T]) -> list[T] | None:
    return items if len(items) >= count else None
