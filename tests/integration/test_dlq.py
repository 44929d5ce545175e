"""The on-failure queue against moto: failure records read back with the stream records they point
at, re-driven to their function, and deleted only once the function took every record."""

import io
import json
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from listmgr.cli import main as cli
from services.admin.failed_batches import FailedBatch, failed_batch, fetch
from services.admin.function import failure_queue_action, failure_target
from services.admin.redrive import FailureQueue, Invoked, lambda_invoke, redrive_queue
from shared.adapters.sql_archive import Archive, open_archive
from shared.settings import Settings
from shared.stream.decoders import from_dynamodb
from tests.samples import WORKED_EXAMPLE
from tests.support.aws import Aws, Deployed
from tests.support.harness import Harness

FUNCTION = "dlqtest-dev-listener"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:000000000000:function:{FUNCTION}"


def failure_record(stream_arn: str, shard: str, start: str, end: str, size: int) -> dict[str, Any]:
    """What Lambda sends to an on-failure destination for a Kinesis batch (docs TOOLING.md)."""
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": FUNCTION_ARN,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 3,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-12-01T20:00:00.000Z",
        "KinesisBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": start,
            "endSequenceNumber": end,
            "approximateArrivalOfFirstRecord": "2026-12-01T19:59:58.000Z",
            "approximateArrivalOfLastRecord": "2026-12-01T19:59:58.000Z",
            "batchSize": size,
            "streamArn": stream_arn,
        },
    }


class Stream:
    def __init__(self, aws: Aws, name: str) -> None:
        self.kinesis = aws.client("kinesis")
        self.name = name
        summary = self.kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        self.arn: str = summary["StreamARN"]

    def put(self, documents: Sequence[dict[str, Any]]) -> tuple[str, list[str]]:
        """Puts `documents` on the stream; their shard and sequence numbers."""
        shard, numbers = "", []
        for document in documents:
            put = self.kinesis.put_record(
                StreamName=self.name, Data=json.dumps(document).encode(), PartitionKey="one-shard"
            )
            shard = put["ShardId"]
            numbers.append(put["SequenceNumber"])
        return shard, numbers


def report(deployed: Deployed, stream: Stream, documents: Sequence[dict[str, Any]]) -> tuple[str, list[str]]:
    """Puts `documents` on the stream and a failure record of them on the queue; the queue URL
    and the records' sequence numbers."""
    shard, numbers = stream.put(documents)
    sqs = deployed.aws.client("sqs")
    url: str = sqs.get_queue_url(QueueName=deployed.queue_name)["QueueUrl"]
    record = failure_record(stream.arn, shard, numbers[0], numbers[-1], len(numbers))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))
    return url, numbers


def test_a_redrive_after_the_archive_is_back_applies_the_batch_and_deletes_the_message(
    harness: Harness, deployed: Deployed
) -> None:
    stream = Stream(deployed.aws, deployed.stream_name)
    url, _ = report(deployed, stream, WORKED_EXAMPLE)
    queue = FailureQueue(deployed.aws.client("sqs"), url)
    clients = {"kinesis": stream.kinesis}
    archives = [open_archive("mysql://root@127.0.0.1:1/nowhere"), harness.archive]

    def listener(_: FailedBatch, event: dict[str, Any]) -> Invoked:
        return Invoked(None, harness.run(json.loads(json.dumps(event)), archive=archives[0]))

    (kept,) = redrive_queue(queue, clients, "us-east-1", listener)
    assert not kept.deleted and kept.detail.startswith("kept: the function failed from record")
    assert [batch.message_id for batch in queue.peek()] == [kept.message_id]
    assert harness.aggregate("stats") is None

    archives.pop(0)  # the archive is back
    (done,) = redrive_queue(queue, clients, "us-east-1", listener)
    assert (done.message_id, done.deleted, done.records) == (kept.message_id, True, 4)
    assert queue.peek() == []
    stats = harness.aggregate("stats")
    assert stats is not None and stats["entries"] == {"xp": 108} and harness.archive.count() == 4


HANDLER = """
import json
import pathlib

HERE = pathlib.Path(__file__).parent


def handle(event, context):
    numbers = [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
    if (HERE / "broken").exists():
        raise RuntimeError("the archive is down")
    if (HERE / "partial").exists():
        return {"batchItemFailures": [{"itemIdentifier": numbers[1]}]}
    with (HERE / "received.jsonl").open("a") as file:
        file.write(json.dumps(numbers) + "\\n")
    return {"batchItemFailures": []}
"""


@pytest.fixture
def project(tmp_path: Path, deployed: Deployed, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose `listener` fails while a file says so, and a stack.json for it."""
    module = f"dlq_fixture_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(HANDLER)
    (tmp_path / "serverless.yml").write_text(
        "service: dlqtest\nprovider:\n  name: aws\n  runtime: python3.12\n"
        f"functions:\n  listener:\n    handler: {module}.handle\n"
    )
    sqs = deployed.aws.client("sqs")
    stack = {
        "aws_endpoint_url": deployed.aws.endpoint_url,
        "region": "us-east-1",
        "stage": "dev",
        "config": str(tmp_path / "serverless.yml"),
        "failure_queue_url": sqs.get_queue_url(QueueName=deployed.queue_name)["QueueUrl"],
        "functions": {"listener": FUNCTION},
        "environment": {},
    }
    (tmp_path / ".listmgr").mkdir()
    (tmp_path / ".listmgr" / "stack.json").write_text(json.dumps(stack))
    # `dlq redrive` sets the stack's AWS environment, as `listmgr invoke` does: restored after.
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    return tmp_path


def listmgr(project: Path, capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = cli.main(["--state-dir", str(project / ".listmgr"), *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_and_show_print_each_failure_with_the_records_it_points_at(
    project: Path, deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = Stream(deployed.aws, deployed.stream_name)
    assert listmgr(project, capsys, "dlq", "list") == (0, "the failure queue is empty\n", "")
    _, numbers = report(deployed, stream, WORKED_EXAMPLE[:2])
    shard, _ = stream.put(WORKED_EXAMPLE[2:3])  # after the batch: not shown with it

    code, out, _ = listmgr(project, capsys, "dlq", "list")
    assert code == 0
    (listed,) = out.splitlines()
    message_id = listed.split()[0]
    assert listed.split()[1:] == [
        "2026-12-01T20:00:00.000Z",
        FUNCTION,
        "kinesis",
        shard,
        f"{numbers[0]}..{numbers[1]}",
        "2",
        "records",
        "RetryAttemptsExhausted,",
        "3",
        "invocations",
    ]

    code, out, _ = listmgr(project, capsys, "dlq", "show", message_id[:8])
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == listed
    assert "records (2 of 2 on the stream):" in lines
    shown = [json.loads(line) for line in lines[lines.index("records (2 of 2 on the stream):") + 1 :]]
    assert [record["data"] for record in shown] == WORKED_EXAMPLE[:2]
    assert [record["sequenceNumber"] for record in shown] == numbers
    document = json.loads("\n".join(lines[1 : lines.index("records (2 of 2 on the stream):")]))
    assert document["KinesisBatchInfo"]["batchSize"] == 2
    # Listing and showing leave the message where it was.
    assert listmgr(project, capsys, "dlq", "list")[1] == listed + "\n"


def test_show_says_when_the_records_have_left_the_stream(
    project: Path, deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = Stream(deployed.aws, deployed.stream_name)
    shard, numbers = stream.put(WORKED_EXAMPLE[:1])
    sqs = deployed.aws.client("sqs")
    url = sqs.get_queue_url(QueueName=deployed.queue_name)["QueueUrl"]
    gone = str(int(numbers[0]) + 1000)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(failure_record(stream.arn, shard, gone, gone, 1)))
    code, out, _ = listmgr(
        project, capsys, "dlq", "show", listmgr(project, capsys, "dlq", "list")[1].split()[0]
    )
    assert code == 0
    assert "records (0 of 1 on the stream):" in out
    assert "note: 1 of 1 records are no longer on the stream" in out
    code, out, _ = listmgr(project, capsys, "dlq", "redrive")
    assert code == 1 and ": kept: 1 of 1 records are no longer on the stream" in out


def test_redrive_keeps_the_message_while_the_function_fails_and_deletes_it_once_it_succeeds(
    project: Path, deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = Stream(deployed.aws, deployed.stream_name)
    report(deployed, stream, WORKED_EXAMPLE)
    message_id = listmgr(project, capsys, "dlq", "list")[1].split()[0]

    (project / "broken").touch()
    code, out, _ = listmgr(project, capsys, "dlq", "redrive")
    assert (code, out) == (
        1,
        f"{message_id}: kept: the function failed (Unhandled: RuntimeError: the archive is down)\n",
    )
    (project / "broken").unlink()
    (project / "partial").touch()
    code, out, _ = listmgr(project, capsys, "dlq", "redrive", message_id)
    assert code == 1 and out.startswith(f"{message_id}: kept: the function failed from record ")
    assert listmgr(project, capsys, "dlq", "list")[1].split()[0] == message_id
    assert not (project / "received.jsonl").exists()

    (project / "partial").unlink()
    code, out, _ = listmgr(project, capsys, "dlq", "redrive")
    assert (code, out) == (0, f"{message_id}: re-driven: 4 records, message deleted\n")
    assert listmgr(project, capsys, "dlq", "list")[1] == "the failure queue is empty\n"
    (received,) = (project / "received.jsonl").read_text().splitlines()
    assert len(json.loads(received)) == 4


class FakeLambda:
    """Lambda Invoke, answered by the listener over the harness with the archive of the moment."""

    def __init__(self, harness: Harness, archive: Archive) -> None:
        self.harness, self.archive = harness, archive
        self.invoked: list[str] = []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: str) -> dict[str, Any]:  # noqa: N803
        self.invoked.append(FunctionName)
        body = self.harness.run(json.loads(Payload), archive=self.archive)
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(body).encode())}


def test_the_admin_function_lists_and_redrives_through_lambda_invoke(
    harness: Harness, deployed: Deployed
) -> None:
    stream = Stream(deployed.aws, deployed.stream_name)
    url, _ = report(deployed, stream, WORKED_EXAMPLE)
    queue = FailureQueue(deployed.aws.client("sqs"), url)
    fake = FakeLambda(harness, open_archive("mysql://root@127.0.0.1:1/nowhere"))
    target = (queue, {"kinesis": stream.kinesis}, "us-east-1", lambda_invoke(fake))

    listed = failure_queue_action({"action": "failures"}, target)
    (failure,) = listed["failures"]
    assert listed["ok"] and failure["function"] == FUNCTION and failure["batchSize"] == 4
    assert listed["inFlight"] == {"count": 0, "visibilityTimeout": 30}
    assert failure_queue_action({"action": "redrive", "id": "nope"}, target) == {
        "action": "redrive",
        "ok": False,
        "error": "no message on the failure queue with an id starting 'nope'",
    }
    kept = failure_queue_action({"action": "redrive"}, target)
    assert not kept["ok"] and [r["deleted"] for r in kept["redriven"]] == [False]
    assert fake.invoked == [FUNCTION_ARN]
    fake.archive = harness.archive
    done = failure_queue_action({"action": "redrive", "id": failure["id"]}, target)
    assert done["ok"] and done["redriven"] == [
        {
            "message_id": failure["id"],
            "deleted": True,
            "detail": "re-driven: 4 records, message deleted",
            "records": 4,
        }
    ]
    assert failure_queue_action({"action": "failures"}, target)["failures"] == []
    assert harness.archive.count() == 4


def test_a_table_stream_failure_is_read_back_as_the_triggers_event_records(deployed: Deployed) -> None:
    dynamodb, streams = deployed.aws.client("dynamodb"), deployed.aws.client("dynamodbstreams")
    dynamodb.put_item(
        TableName=deployed.table_name, Item={"pk": {"S": "L#x"}, "sk": {"S": "A"}, "n": {"N": "1"}}
    )
    table = dynamodb.describe_table(TableName=deployed.table_name)["Table"]
    shard = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=table["LatestStreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    written = streams.get_records(ShardIterator=iterator)["Records"]
    numbers = [record["dynamodb"]["SequenceNumber"] for record in written]
    record = failure_record(table["LatestStreamArn"], shard["ShardId"], numbers[0], numbers[-1], len(numbers))
    record["DDBStreamBatchInfo"] = record.pop("KinesisBatchInfo")
    batch = failed_batch("m-1", json.dumps(record))
    fetched = fetch(batch, {"dynamodbstreams": streams}, "us-east-1")
    assert fetched.missing is None
    assert [r["dynamodb"]["SequenceNumber"] for r in fetched.records] == numbers
    units = from_dynamodb(fetched.event)
    assert [unit.fault for unit in units] == [None] * len(numbers)
    assert units[-1].event is not None and units[-1].event["keys"] == {"pk": "L#x", "sk": "A"}
    assert isinstance(fetched.records[-1]["dynamodb"]["ApproximateCreationDateTime"], float)


def test_messages_that_are_no_failure_records_are_left_alone_and_named(deployed: Deployed) -> None:
    sqs = deployed.aws.client("sqs")
    url = sqs.get_queue_url(QueueName=deployed.queue_name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    queue = FailureQueue(sqs, url)
    assert queue.peek() == [] and len(queue.unreadable) == 1 and "is not JSON" in queue.unreadable[0]
    assert redrive_queue(queue, {}, "us-east-1", lambda_invoke(object())) == []
    assert len(sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", [])) == 1


def test_the_admin_finds_its_queue_by_name(deployed: Deployed) -> None:
    queue, clients, region, _ = failure_target(Settings(failure_queue_name=deployed.queue_name))
    assert queue.url.endswith(f"/{deployed.queue_name}") and region == "us-east-1"
    assert sorted(clients) == ["dynamodbstreams", "kinesis"]


def test_list_works_on_any_queue_by_url(
    deployed: Deployed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = Stream(deployed.aws, deployed.stream_name)
    url, numbers = report(deployed, stream, WORKED_EXAMPLE[:1])
    where = ["--queue-url", url, "--endpoint-url", deployed.aws.endpoint_url, "--region", "us-east-1"]
    # No stack.json in this state folder: the queue is named on the command line.
    code, out, _ = listmgr(tmp_path, capsys, "dlq", "list", *where)
    assert code == 0 and f" {numbers[0]}..{numbers[0]} " in out and FUNCTION in out


def test_list_and_redrive_say_how_many_messages_another_reader_holds_and_when_they_return(
    project: Path, deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = Stream(deployed.aws, deployed.stream_name)
    url, _ = report(deployed, stream, WORKED_EXAMPLE[:1])
    sqs = deployed.aws.client("sqs")
    timeout = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"][
        "VisibilityTimeout"
    ]
    # Another client received it (an operator's `aws sqs receive-message`) and holds it.
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
    held = (
        "no message is visible on the failure queue; 1 in flight (received by another reader, not yet "
        f"deleted): each comes back when its visibility timeout ends, {timeout} s after it was received "
        "unless its reader asked for longer (a re-drive under way: up to 900 s)\n"
    )

    assert listmgr(project, capsys, "dlq", "list") == (0, held, "")
    assert listmgr(project, capsys, "dlq", "redrive") == (1, held, "")

    report(deployed, stream, WORKED_EXAMPLE[1:2])
    code, out, _ = listmgr(project, capsys, "dlq", "list")
    listed, in_flight = out.splitlines()
    assert code == 0 and listed.endswith("1 records  RetryAttemptsExhausted, 3 invocations")
    assert in_flight.startswith("and 1 in flight (received by another reader")


def test_the_admin_function_says_how_many_messages_another_reader_holds(deployed: Deployed) -> None:
    stream = Stream(deployed.aws, deployed.stream_name)
    url, _ = report(deployed, stream, WORKED_EXAMPLE[:1])
    sqs = deployed.aws.client("sqs")
    assert len(sqs.receive_message(QueueUrl=url, VisibilityTimeout=600)["Messages"]) == 1
    target = (FailureQueue(sqs, url), {"kinesis": stream.kinesis}, "us-east-1", lambda_invoke(object()))

    for action in ("failures", "redrive"):
        answer = failure_queue_action({"action": action}, target)
        assert answer["inFlight"]["count"] == 1, action
        assert answer["inFlight"]["note"].startswith("1 in flight (received by another reader"), action
