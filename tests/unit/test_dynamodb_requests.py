"""DynamoDB requests written straight to JSON (shared/adapters/dynamodb/requests.py) are the
requests botocore's own serializer writes, byte for byte, for every operation it covers."""

from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.serialize import create_serializer

from shared.adapters.dynamodb import attributes
from shared.adapters.dynamodb.requests import PLAIN_OPERATIONS, PlainJSONSerializer

ITEM = attributes.to_attributes(
    {
        "pk": "L#🎬 a/b",
        "sk": "U#\u0000x",
        "entries": {"xp": Decimal("1.50"), "k": Decimal(-3)},
        "outcomes": bytes(range(256)),
        "fence": [1, "shard", "49590338271490256608559692538361571095921575989136588898"],
        "flag": True,
        "nothing": None,
        "tags": {"a", "b"},
        "blobs": {b"\x00", b"\xff"},
    }
)
KEY = {"pk": ITEM["pk"], "sk": ITEM["sk"]}
REQUESTS: dict[str, dict[str, Any]] = {
    "TransactWriteItems": {
        "TransactItems": [
            {
                "Put": {
                    "TableName": "t",
                    "Item": ITEM,
                    "ConditionExpression": "#version = :expected",
                    "ExpressionAttributeNames": {"#version": "version"},
                    "ExpressionAttributeValues": {":expected": {"N": "4"}},
                }
            },
            {"Put": {"TableName": "t", "Item": KEY, "ConditionExpression": "attribute_not_exists(pk)"}},
        ]
    },
    "BatchGetItem": {"RequestItems": {"t": {"Keys": [KEY, KEY], "ConsistentRead": True}}},
    "BatchWriteItem": {
        "RequestItems": {"t": [{"PutRequest": {"Item": ITEM}}, {"DeleteRequest": {"Key": KEY}}]}
    },
    "GetItem": {"TableName": "t", "Key": KEY, "ConsistentRead": True},
    "PutItem": {"TableName": "t", "Item": ITEM},
    "DeleteItem": {"TableName": "t", "Key": KEY},
    "Query": {
        "TableName": "t",
        "IndexName": "titles",
        "Limit": 51,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"B": b"\x01\x02"}},
        "ExclusiveStartKey": KEY,
    },
    "Scan": {"TableName": "t", "ExclusiveStartKey": KEY, "Select": "COUNT"},
}


@pytest.mark.parametrize("operation", sorted(PLAIN_OPERATIONS))
def test_a_request_is_written_as_botocore_writes_it(operation: str) -> None:
    model = boto3.session.Session().client("dynamodb", region_name="us-east-1").meta.service_model
    operation_model = model.operation_model(operation)
    theirs = create_serializer("json", include_validation=False).serialize_to_request(
        REQUESTS[operation], operation_model
    )
    assert PlainJSONSerializer().serialize_to_request(REQUESTS[operation], operation_model) == theirs


def test_every_operation_written_plainly_is_compared() -> None:
    assert set(REQUESTS) == PLAIN_OPERATIONS


def test_other_operations_are_botocores_own() -> None:
    model = boto3.session.Session().client("dynamodb", region_name="us-east-1").meta.service_model
    operation_model = model.operation_model("DescribeTable")
    theirs = create_serializer("json", include_validation=False).serialize_to_request(
        {"TableName": "t"}, operation_model
    )
    assert PlainJSONSerializer().serialize_to_request({"TableName": "t"}, operation_model) == theirs
