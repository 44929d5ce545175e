"""The listener against moto and a real archive (SQLite and MariaDB): the guarantees of
DESIGN.md, each one driven through the handler's pipeline with Lambda-shaped Kinesis events."""

import base64
import threading
from decimal import Decimal
from typing import Any

from bench.meter import DynamoMeter
from bench.sample_listener import SampleListener
from bench.workload import submissions
from services.listener import function
from shared.adapters.dynamodb import DynamoListStore
from shared.adapters.kinesis import KinesisStream
from shared.adapters.sql_archive import open_archive
from shared.bootstrap import Ports
from shared.events.testing import kinesis_event, kinesis_record
from tests.samples import RERANK, WORKED_EXAMPLE, deletion
from tests.support.aws import Deployed
from tests.support.harness import Harness
from tests.support.ports import SETTINGS

STATS = {
    "title": "stats",
    "type": "tally",
    "entries": {"xp": 108},
    "users": 2,
    "updatedAt": 1_700_000_000_000,
}
"""The stats aggregate after the worked example, its records all arriving at the same instant."""


def test_the_worked_example(harness: Harness) -> None:
    assert harness.run(kinesis_event(WORKED_EXAMPLE)) == {"batchItemFailures": []}
    assert harness.aggregate("stats") == STATS
    movies = harness.aggregate("favorite movies")
    assert movies is not None
    assert movies["entries"] == {"blade runner": 3, "the empire strikes back": 5, "alien": 4}
    assert movies["ranking"] == ["blade runner", "alien", "the empire strikes back"]
    harness.run(kinesis_event([RERANK], first_sequence=10))
    movies = harness.aggregate("favorite movies")
    assert movies is not None
    assert movies["entries"] == {"alien": 2, "blade runner": 4, "the empire strikes back": 3}
    assert movies["counts"] == {"alien": 2, "blade runner": 2, "the empire strikes back": 1}
    assert movies["ranking"] == ["alien", "blade runner", "the empire strikes back"]
    assert harness.archive.count() == 5


def test_a_redelivered_batch_changes_nothing_and_archives_nothing_twice(harness: Harness) -> None:
    event = kinesis_event(WORKED_EXAMPLE)
    harness.run(event)
    before = (
        harness.aggregate("stats"),
        harness.aggregate("favorite movies"),
        harness.user_list("stats", "bill"),
    )
    harness.run(event)
    harness.run({"Records": event["Records"][1:3]})  # a bisected half, redelivered
    assert (
        harness.aggregate("stats"),
        harness.aggregate("favorite movies"),
        harness.user_list("stats", "bill"),
    ) == before
    assert harness.archive.count() == 4


def test_an_event_resubmitted_with_the_same_id_is_applied_once(harness: Harness) -> None:
    envelope = {
        "id": "client-retry-1",
        "type": "list-update-submitted",
        "timestamp": 1_700_000_000_000,
        "update": {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 10}},
    }
    harness.run(kinesis_event([envelope], first_sequence=1))
    harness.run(kinesis_event([envelope, envelope], first_sequence=2))
    assert harness.user_list("stats", "bill") == {
        "title": "stats",
        "user": "bill",
        "type": "tally",
        "entries": {"xp": 10},
        "updatedAt": 1_700_000_000_000,
    }
    assert harness.archive.count() == 1


def test_poison_records_are_set_aside_as_faults_while_the_batch_goes_on(harness: Harness) -> None:
    bad_base64 = kinesis_record(b"", 2)
    bad_base64["kinesis"]["data"] = "%%%"
    too_many = {"title": "big", "user": "u", "type": "tally", "entries": {f"k{i}": 1 for i in range(101)}}
    records = [
        kinesis_record(WORKED_EXAMPLE[1], 1),
        bad_base64,
        kinesis_record(b"{not json", 3),
        kinesis_record({"title": "stats", "user": "", "type": "tally", "entries": {"xp": 1}}, 4),
        kinesis_record('{"title":"stats","user":"x","type":"tally","entries":{"xp":Infinity}}', 5),
        kinesis_record({"title": "stats", "user": "mike", "type": "rank", "entries": {"xp": 1}}, 6),
        kinesis_record(too_many, 7),
        kinesis_record(WORKED_EXAMPLE[3], 8),
    ]
    assert harness.run({"Records": records}) == {"batchItemFailures": []}
    assert harness.aggregate("stats") == STATS
    faults = {
        event["fault"]["sequenceNumber"]: event for event in harness.published() if event["type"] == "fault"
    }
    assert sorted(faults, key=int) == ["2", "3", "4", "5", "6", "7"]
    assert faults["2"]["fault"]["reason"] == "data is not valid base64"
    assert "not valid JSON" in faults["3"]["fault"]["reason"]
    assert faults["4"]["fault"]["reason"].startswith("schema violation: update.user")
    assert "Infinity" in faults["5"]["fault"]["reason"]
    assert "type conflict" in faults["6"]["fault"]["reason"]
    assert "at most 100 items" in faults["7"]["fault"]["reason"]
    fault = faults["6"]
    assert (
        fault["fault"]["id"] == "shardId-000000000000:6" and fault["fault"]["shard"] == "shardId-000000000000"
    )
    assert base64.b64decode(fault["fault"]["data"]) == base64.b64decode(records[5]["kinesis"]["data"])
    assert fault["tags"]["source"] == "listener" and fault["partitionKey"] == "0"
    assert harness.archive.count() == 2


def test_a_fault_delivered_again_publishes_the_same_fault_event(harness: Harness) -> None:
    conflict = kinesis_event(
        [WORKED_EXAMPLE[1], {"title": "stats", "user": "mike", "type": "rank", "entries": {"a": 1}}]
    )
    harness.run(conflict)
    harness.run(conflict)
    faults = [event for event in harness.published() if event["type"] == "fault"]
    assert len(faults) == 2 and faults[0] == faults[1]


def test_when_the_archive_is_down_nothing_changes_and_the_batch_fails_from_its_first_record(
    harness: Harness,
) -> None:
    down = open_archive("mysql://root@127.0.0.1:1/nowhere")
    event = kinesis_event(WORKED_EXAMPLE, first_sequence=41)
    assert harness.run(event, archive=down) == {"batchItemFailures": [{"itemIdentifier": "41"}]}
    assert harness.aggregate("stats") is None
    assert harness.run(event) == {"batchItemFailures": []}
    assert harness.aggregate("stats") is not None and harness.archive.count() == 4


def test_when_the_table_is_unreachable_the_batch_fails_from_the_first_record_it_needed(
    harness: Harness,
) -> None:
    missing = DynamoListStore(harness.deployed.aws.client("dynamodb"), "no-such-table")
    records = [kinesis_record(b"garbage", 7), *kinesis_event(WORKED_EXAMPLE, first_sequence=8)["Records"]]
    assert harness.run({"Records": records}, store=missing) == {
        "batchItemFailures": [{"itemIdentifier": "8"}]
    }


def test_deleting_takes_the_contribution_out_and_the_last_user_takes_the_aggregate(harness: Harness) -> None:
    harness.run(kinesis_event(WORKED_EXAMPLE))
    delete = deletion("d1", "favorite movies", "mike", 1_700_000_000_000)
    harness.run(kinesis_event([delete], first_sequence=20))
    assert harness.user_list("favorite movies", "mike") is None
    movies = harness.aggregate("favorite movies")
    assert movies is not None
    assert movies["entries"] == {"blade runner": 2, "the empire strikes back": 3, "alien": 1}
    assert movies["users"] == 1 and movies["updatedAt"] == 1_700_000_000_000
    last = {**delete, "id": "d2", "update": {"title": "favorite movies", "user": "rdlysct"}}
    harness.run(kinesis_event([last], first_sequence=21))
    assert harness.aggregate("favorite movies") is None
    # The title is free again, and may change its type: a new list, with its own updatedAt.
    harness.run(
        kinesis_event(
            [{"title": "favorite movies", "user": "bill", "type": "tally", "entries": {"x": 1}}], 22
        )
    )
    assert harness.aggregate("favorite movies") == {
        "title": "favorite movies",
        "type": "tally",
        "entries": {"x": 1},
        "users": 1,
        "updatedAt": 1_700_000_000_000,
    }


def test_concurrent_batches_on_one_aggregate_lose_no_update(harness: Harness) -> None:
    shards = 6
    per_shard = 20

    def shard(number: int) -> None:
        documents = [
            {
                "title": "stats",
                "user": f"user{number}-{i % 5}",
                "type": "tally",
                "entries": {"xp": Decimal("0.1")},
            }
            for i in range(per_shard)
        ]
        for start in range(0, per_shard, 4):
            records = [
                kinesis_record(doc, start + offset + 1, shard=f"shardId-{number:012d}")
                for offset, doc in enumerate(documents[start : start + 4])
            ]
            # Contention on one aggregate may fail a batch; the mapping delivers it again.
            harness.deliver(records)

    threads = [threading.Thread(target=shard, args=(number,)) for number in range(shards)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = harness.aggregate("stats")
    assert stats is not None
    assert stats["entries"] == {"xp": Decimal("0.1") * shards * per_shard}
    assert stats["users"] == shards * 5
    assert harness.archive.count() == shards * per_shard


def test_coalescing_costs_a_tenth_of_the_samples_requests_and_fewer_write_units(
    deployed: Deployed, tmp_path: Any
) -> None:
    documents = list(submissions(1000))
    event = kinesis_event(documents)

    ours = deployed.aws.client("dynamodb")
    meter = DynamoMeter(ours)
    archive = open_archive(f"sqlite:///{tmp_path}/ours.db")
    archive.migrate()
    stream = KinesisStream(deployed.aws.client("kinesis"), deployed.stream_name)
    ports = Ports(SETTINGS, store=DynamoListStore(ours, deployed.table_name), archive=archive, stream=stream)
    assert function.handler(ports)(event, None) == {"batchItemFailures": []}

    theirs = deployed.aws.client("dynamodb")
    sample_meter = DynamoMeter(theirs)
    deployed.aws.client("dynamodb").create_table(**_copy_of_table(deployed, "sample"))
    SampleListener(theirs, f"{deployed.table_name}-sample").handle(event)

    assert sample_meter.total_requests == 4000
    assert meter.total_requests * 10 <= sample_meter.total_requests, meter.requests
    # Exactly-once costs less than the sample writes: each outcome is kept in its user list's
    # item, which the change's transaction writes anyway, and each list is written once a batch.
    assert meter.write_units < sample_meter.write_units, (meter.write_units, sample_meter.write_units)
    assert meter.read_units < sample_meter.read_units, (meter.read_units, sample_meter.read_units)


def _copy_of_table(deployed: Deployed, suffix: str) -> dict[str, Any]:
    return {
        "TableName": f"{deployed.table_name}-{suffix}",
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


def envelope_of(event_id: str, xp: int, user: str = "bill") -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "list-update-submitted",
        "timestamp": 1_700_000_000_000,
        "update": {"title": "stats", "user": user, "type": "tally", "entries": {"xp": xp}},
    }


def test_a_hot_list_remembers_every_id_of_the_window(harness: Harness) -> None:
    # Past the room its item has for them, a user list's outcomes move out to items of their own:
    # none is forgotten within the window, the oldest included.
    per_batch, batches = 100, 12
    for batch in range(batches):
        documents = [envelope_of(f"hot-{batch}-{n}", 1) for n in range(per_batch)]
        event = kinesis_event(documents, first_sequence=batch * per_batch + 1)
        assert harness.run(event) == {"batchItemFailures": []}
    harness.run(kinesis_event([envelope_of("hot-0-0", 1), envelope_of("hot-11-99", 1)], first_sequence=5000))
    bill = harness.user_list("stats", "bill")
    assert bill is not None and bill["entries"] == {"xp": per_batch * batches}
    assert harness.archive.count() == per_batch * batches
