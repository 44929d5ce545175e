"""The event stream's contract, held by both implementations of the port: the in-memory one the
unit tests use and the Kinesis connector on moto (a stream of two shards). The same tests run
against each, so the in-memory stream cannot drift from what Kinesis takes and refuses."""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from shared.adapters.kinesis import KinesisStream
from shared.stream.memory import MemoryStream
from shared.stream.publish import (
    MAX_BYTES_PER_CALL,
    MAX_RECORD_BYTES,
    MAX_RECORDS_PER_CALL,
    Stream,
    StreamUnavailable,
)
from tests.support.aws import Aws

Record = tuple[str, bytes]


@dataclass(frozen=True)
class OnStream:
    stream: Stream
    stored: Callable[[], list[Record]]
    """Every record the stream holds, as (partition key, data), in order within each key."""


@pytest.fixture(params=["memory", "kinesis"])
def on(request: pytest.FixtureRequest) -> Iterator[OnStream]:
    if request.param == "memory":
        memory = MemoryStream()
        yield OnStream(memory, lambda: list(memory.records))
        return
    aws: Aws = request.getfixturevalue("aws")
    kinesis = aws.client("kinesis")
    name = f"contract-{uuid.uuid4().hex[:10]}"
    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    yield OnStream(KinesisStream(kinesis, name), lambda: _read(kinesis, name))
    kinesis.delete_stream(StreamName=name)


def _read(kinesis: Any, name: str) -> list[Record]:
    records: list[Record] = []
    for shard in kinesis.list_shards(StreamName=name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            answer = kinesis.get_records(ShardIterator=iterator)
            records += [(record["PartitionKey"], record["Data"]) for record in answer["Records"]]
            iterator = answer.get("NextShardIterator") if answer["Records"] else None
    return records


def by_key(records: list[Record]) -> dict[str, list[bytes]]:
    keyed: dict[str, list[bytes]] = {}
    for key, data in records:
        keyed.setdefault(key, []).append(data)
    return keyed


def test_every_record_of_a_call_is_stored_exactly_in_order_within_its_key(on: OnStream) -> None:
    first = [
        ("a", b"a1"),
        ("b", b"b1"),
        ("a", b"a2"),
        ("\u00e9/🎬 #", "é🎬".encode()),
        ("b", bytes(range(256))),
    ]
    assert on.stream.put_records(first) == [None] * len(first)
    assert on.stream.put_records([("a", b"a3"), ("b", b"")]) == [None, None]
    assert by_key(on.stored()) == {
        "a": [b"a1", b"a2", b"a3"],
        "b": [b"b1", bytes(range(256)), b""],
        "\u00e9/🎬 #": ["é🎬".encode()],
    }


def test_a_call_at_the_limits_is_stored_whole(on: OnStream) -> None:
    many = [(f"k{n % 7}", str(n).encode()) for n in range(MAX_RECORDS_PER_CALL)]
    assert on.stream.put_records(many) == [None] * MAX_RECORDS_PER_CALL
    largest = ("k", b"x" * (MAX_RECORD_BYTES - 1))
    assert on.stream.put_records([largest]) == [None]
    full = [(f"k{n}", b"x" * (MAX_BYTES_PER_CALL // 5 - 2)) for n in range(5)]
    assert on.stream.put_records(full) == [None] * 5
    assert len(on.stored()) == MAX_RECORDS_PER_CALL + 1 + 5


@pytest.mark.parametrize(
    "call",
    [
        pytest.param([("k", b"x")] * (MAX_RECORDS_PER_CALL + 1), id="one-record-too-many"),
        pytest.param([("a", b"small"), ("k", b"x" * MAX_RECORD_BYTES)], id="one-record-too-large"),
        pytest.param(
            [(f"k{n}", b"x" * (MAX_BYTES_PER_CALL // 6 + 1)) for n in range(6)], id="too-many-bytes"
        ),
    ],
)
def test_a_call_over_the_limits_is_refused_whole(on: OnStream, call: list[Record]) -> None:
    with pytest.raises(StreamUnavailable, match="PutRecords"):
        on.stream.put_records(call)
    assert on.stored() == []
