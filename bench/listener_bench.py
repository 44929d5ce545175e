"""The listener against the sample's algorithm and a Powertools listener, on moto.

Every side gets the same records, in batches of the same size. Requests and write units are
counted at each side's client (bench/meter.py); archive round trips at each archive. The
baselines apply records one at a time, so their cost per record does not depend on how many run:
they run on the first `baseline_records` records, ours on all of them (costs are given per 1,000
records). CPU is the handler thread's own (time.thread_time: moto serves from other threads), less
what the meter itself spends sizing the items it counts.
"""

import base64
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.meter import DynamoMeter
from bench.powertools_listener import PowertoolsListener
from bench.results import Figure, cost, rate
from bench.sample_listener import SampleListener
from bench.workload import submissions
from services.listener.function import listener
from shared import collector
from shared.adapters.aws import client_config
from shared.adapters.dynamodb import DynamoListStore
from shared.adapters.dynamodb.requests import write_plainly
from shared.adapters.kinesis import KinesisStream
from shared.adapters.sql_archive import open_archive
from shared.bootstrap import Ports
from shared.clock import now_ms
from shared.events.testing import kinesis_event
from shared.lists.dedup import HOUR_MS
from shared.settings import ClientLimits
from shared.stream.batch import batch_response
from shared.stream.decoders import from_kinesis
from tests.support.aws import Aws

TAGS: dict[str, str | int] = {
    "source": "bench",
    "stage": "bench",
    "region": "us-east-1",
    "functionname": "bench",
}
ARRIVAL = 1_700_000_000.0


@dataclass
class Run:
    records: int
    requests: int
    write_units: int
    read_units: float
    archive_calls: int
    seconds: float
    cpu_seconds: float

    def per_1000(self, value: float) -> float:
        return value * 1000 / self.records

    def describe(self) -> str:
        return (
            f"{self.records} records; per 1,000: {self.per_1000(self.requests):.1f} requests,"
            f" {self.per_1000(self.write_units):.1f} WU, {self.per_1000(self.read_units):.1f} RU,"
            f" {self.per_1000(self.archive_calls):.1f} archive calls;"
            f" {self.records / self.seconds:.0f} records/s;"
            f" CPU {self.cpu_seconds / self.records * 1e6:.0f} µs/record"
        )


def events(documents: list[dict[str, Any]], batch_size: int, first: int = 1) -> list[dict[str, Any]]:
    # Arrival now, so a change's timestamp is within the stream's retention of the clock.
    arrival = time.time()
    return [
        kinesis_event(documents[n : n + batch_size], first_sequence=first + n, arrival=arrival)
        for n in range(0, len(documents), batch_size)
    ]


def timed(handle: Callable[[Any], Any], batches: list[dict[str, Any]]) -> tuple[float, float]:
    wall = cpu = 0.0
    for batch in batches:
        started, started_cpu = time.perf_counter(), time.thread_time()
        handle(batch)
        wall += time.perf_counter() - started
        cpu += time.thread_time() - started_cpu
    return wall, cpu


def run_ours(
    aws: Aws,
    folder: Path,
    batches: list[dict[str, Any]],
    table: str | None = None,
    clock: Callable[[int], int] | None = None,
) -> Run:
    """Our listener on `batches`; `clock`, given a batch's number, says when that batch runs
    (epoch ms; now if not given)."""
    # The client as the listener makes it in AWS (shared/adapters/aws.py).
    client = write_plainly(aws.client("dynamodb", client_config(ClientLimits())))
    table = table or create_table(aws, "ours")
    archive = open_archive(f"sqlite:///{folder}/ours-{uuid.uuid4().hex[:6]}.db")
    archive.migrate()
    calls = [0]
    record = archive.record

    def counted(rows: Any) -> None:
        calls[0] += 1
        record(rows)

    archive.record = counted  # type: ignore[method-assign]
    meter = DynamoMeter(client)
    batch_number = [0]
    ports = Ports(
        store=DynamoListStore(client, table),
        archive=archive,
        stream=KinesisStream(aws.client("kinesis"), create_stream(aws)),
        clock=lambda: clock(batch_number[0]) if clock else now_ms(),
    )
    run = listener(ports, TAGS)

    def handle(event: dict[str, Any]) -> None:
        with collector.batch():  # as the listener's handler runs a batch (shared/bootstrap.py)
            batch_response(run(from_kinesis(event)))
        batch_number[0] += 1

    wall, cpu = timed(handle, batches)
    cpu -= meter.cpu_seconds
    records = sum(len(batch["Records"]) for batch in batches)
    return Run(records, meter.total_requests, meter.write_units, meter.read_units, calls[0], wall, cpu)


def sqlite_archive(folder: Path, name: str) -> tuple[Callable[[str, bytes], None], list[int]]:
    """One INSERT and commit per record, as the sample and the Powertools listener archive."""
    connection = sqlite3.connect(folder / f"{name}-{uuid.uuid4().hex[:6]}.db", check_same_thread=False)
    connection.execute("CREATE TABLE archive (id TEXT PRIMARY KEY, document BLOB)")
    calls = [0]

    def insert(event_id: str, document: bytes) -> None:
        calls[0] += 1
        connection.execute("INSERT OR IGNORE INTO archive VALUES (?, ?)", (event_id, document))
        connection.commit()

    return insert, calls


def run_sample(aws: Aws, folder: Path, batches: list[dict[str, Any]]) -> Run:
    client = aws.client("dynamodb")
    insert, calls = sqlite_archive(folder, "sample")
    meter = DynamoMeter(client)
    sample = SampleListener(
        client,
        create_table(aws, "sample"),
        lambda record: insert(record["eventID"], base64.b64decode(record["kinesis"]["data"])),
    )
    wall, cpu = timed(sample.handle, batches)
    cpu -= meter.cpu_seconds
    records = sum(len(batch["Records"]) for batch in batches)
    return Run(records, meter.total_requests, meter.write_units, meter.read_units, calls[0], wall, cpu)


def run_powertools(aws: Aws, folder: Path, batches: list[dict[str, Any]], held: int = 0) -> Run:
    client = aws.client("dynamodb")
    insert, calls = sqlite_archive(folder, "powertools")
    idempotency = create_idempotency_table(aws)
    side = PowertoolsListener(client, create_table(aws, "powertools"), idempotency, insert)
    meter = DynamoMeter(client)
    wall, cpu = timed(side.handle, batches)
    cpu -= meter.cpu_seconds
    records = sum(len(batch["Records"]) for batch in batches)
    return Run(records, meter.total_requests, meter.write_units, meter.read_units, calls[0], wall, cpu)


def figures(aws: Aws, folder: Path, ours_records: int, baseline_records: int) -> list[Figure]:
    documents = list(submissions(ours_records))
    found: list[Figure] = []
    for batch_size, suffix in ((1000, ""), (100, "_b100")):
        ours = run_ours(aws, folder, events(documents, batch_size))
        baseline_batches = events(documents[:baseline_records], batch_size)
        sample = run_sample(aws, folder, baseline_batches)
        powertools = run_powertools(aws, folder, baseline_batches)
        for name, theirs in (("sample", sample), ("powertools", powertools)):
            found += [
                cost(
                    f"listener_requests_per_1000_vs_{name}{suffix}",
                    "DynamoDB requests / 1,000 records",
                    ours.per_1000(ours.requests),
                    theirs.per_1000(theirs.requests),
                ),
                cost(
                    f"listener_write_units_per_1000_vs_{name}{suffix}",
                    "write units / 1,000 records",
                    ours.per_1000(ours.write_units),
                    theirs.per_1000(theirs.write_units),
                ),
            ]
        found.append(
            cost(
                f"listener_read_units_per_1000{suffix}",
                "read units / 1,000 records (vs the sample)",
                ours.per_1000(ours.read_units),
                sample.per_1000(sample.read_units),
            )
        )
        for name, theirs in (("sample", sample), ("powertools", powertools)):
            found.append(
                rate(
                    f"listener_records_per_s_vs_{name}{suffix}",
                    "records / s (moto's)",
                    ours.records / ours.seconds,
                    theirs.records / theirs.seconds,
                )
            )
        found.append(
            cost(
                f"listener_cpu_us_per_record{suffix}",
                "CPU µs / record (vs Powertools)",
                ours.cpu_seconds / ours.records * 1e6,
                powertools.cpu_seconds / powertools.records * 1e6,
            )
        )
        for name, side in (("ours", ours), ("sample", sample), ("powertools", powertools)):
            print(f"   b{batch_size} {name}: {side.describe()}", flush=True)
    return found


def hot_list(aws: Aws, folder: Path, records: int, baseline_records: int) -> list[Figure]:
    """One user list receiving every record, in batches of 1,000, measured once it is hot (two
    batches in): every write moves the outcomes of the batch before it out to change items of
    their own, and its filters of those fill up to their bound."""
    documents = [
        {"title": "hot", "user": "one", "type": "tally", "entries": {"xp": n % 7}}
        for n in range(records + 2000)
    ]
    table = create_table(aws, "hot")
    run_ours(aws, folder, events(documents[:2000], 1000), table)
    ours = run_ours(aws, folder, events(documents[2000:], 1000, first=10**6), table)
    sample = run_sample(aws, folder, events(documents[:baseline_records], 1000))
    print(f"   hot list ours: {ours.describe()}\n   hot list sample: {sample.describe()}", flush=True)
    return [
        cost(
            "listener_write_units_per_1000_hot_list",
            "write units / 1,000 records, one user list (vs the sample)",
            ours.per_1000(ours.write_units),
            sample.per_1000(sample.write_units),
        ),
        cost(
            "listener_read_units_per_1000_hot_list",
            "read units / 1,000 records, one user list (vs the sample)",
            ours.per_1000(ours.read_units),
            sample.per_1000(sample.read_units),
        ),
    ]


def steady(aws: Aws, folder: Path, records: int, held_records: int) -> list[Figure]:
    """Write and read units per record on a table that already holds 25 hours of outcomes: the
    workload's lists and `held_records` earlier records of the same workload under other ids,
    decided at times spread over the last 25 hours (so their outcomes fill the user lists' items
    and move out as they would in a day of traffic), against the same records on an empty table."""
    documents = list(submissions(records))
    empty = run_ours(aws, folder, events(documents, 1000))
    table = create_table(aws, "steady")
    earlier = list(submissions(held_records, seed=11))
    batches = events(earlier, 1000, first=10**9)
    now = now_ms()
    run_ours(
        aws,
        folder,
        batches,
        table,
        clock=lambda n: now - (len(batches) - n) * 24 * HOUR_MS // len(batches),
    )
    held = run_ours(aws, folder, events(documents, 1000, first=2 * 10**9), table)
    print(
        f"   steady: {held_records} earlier records held, WU/record {held.write_units / held.records:.3f}"
        f" (empty table {empty.write_units / empty.records:.3f}),"
        f" RU/record {held.read_units / held.records:.3f} (empty {empty.read_units / empty.records:.3f})",
        flush=True,
    )
    return [
        cost(
            "listener_write_units_per_record_steady",
            "write units / record, 25 h of outcomes held (vs an empty table)",
            held.write_units / held.records,
            empty.write_units / empty.records,
        ),
        cost(
            "listener_read_units_per_record_steady",
            "read units / record, 25 h of outcomes held (vs an empty table)",
            held.read_units / held.records,
            empty.read_units / empty.records,
        ),
    ]


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


def create_idempotency_table(aws: Aws) -> str:
    """The table Powertools' DynamoDB persistence layer expects by default: `id` as the key."""
    table_name = f"bench-idempotency-{uuid.uuid4().hex[:6]}"
    aws.client("dynamodb").create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return table_name


def create_stream(aws: Aws) -> str:
    name = f"bench-{uuid.uuid4().hex[:6]}"
    aws.client("kinesis").create_stream(StreamName=name, ShardCount=1)
    return name
