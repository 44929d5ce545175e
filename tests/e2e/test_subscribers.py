"""Subscribers written with Powertools, aws-lambda-stream and plain boto3 read only the published
events off a stream that carries everything else docs/events.md lists (bare submissions, inbound
envelopes, data that is not JSON or not UTF-8, a JSON array), with the filter and the check that
document gives; without the filter, the same Powertools subscriber fails records.

The list manager runs against the session's moto endpoint and is drained (Ctrl-C), so the stream
holds every event it will publish for these writes; then the subscribers (tests/fixtures/
subscribers, under `listmgr up --config`) read it from its start."""

import json
import shutil
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.samples import RERANK, WORKED_EXAMPLE
from tests.support.aws import ROOT, Aws, free_port
from tests.support.docs import code_block
from tests.support.stack import LISTMGR, stack_environment, start_stack, stop_stack, wait_for

SUBSCRIBERS = ROOT / "tests" / "fixtures" / "subscribers"
NODE = shutil.which("node")
CONFLICT = {"title": "stats", "user": "zed", "type": "rank", "entries": {"xp": 1}}
JUNK = (b"\xff\xfe not UTF-8", json.dumps([WORKED_EXAMPLE[1]]).encode(), b'"a JSON string"')


@dataclass(frozen=True)
class Recordings:
    folder: Path
    stage: str

    def lines(self, function: str) -> list[dict[str, Any]]:
        path = self.path(function)
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def path(self, function: str) -> Path:
        return self.folder / f"subscribers-{self.stage}-{function}.jsonl"

    def seen(self, function: str) -> list[str]:
        return sorted(event["id"] for line in self.lines(function) for event in line.get("seen", []))

    def failed(self, function: str) -> bool:
        return any(line["response"]["batchItemFailures"] for line in self.lines(function))


def stream_records(aws: Aws, stream: str) -> list[bytes]:
    kinesis = aws.client("kinesis")
    data: list[bytes] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while records := (read := kinesis.get_records(ShardIterator=iterator))["Records"]:
            data += [record["Data"] for record in records]
            iterator = read["NextShardIterator"]
    return data


def published_by_the_project(data: bytes) -> dict[str, Any] | None:
    """What the trigger and the listener published (this test forges nothing)."""
    try:
        document = json.loads(data)
    except ValueError:
        return None
    tags = document.get("tags") if isinstance(document, dict) else None
    return document if isinstance(tags, dict) and tags.get("source") in ("trigger", "listener") else None


def fill_the_stream(aws: Aws, folder: Path, stage: str) -> None:
    """The list manager fed everything a stream carries, then drained."""
    running = start_stack(folder, ("--endpoint-url", aws.endpoint_url, "--stage", stage))
    lines = [json.dumps(submission) for submission in WORKED_EXAMPLE] + ["not json", json.dumps(CONFLICT)]
    assert running.listmgr("send", "-", stdin="\n".join(lines) + "\n").returncode == 0
    for data in JUNK:
        aws.client("kinesis").put_record(
            StreamName=f"list-manager-{stage}-events", Data=data, PartitionKey="j"
        )
    assert running.request("POST", "/lists", RERANK, {"Prefer": "wait=10"}, key=running.key).status == 200
    assert running.request("DELETE", "/lists/stats/users/beth", key=running.key).status == 202
    assert stop_stack(running) == 0
    assert "drained: nothing is left to deliver" in (folder / "up.log").read_text()


def run_subscribers(aws: Aws, folder: Path, recordings: Recordings, events: int) -> None:
    """The subscribers' project until each has read `events` events (and the unfiltered failed)."""
    command = [
        LISTMGR,
        "--state-dir",
        str(folder / "state"),
        "up",
        "--config",
        str(SUBSCRIBERS / "serverless.yml"),
    ]
    command += [
        "--endpoint-url",
        aws.endpoint_url,
        "--stage",
        recordings.stage,
        "--api-port",
        str(free_port()),
    ]
    log = folder / "subscribers.log"
    environment = stack_environment() | {"SUBSCRIBER_RECORDINGS": str(recordings.folder)}
    process = subprocess.Popen(
        command, cwd=folder, stdout=log.open("w"), stderr=subprocess.STDOUT, env=environment
    )

    def all_read() -> bool:
        delivered = sum(len(line["event"]["Records"]) for line in recordings.lines("lambdaStream"))
        return (
            len(recordings.seen("batchProcessor")) >= events
            and len(recordings.seen("envelope")) >= events
            and delivered >= events
            and recordings.failed("unfiltered")
        )

    try:
        wait_for(lambda: all_read() or process.poll() is not None, timeout=90)
        assert process.poll() is None, log.read_text()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def run(command: list[str]) -> str:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(NODE is None, reason="node is not installed: the aws-lambda-stream subscriber needs it")
def test_subscribers_read_only_the_published_events_and_fail_nothing(aws: Aws, tmp_path: Path) -> None:
    stage = "s" + uuid.uuid4().hex[:8]
    stream = f"list-manager-{stage}-events"
    (tmp_path / "list-manager").mkdir()
    fill_the_stream(aws, tmp_path / "list-manager", stage)
    data = stream_records(aws, stream)
    published = [event for event in map(published_by_the_project, data) if event is not None]
    expected = sorted(event["id"] for event in published)
    assert {"user-list-created", "user-list-deleted", "aggregate-list-updated", "fault"} <= {
        event["type"] for event in published
    }
    # Besides them: the bare submissions sent, "not json", the junk, the API's two envelopes.
    assert len(data) == len(published) + len(WORKED_EXAMPLE) + 1 + 1 + len(JUNK) + 2

    recordings = Recordings(tmp_path / "recordings", stage)
    recordings.folder.mkdir()
    run_subscribers(aws, tmp_path, recordings, len(expected))

    # Powertools: its BatchProcessor and its envelope parser saw exactly the events, failed nothing...
    assert recordings.seen("batchProcessor") == expected
    assert all(line["response"] == {"batchItemFailures": []} for line in recordings.lines("batchProcessor"))
    assert recordings.seen("envelope") == expected
    assert not [line for line in recordings.lines("envelope") if "raised" in line]
    # ...where the same BatchProcessor without the filter fails the records that are no event.
    assert recordings.failed("unfiltered")

    # aws-lambda-stream: fromKinesis over what its filtered mapping delivered.
    script = [str(NODE), str(SUBSCRIBERS / "lambda_stream.mjs"), str(recordings.path("lambdaStream"))]
    read = json.loads(run(script).strip().splitlines()[-1])
    assert read["faults"] == []
    assert sorted(event["id"] for event in read["events"]) == expected

    # Plain boto3: docs/events.md's GetRecords consumer with its check, run as written.
    consumer = code_block("docs/events.md", "python", "boto3-consumer")
    consumer = consumer.replace("http://127.0.0.1:4566", aws.endpoint_url)
    printed = run([sys.executable, "-c", consumer.replace("list-manager-dev-events", stream)])
    assert sorted(line.split()[1] for line in printed.splitlines()) == expected
