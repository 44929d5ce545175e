"""The listener's handler on moto and a real archive, driven with Lambda-shaped Kinesis events."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from services.listener import function
from shared.adapters.dynamodb import DynamoListStore
from shared.adapters.kinesis import KinesisStream
from shared.adapters.sql_archive import Archive
from shared.bootstrap import Ports
from shared.clock import now_ms
from shared.events.codec import loads
from shared.lists.archive import ChangeArchive
from shared.lists.entities import aggregate_entity, user_list_entity
from shared.lists.store import ListStore
from tests.support.aws import Deployed
from tests.support.ports import SETTINGS


@dataclass
class Harness:
    deployed: Deployed
    store: DynamoListStore
    archive: Archive
    stream: KinesisStream

    def run(
        self,
        event: dict[str, Any],
        archive: ChangeArchive | None = None,
        store: ListStore | None = None,
        sleep: Any = lambda _: None,
        clock: Callable[[], int] = now_ms,
    ) -> dict[str, Any]:
        """The listener's handler on `event`, as Lambda calls it."""
        ports = Ports(
            SETTINGS,
            store=store or self.store,
            archive=archive or self.archive,
            stream=self.stream,
            clock=clock,
            sleep=sleep,
        )
        return function.handler(ports)(event, None)

    def deliver(
        self,
        records: list[dict[str, Any]],
        archive: ChangeArchive | None = None,
        after_failure: Callable[[int], None] = lambda _: None,
        max_deliveries: int = 100,
    ) -> int:
        """Delivers `records` the way an event source mapping does: after a partial failure,
        again from the first failed record. Returns how many deliveries it took.
        `after_failure(deliveries)` runs after each failed one (a test moves its fault on there);
        more than `max_deliveries` is a failure, so a fault that never passes cannot hang a test."""
        deliveries = 0
        while records:
            if deliveries == max_deliveries:
                pytest.fail(f"{len(records)} records still failing after {deliveries} deliveries")
            deliveries += 1
            failures = self.run({"Records": records}, archive=archive, sleep=time.sleep)["batchItemFailures"]
            if not failures:
                return deliveries
            numbers = [record["kinesis"]["sequenceNumber"] for record in records]
            records = records[numbers.index(failures[0]["itemIdentifier"]) :]
            after_failure(deliveries)
        return deliveries

    def aggregate(self, title: str) -> dict[str, Any] | None:
        found = self.store.aggregate(title)
        return aggregate_entity(found) if found else None

    def user_list(self, title: str, user: str) -> dict[str, Any] | None:
        found = self.store.user_list(title, user)
        return user_list_entity(found) if found else None

    def published(self) -> list[dict[str, Any]]:
        return stream_events(self.deployed)


def stream_events(deployed: Deployed) -> list[dict[str, Any]]:
    """Every record on the deployed stream so far, decoded, shard by shard."""
    kinesis = deployed.aws.client("kinesis")
    events: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=deployed.stream_name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=deployed.stream_name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        events += [loads(record["Data"]) for record in kinesis.get_records(ShardIterator=iterator)["Records"]]
    return events
