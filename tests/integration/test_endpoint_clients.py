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

    result = subprocess.run(
        [node, str(CLIENTS / "sdk_v3.mjs"), aws.endpoint_url, stream, table, "bill", full_stream],
        cwd=ROOT,  # node resolves @aws-sdk/* from ROOT/node_modules
        env=_client_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])

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
        result = subprocess.run(
            [str(aws_cli), "--endpoint-url", aws.endpoint_url, "--output", "json", *arguments],
            env=_client_environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    # AWS CLI v1 sends a blob argument's text as the bytes (v2 would expect base64).
    put = cli(
        "kinesis", "put-record", "--stream-name", stream, "--partition-key", "k", "--data", "from the cli"
    )
    got = cli("dynamodb", "get-item", "--table-name", table, "--key", json.dumps({"pk": {"S": "bill"}}))

    assert _records(aws, stream) == [(put["SequenceNumber"], b"from the cli")]
    assert got["Item"] == ITEM
