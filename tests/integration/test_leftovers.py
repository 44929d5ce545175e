"""What a stop saves (unfinished stream records, failure-queue messages) comes back whole at the
next start, and a bare submission keeps the event id it had."""

import json
import uuid
from pathlib import Path
from typing import Any

from listmgr.runtime import leftovers
from listmgr.runtime.functions import LocalFunction
from listmgr.runtime.mappings.mapping import EventSourceMapping
from listmgr.runtime.mappings.sources import StreamSource
from shared.events.codec import dumps, loads
from tests.support.aws import ROOT, Aws

SUBMISSION = {"title": "t", "user": "u", "type": "tally", "entries": {"x": 1}}
ENVELOPE = {
    "id": "e-1",
    "type": "list-delete-submitted",
    "timestamp": 1,
    "update": {"title": "t", "user": "u"},
}


def make_resources(aws: Aws, stream: str, queue: str) -> tuple[str, str]:
    kinesis, sqs = aws.client("kinesis"), aws.client("sqs")
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    stream_arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return stream_arn, queue_arn


def records(aws: Aws, stream: str) -> list[dict[str, Any]]:
    kinesis = aws.client("kinesis")
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    found: list[dict[str, Any]] = kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return found


def test_saved_records_and_messages_are_put_back(aws: Aws, tmp_path: Path) -> None:
    stream, queue = f"leftovers-{uuid.uuid4().hex[:8]}", f"failures-{uuid.uuid4().hex[:8]}"
    stream_arn, queue_arn = make_resources(aws, stream, queue)
    kinesis, sqs = aws.client("kinesis"), aws.client("sqs")
    for data in (dumps(SUBMISSION).encode(), dumps(ENVELOPE).encode(), b"not json"):
        kinesis.put_record(StreamName=stream, PartitionKey="pk", Data=data)
    old = records(aws, stream)
    queue_url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    for body in ('{"failure": 1}', '{"failure": 2}'):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    clients = {name: aws.client(name) for name in ("kinesis", "dynamodbstreams", "sqs", "sns")}
    mapping = EventSourceMapping(
        StreamSource(function_key="listener", kind="kinesis", arn=stream_arn, on_failure=queue_arn),
        LocalFunction("f", "listener", "handler.handle", ROOT, aws.region),
        clients,
        aws.region,
    )

    assert leftovers.save(tmp_path, [mapping], clients) == leftovers.Saved(records=3, messages=2)

    # What a restart of the in-process endpoint amounts to: the same names, made again, empty.
    kinesis.delete_stream(StreamName=stream)
    sqs.delete_queue(QueueUrl=queue_url)
    make_resources(aws, stream, queue)
    assert leftovers.restore(tmp_path, clients) == leftovers.Saved(records=3, messages=2)
    assert not any(tmp_path.iterdir())

    submitted, envelope, garbage = (record["Data"] for record in records(aws, stream))
    assert loads(submitted) == {
        "id": f"shardId-000000000000:{old[0]['SequenceNumber']}",
        "type": "list-update-submitted",
        "timestamp": round(old[0]["ApproximateArrivalTimestamp"].timestamp() * 1000),
        "partitionKey": "pk",
        "tags": {"source": "kinesis"},
        "update": SUBMISSION,
    }
    assert (envelope, garbage) == (old[1]["Data"], b"not json")
    new_url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    bodies = [
        json.loads(message["Body"])
        for message in sqs.receive_message(QueueUrl=new_url, MaxNumberOfMessages=10)["Messages"]
    ]
    assert sorted(body["failure"] for body in bodies) == [1, 2]
    assert leftovers.restore(tmp_path, clients) == leftovers.Saved(records=0, messages=0)
