"""Default-configured clients against the local AWS endpoint, as a user runs them: the JavaScript
SDK v3 (its Kinesis client speaks HTTP/2) through node, and the AWS CLI v1 with `--endpoint-url`.
Each puts records on a stream and reads an item from a table; boto3 checks what arrived."""

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from listmgr.endpoint.fan_out import NOT_SERVED
from tests.support.aws import ROOT, Aws

CLIENTS = Path(__file__).resolve().parent / "clients"
ITEM = {"pk": {"S": "bill"}, "title": {"S": "stats"}, "xp": {"N": "83"}}


@pytest.fixture
def resources(aws: Aws) -> tuple[str, str]:
    """A stream and a table holding ITEM, both of this test's own."""
    name = f"clients-{uuid.uuid4().hex[:8]}"
    kinesis, dynamodb = aws.client("kinesis"), aws.client("dynamodb")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=name, Item=ITEM)
    kinesis.get_waiter("stream_exists").wait(StreamName=name)
    return name, name


def _records(aws: Aws, stream: str) -> list[tuple[str, bytes]]:
    kinesis = aws.client("kinesis")
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    return [(r["SequenceNumber"], r["Data"]) for r in kinesis.get_records(ShardIterator=iterator)["Records"]]


def _client_environment(home: Path) -> dict[str, str]:
    """Dummy credentials and nothing of this machine's AWS setup, so the defaults are the clients'."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name not in {"HOME", "NODE_OPTIONS"}
    }
    return environment | {
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
    }


def _make(target: str) -> None:
    """Installs a client the way `make tools` does (a no-op once its stamp is there)."""
    result = subprocess.run(
        ["make", "-s", target], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="session")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed: the JavaScript SDK v3 test needs Node.js 18 or newer")
    if not (ROOT / "node_modules" / "@aws-sdk" / "client-kinesis").is_dir():
        _make("node_modules/.installed")
    return found


def run_client(command: list[str], home: Path) -> str:
    """What a client run as a user runs it (no AWS setup of this machine's) prints; it must succeed."""
    result = subprocess.run(
        command,
        cwd=ROOT,  # node resolves @aws-sdk/* from ROOT/node_modules
        env=_client_environment(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_node(node: str, home: Path, script: str, *arguments: str) -> Any:
    """Runs a script of clients/ with node; the JSON of the last line it prints."""
    return json.loads(run_client([node, str(CLIENTS / script), *arguments], home).strip().splitlines()[-1])


@pytest.fixture(scope="session")
def aws_cli() -> Path:
    _make(".venv-awscli/.installed")
    return ROOT / ".venv-awscli" / "bin" / "aws"


def test_the_javascript_sdk_v3_with_default_settings(
    aws: Aws, resources: tuple[str, str], node: str, tmp_path: Path
) -> None:
    stream, table = resources
    full_stream = f"{stream}-full"
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=full_stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=full_stream)
    stored = [f"{n:04d}".ljust(1000, ".") for n in range(100)]  # 100 kB in all
    kinesis.put_records(
        StreamName=full_stream, Records=[{"PartitionKey": "k", "Data": text.encode()} for text in stored]
    )

    seen = run_node(node, tmp_path, "sdk_v3.mjs", aws.endpoint_url, stream, table, "bill", full_stream)

    # The SDK's default Kinesis handler is its HTTP/2 one, the case moto's own server failed.
    assert seen["kinesisHandler"] == "NodeHttp2Handler"
    assert seen["failedRecordCount"] == 0
    assert seen["item"] == ITEM
    assert seen["readBack"] == stored
    sequence_numbers = seen["singleSequenceNumbers"] + seen["batchSequenceNumbers"]
    texts = [b"one from js", b"two from js", b"three from js", b"four from js", b"five from js"]
    assert _records(aws, stream) == list(zip(sequence_numbers, texts, strict=True))


def test_the_aws_cli_v1_with_endpoint_url(
    aws: Aws, resources: tuple[str, str], aws_cli: Path, tmp_path: Path
) -> None:
    stream, table = resources

    def cli(*arguments: str) -> Any:
        command = [str(aws_cli), "--endpoint-url", aws.endpoint_url, "--output", "json", *arguments]
        return json.loads(run_client(command, tmp_path))

    # AWS CLI v1 sends a blob argument's text as the bytes (v2 would expect base64).
    put = cli(
        "kinesis", "put-record", "--stream-name", stream, "--partition-key", "k", "--data", "from the cli"
    )
    got = cli("dynamodb", "get-item", "--table-name", table, "--key", json.dumps({"pk": {"S": "bill"}}))

    assert _records(aws, stream) == [(put["SequenceNumber"], b"from the cli")]
    assert got["Item"] == ITEM


# -- enhanced fan-out: consumers registered, SubscribeToShard refused with a message -------------


def _consumer_stream(aws: Aws) -> str:
    """A stream of this test's own; its ARN."""
    name = f"fan-out-{uuid.uuid4().hex[:8]}"
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name)
    arn: str = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    return arn


def test_boto3s_subscribe_to_shard_is_refused_with_a_message_and_no_traceback(
    aws: Aws, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    kinesis = aws.client("kinesis")
    consumer = kinesis.register_stream_consumer(StreamARN=_consumer_stream(aws), ConsumerName="boto3")
    with pytest.raises(kinesis.exceptions.ClientError) as refused:
        kinesis.subscribe_to_shard(
            ConsumerARN=consumer["Consumer"]["ConsumerARN"],
            ShardId="shardId-000000000000",
            StartingPosition={"Type": "TRIM_HORIZON"},
        )

    response = refused.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "NotImplemented",
        501,
    )
    assert response["Error"]["Message"] == NOT_SERVED
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    assert not [record for record in caplog.records if record.exc_info]
    assert "Traceback" not in capfd.readouterr().err


def test_the_javascript_sdks_subscribe_to_shard_is_refused_with_a_message(
    aws: Aws, node: str, tmp_path: Path
) -> None:
    seen = run_node(node, tmp_path, "subscribe_to_shard.mjs", aws.endpoint_url, _consumer_stream(aws))
    assert seen["consumerStatus"] == "ACTIVE"
    assert seen["refused"] == {"name": "NotImplemented", "message": NOT_SERVED, "status": 501, "attempts": 1}
