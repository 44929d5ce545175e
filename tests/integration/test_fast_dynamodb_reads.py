"""The local endpoint answers DynamoDB's reads without moto's serializer (listmgr/endpoint/
moto_server.py, `fast_dynamodb_reads`): what a client reads must be what stock moto answers, for
items of every attribute type, projections, pages, missing keys and consumed capacity."""

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from listmgr.endpoint.moto_server import FAST_DYNAMODB_READS
from tests.support.aws import Aws, free_port

ITEMS = [
    {
        "pk": {"S": "t"},
        "sk": {"S": f"item {n}"},
        "text": {"S": "🎬 a/b#c%d\u0000"[: n + 3]},
        "number": {"N": f"{n}.{n}0"},
        "blob": {"B": bytes(range(n * 7 % 256, n * 7 % 256 + 20))},
        "flag": {"BOOL": n % 2 == 0},
        "nothing": {"NULL": True},
        "texts": {"SS": [f"s{n}", "s"]},
        "numbers": {"NS": ["1", f"{n + 2}"]},
        "blobs": {"BS": [b"\x00\x01", bytes([n + 2])]},
        "map": {"M": {"inner": {"L": [{"N": "-0.5"}, {"B": b"\xff"}, {"M": {}}]}}},
        "list": {"L": []},
    }
    for n in range(12)
]


@pytest.fixture(scope="module")
def stock_moto() -> Iterator[Aws]:
    """moto's own server, in a process of its own, so nothing of listmgr's patches it."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    aws = Aws(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while True:
        try:
            aws.client("dynamodb").list_tables()
            break
        except Exception:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise
            time.sleep(0.2)
    yield aws
    server.terminate()
    server.wait(timeout=10)


def requests(table: str) -> list[tuple[str, dict[str, Any]]]:
    keys = [{"pk": item["pk"], "sk": item["sk"]} for item in ITEMS[:5]] + [
        {"pk": {"S": "t"}, "sk": {"S": "gone"}}
    ]
    return [
        ("batch_get_item", {"RequestItems": {table: {"Keys": keys, "ConsistentRead": True}}}),
        (
            "batch_get_item",
            {
                "RequestItems": {
                    table: {
                        "Keys": keys[:2],
                        "ProjectionExpression": "sk, #m.inner",
                        "ExpressionAttributeNames": {"#m": "map"},
                    }
                }
            },
        ),
        ("get_item", {"TableName": table, "Key": keys[3], "ConsistentRead": True}),
        ("get_item", {"TableName": table, "Key": keys[-1]}),
        ("get_item", {"TableName": table, "Key": keys[1], "ReturnConsumedCapacity": "TOTAL"}),
        (
            "query",
            {
                "TableName": table,
                "KeyConditionExpression": "pk = :t",
                "ExpressionAttributeValues": {":t": {"S": "t"}},
                "Limit": 4,
            },
        ),
        (
            "query",
            {
                "TableName": table,
                "KeyConditionExpression": "pk = :t AND begins_with(sk, :i)",
                "FilterExpression": "flag = :yes",
                "ExpressionAttributeValues": {
                    ":t": {"S": "t"},
                    ":i": {"S": "item 1"},
                    ":yes": {"BOOL": True},
                },
                "ProjectionExpression": "pk, sk, #b",
                "ExpressionAttributeNames": {"#b": "blob"},
                "ReturnConsumedCapacity": "INDEXES",
            },
        ),
        (
            "query",
            {
                "TableName": table,
                "KeyConditionExpression": "pk = :n",
                "ExpressionAttributeValues": {":n": {"S": "none"}},
            },
        ),
        ("scan", {"TableName": table, "Limit": 5}),
        ("scan", {"TableName": table, "ExclusiveStartKey": keys[4], "Select": "COUNT"}),
    ]


def test_reads_answer_what_stock_moto_answers(aws: Aws, stock_moto: Aws) -> None:
    ours, theirs = aws.client("dynamodb"), stock_moto.client("dynamodb")
    table = f"reads-{time.monotonic_ns()}"
    for client in (ours, theirs):
        client.create_table(
            TableName=table,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for item in ITEMS:
            client.put_item(TableName=table, Item=item)
    asked = {operation for operation, _ in requests(table)}
    assert asked == set(FAST_DYNAMODB_READS)
    for operation, request in requests(table):
        mine = _without_metadata(getattr(ours, operation)(**request))
        stock = _without_metadata(getattr(theirs, operation)(**request))
        assert mine == stock, (operation, request)


def _without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}
