"""The trigger against moto: the table's real DynamoDB Streams records in, events on Kinesis out,
including when PutRecords refuses some of them."""

from typing import Any

import pytest

from listmgr.runtime.mappings import records as lambda_records
from services.trigger import function
from shared.adapters.kinesis import KinesisStream
from shared.bootstrap import Ports
from shared.events.testing import kinesis_event
from tests.faults.layer import ThrottledStream
from tests.samples import WORKED_EXAMPLE, deletion
from tests.support.aws import Deployed
from tests.support.harness import Harness, stream_events
from tests.support.ports import SETTINGS


def table_stream_event(deployed: Deployed) -> dict[str, Any]:
    """Every record of the table's stream so far, as Lambda would deliver them."""
    table = deployed.aws.client("dynamodb").describe_table(TableName=deployed.table_name)["Table"]
    streams = deployed.aws.client("dynamodbstreams")
    arn = table["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )
        records += [
            lambda_records.from_dynamodb(record, shard["ShardId"], arn, deployed.aws.region).event_record
            for record in streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        ]
    return {"Records": records}


def published(deployed: Deployed) -> list[dict[str, Any]]:
    return [event for event in stream_events(deployed) if event.get("tags", {}).get("source") == "trigger"]


def run_trigger(deployed: Deployed, event: dict[str, Any], stream: Any = None) -> dict[str, Any]:
    stream = stream or KinesisStream(deployed.aws.client("kinesis"), deployed.stream_name)
    """The trigger's handler on `event`, as Lambda calls it."""
    return function.handler(Ports(SETTINGS, stream=stream, sleep=lambda _: None))(event, None)


@pytest.fixture
def applied(harness: Harness) -> Harness:
    harness.run(kinesis_event(WORKED_EXAMPLE))
    delete = deletion("d1", "stats", "beth", 1_700_000_000_000)
    harness.run(kinesis_event([delete], first_sequence=10))
    return harness


@pytest.mark.parametrize("archive", ["sqlite"], indirect=True)
def test_table_changes_become_events_once_each_and_again_with_the_same_ids(applied: Harness) -> None:
    event = table_stream_event(applied.deployed)
    assert run_trigger(applied.deployed, event) == {"batchItemFailures": []}
    first = published(applied.deployed)
    assert sorted(e["type"] for e in first) == sorted(
        ["user-list-created"] * 4
        + ["aggregate-list-created"] * 2
        + ["user-list-deleted", "aggregate-list-updated"]
    )
    stats = next(e for e in first if e["type"] == "aggregate-list-updated")
    assert stats["list"] == {
        "title": "stats",
        "type": "tally",
        "entries": {"xp": 83},
        "users": 1,
        "updatedAt": 1_700_000_000_000,
    }
    assert stats["raw"]["old"]["entries"] == {"xp": 108}

    assert run_trigger(applied.deployed, event) == {"batchItemFailures": []}
    again = published(applied.deployed)[len(first) :]
    assert [e["id"] for e in again] == [e["id"] for e in first]


@pytest.mark.parametrize("archive", ["sqlite"], indirect=True)
def test_refused_records_are_published_later_without_reordering_a_list(applied: Harness) -> None:
    event = table_stream_event(applied.deployed)
    kinesis = KinesisStream(applied.deployed.aws.client("kinesis"), applied.deployed.stream_name)
    assert run_trigger(applied.deployed, event, ThrottledStream(kinesis, refuse={0, 2, 3})) == {
        "batchItemFailures": []
    }
    events = published(applied.deployed)
    beth = [e["type"] for e in events if e["list"].get("user") == "beth"]
    assert beth == ["user-list-created", "user-list-deleted"]
    stats = [e["type"] for e in events if e["list"]["title"] == "stats" and "user" not in e["list"]]
    assert stats == ["aggregate-list-created", "aggregate-list-updated"]
    assert len(events) == 8


@pytest.mark.parametrize("archive", ["sqlite"], indirect=True)
def test_when_kinesis_keeps_refusing_the_batch_fails_from_the_first_unpublished_record(
    applied: Harness,
) -> None:
    event = table_stream_event(applied.deployed)
    kinesis = KinesisStream(applied.deployed.aws.client("kinesis"), applied.deployed.stream_name)
    response = run_trigger(applied.deployed, event, ThrottledStream(kinesis, refuse=set(range(3, 1000))))
    numbers = [record["dynamodb"]["SequenceNumber"] for record in event["Records"]]
    (failure,) = response["batchItemFailures"]
    assert failure["itemIdentifier"] in numbers
    assert len(published(applied.deployed)) == 3
