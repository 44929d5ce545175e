"""The local endpoint's Kinesis under concurrent writers: every acknowledged record is on the
stream, once (listmgr/endpoint/moto_server.py says what moto does without the lock)."""

import threading
import uuid

from tests.support.aws import Aws

WRITERS = 4
CALLS = 40
PER_CALL = 25


def test_concurrent_put_records_lose_no_acknowledged_record(aws: Aws) -> None:
    kinesis = aws.client("kinesis")
    name = "concurrency-" + uuid.uuid4().hex[:8]
    kinesis.create_stream(StreamName=name, ShardCount=1)
    acknowledged: list[str] = []
    lock = threading.Lock()

    def write(writer: int) -> None:
        client = aws.client("kinesis")
        for call in range(CALLS):
            entries = [
                {"Data": f"{writer}-{call}-{n}".encode(), "PartitionKey": "one shard"}
                for n in range(PER_CALL)
            ]
            answer = client.put_records(StreamName=name, Records=entries)
            with lock:
                acknowledged.extend(r["SequenceNumber"] for r in answer["Records"] if "SequenceNumber" in r)

    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=120)

    shard = kinesis.list_shards(StreamName=name)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    stored = kinesis.get_records(ShardIterator=iterator, Limit=10_000)["Records"]
    assert len(acknowledged) == len(set(acknowledged)) == WRITERS * CALLS * PER_CALL
    assert sorted(record["Data"].decode() for record in stored) == sorted(
        f"{w}-{c}-{n}" for w in range(WRITERS) for c in range(CALLS) for n in range(PER_CALL)
    )
