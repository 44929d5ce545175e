"""`make bench`: what the listener and the trigger cost, against baselines measured in the same run.

1. Listener vs the original sample's algorithm, on the same Zipf workload of 1,000-record
   batches, against moto: DynamoDB requests, write units, archive round trips (counted from the
   requests, so they hold on AWS too) and wall time (moto's, noisy; for the record).
2. The listener's pure core (decode, validate, fold) in records per second and peak memory,
   against decoding alone: what the domain adds per record, with no I/O at all.
3. Trigger publishing: PutRecords calls and time for one batch of table changes, against one
   PutRecord per event.
"""

import base64
import json
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.meter import DynamoMeter
from bench.sample_listener import SampleListener
from bench.workload import submissions
from listmgr import moto_server
from services.listener.handler import listener
from services.listener.rules import RULES
from services.trigger.rules import RULES as TRIGGER_RULES
from shared.events.testing import dynamodb_record, kinesis_event
from shared.lists.memory import MemoryListStore
from shared.stream.batch import batch_response
from shared.stream.connectors.archive import open_archive
from shared.stream.connectors.dynamodb import DynamoListStore
from shared.stream.connectors.kinesis import KinesisStream
from shared.stream.decoders import from_dynamodb, from_kinesis
from shared.stream.flavors.crud import CrudOptions, crud
from shared.stream.flavors.materialize import MaterializeOptions, materialize
from tests.conftest import Aws, free_port
from tests.fakes import FakeArchive

BATCHES = 5
BATCH_SIZE = 1000
TAGS: dict[str, str | int] = {
    "source": "bench",
    "stage": "bench",
    "region": "us-east-1",
    "functionname": "bench",
}


def main() -> None:
    port = free_port()
    server = moto_server.start("127.0.0.1", port)
    aws = Aws(f"http://127.0.0.1:{port}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            listener_figures(aws, Path(folder))
        core_figures()
        trigger_figures(aws)
    finally:
        server.stop()


def listener_figures(aws: Aws, folder: Path) -> None:
    documents = list(submissions(BATCHES * BATCH_SIZE))
    events = [
        kinesis_event(documents[n : n + BATCH_SIZE], first_sequence=n + 1)
        for n in range(0, len(documents), BATCH_SIZE)
    ]

    ours_client = aws.client("dynamodb")
    ours_table = create_table(aws, "ours")
    meter = DynamoMeter(ours_client)
    archive = open_archive(f"sqlite:///{folder}/ours.db")
    archive.migrate()
    archive_calls = count_archive_calls(archive)
    options = MaterializeOptions(store=DynamoListStore(ours_client, ours_table), archive=archive)
    stream = KinesisStream(aws.client("kinesis"), create_stream(aws))
    run = listener(options, stream, TAGS)
    ours = measure(lambda event: batch_response(run(from_kinesis(event))), events)

    theirs_client = aws.client("dynamodb")
    theirs_meter = DynamoMeter(theirs_client)
    sample_archive = sqlite3.connect(folder / "sample.db", check_same_thread=False)
    sample_archive.execute("CREATE TABLE archive (id TEXT PRIMARY KEY, document TEXT)")
    sample_calls = [0]

    def insert(record: dict[str, Any]) -> None:
        sample_calls[0] += 1
        data = base64.b64decode(record["kinesis"]["data"]).decode()
        sample_archive.execute("INSERT INTO archive VALUES (?, ?)", (record["eventID"], data))
        sample_archive.commit()

    sample = SampleListener(theirs_client, create_table(aws, "sample"), insert)
    theirs = measure(sample.handle, events)

    records = len(documents)
    print(f"\n1. Listener, {BATCHES} batches of {BATCH_SIZE} records (Zipf over 50 titles x 500 users), moto")
    table(
        [
            ("", "ours", "sample", "ratio"),
            (
                "DynamoDB requests / batch",
                meter.total_requests / BATCHES,
                theirs_meter.total_requests / BATCHES,
                meter.total_requests / theirs_meter.total_requests,
            ),
            (
                "write units / batch",
                meter.write_units / BATCHES,
                theirs_meter.write_units / BATCHES,
                meter.write_units / theirs_meter.write_units,
            ),
            (
                "archive round trips / batch",
                archive_calls[0] / BATCHES,
                sample_calls[0] / BATCHES,
                archive_calls[0] / sample_calls[0],
            ),
            ("seconds / batch (median)", ours["median"], theirs["median"], ours["median"] / theirs["median"]),
            (
                "records / second",
                records / ours["total"],
                records / theirs["total"],
                theirs["total"] / ours["total"],
            ),
        ]
    )
    print(f"   our requests by operation: {dict(meter.requests)}")
    check_same_state(aws, ours_table)


def core_figures() -> None:
    documents = list(submissions(20_000, seed=11))
    events = [
        kinesis_event(documents[n : n + BATCH_SIZE], first_sequence=n + 1)
        for n in range(0, len(documents), BATCH_SIZE)
    ]
    decode = measure(from_kinesis, events, memory=True)

    def fold(event: dict[str, Any]) -> None:
        # A fresh table each time, so the memory pass does the same work as the timed one.
        step = materialize(RULES, MaterializeOptions(store=MemoryListStore(), archive=FakeArchive()))
        step(from_kinesis(event))

    full = measure(fold, events, memory=True)
    records = len(documents)
    print(f"\n2. Listener core without I/O (decode, validate, fold, in-memory table), {records} records")
    table(
        [
            ("", "decode only", "decode+validate+fold", "ratio"),
            (
                "records / second",
                records / decode["total"],
                records / full["total"],
                decode["total"] / full["total"],
            ),
            (
                "microseconds / record",
                decode["total"] / records * 1e6,
                full["total"] / records * 1e6,
                full["total"] / decode["total"],
            ),
            (
                "peak Python memory, MiB",
                decode["peak"] / 2**20,
                full["peak"] / 2**20,
                full["peak"] / decode["peak"],
            ),
        ]
    )


def trigger_figures(aws: Aws) -> None:
    changes = []
    for n in range(500):
        item = {
            "pk": f"L#title {n % 20}",
            "sk": f"U#user {n}",
            "kind": "user-list",
            "title": f"title {n % 20}",
            "user": f"user {n}",
            "type": "tally",
            "entries": {"xp": n},
            "updatedAt": n,
            "version": 1,
        }
        changes.append(
            dynamodb_record("INSERT", {"pk": item["pk"], "sk": item["sk"]}, new=item, sequence_number=n + 1)
        )
    event = {"Records": changes}
    kinesis = aws.client("kinesis")
    calls = [0]
    kinesis.meta.events.register("before-call.kinesis", lambda **_: calls.__setitem__(0, calls[0] + 1))
    stream = KinesisStream(kinesis, create_stream(aws))
    run = crud(TRIGGER_RULES, CrudOptions(stream=stream, tags=TAGS))
    ours = measure(lambda e: batch_response(run(from_dynamodb(e))), [event] * 3)
    ours_calls = calls[0] / 3

    calls[0] = 0
    # The baseline publishes the very same events, one PutRecord each.
    published = [
        u.published for u in crud(TRIGGER_RULES, CrudOptions(stream=_Null(), tags=TAGS))(from_dynamodb(event))
    ]

    def one_by_one(_: Any) -> None:
        for entry in published:
            assert entry is not None
            kinesis.put_record(
                StreamName=stream.stream_name,
                PartitionKey=entry["partitionKey"],
                Data=json.dumps(entry, default=str).encode(),
            )

    theirs = measure(one_by_one, [event] * 3)
    print("\n3. Trigger, a batch of 500 table changes (20 titles), moto")
    table(
        [
            ("", "PutRecords, ordered", "PutRecord each", "ratio"),
            ("Kinesis calls / batch", ours_calls, calls[0] / 3, ours_calls / (calls[0] / 3)),
            ("seconds / batch (median)", ours["median"], theirs["median"], ours["median"] / theirs["median"]),
        ]
    )


class _Null:
    def put_records(self, records: Sequence[tuple[str, bytes]]) -> list[str | None]:
        return [None] * len(records)


def measure(function: Callable[[Any], Any], inputs: list[Any], memory: bool = False) -> dict[str, float]:
    """Median and total seconds over `inputs`; with `memory`, the peak of Python allocations in a
    second pass (tracing slows everything down; and only where no in-process moto server runs,
    whose allocations it would count)."""
    durations = []
    for value in inputs:
        started = time.perf_counter()
        function(value)
        durations.append(time.perf_counter() - started)
    peak = 0
    if memory:
        tracemalloc.start()
        for value in inputs:
            function(value)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {"median": statistics.median(durations), "total": sum(durations), "peak": float(peak)}


def count_archive_calls(archive: Any) -> list[int]:
    calls = [0]
    record = archive.record

    def counted(rows: Any) -> None:
        calls[0] += 1
        record(rows)

    archive.record = counted
    return calls


def create_table(aws: Aws, name: str) -> str:
    table_name = f"bench-{name}-{uuid.uuid4().hex[:6]}"
    aws.client("dynamodb").create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return table_name


def create_stream(aws: Aws) -> str:
    name = f"bench-{uuid.uuid4().hex[:6]}"
    aws.client("kinesis").create_stream(StreamName=name, ShardCount=1)
    return name


def check_same_state(aws: Aws, ours: str) -> None:
    """Both sides computed the same aggregates (the sample is only wrong under failures)."""
    lists = DynamoListStore(aws.client("dynamodb"), ours).lists()
    titles = sum(1 for stored in lists if stored.user is None and stored.value is not None)
    print(f"   {titles} titles materialized")


def table(rows: list[tuple[Any, ...]]) -> None:
    for row in rows:
        cells = [f"{cell:,.3f}" if isinstance(cell, float) else str(cell) for cell in row]
        print("   " + cells[0].ljust(30) + "".join(cell.rjust(22) for cell in cells[1:]))


if __name__ == "__main__":
    main()
