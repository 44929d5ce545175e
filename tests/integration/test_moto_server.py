"""The local endpoint's DynamoDB transactions behave like AWS's: all or nothing, isolated, and
cancelled with one reason per action."""

import threading
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import Aws


@pytest.fixture
def table(aws: Aws) -> str:
    name = f"transactions-{uuid.uuid4().hex[:8]}"
    aws.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return name


def put(table: str, key: str, version: int, expected: int | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"TableName": table, "Item": {"pk": {"S": key}, "version": {"N": str(version)}}}
    if expected is None:
        action["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        action.update(
            ConditionExpression="version = :v",
            ExpressionAttributeValues={":v": {"N": str(expected)}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    return {"Put": action}


def test_a_transaction_writes_all_or_nothing_with_a_reason_per_action(aws: Aws, table: str) -> None:
    dynamodb = aws.client("dynamodb")
    dynamodb.transact_write_items(TransactItems=[put(table, "a", 1), put(table, "b", 1)])
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(TransactItems=[put(table, "c", 1), put(table, "a", 2, expected=7)])
    reasons = cancelled.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"] == {"pk": {"S": "a"}, "version": {"N": "1"}}
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "c"}})


def test_a_cancelled_transaction_does_not_undo_what_others_wrote(aws: Aws, table: str) -> None:
    dynamodb = aws.client("dynamodb")
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "counter"}, "version": {"N": "0"}})
    wins = [0]

    def writer(name: str) -> None:
        client = aws.client("dynamodb")
        for _ in range(15):
            current = int(
                client.get_item(TableName=table, Key={"pk": {"S": "counter"}}, ConsistentRead=True)["Item"][
                    "version"
                ]["N"]
            )
            try:
                client.transact_write_items(
                    TransactItems=[
                        put(table, "counter", current + 1, expected=current),
                        {
                            "Put": {
                                "TableName": table,
                                "Item": {"pk": {"S": f"{name}-{current}"}, "version": {"N": "1"}},
                            }
                        },
                    ]
                )
                wins[0] += 1
            except ClientError:
                pass

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = dynamodb.get_item(TableName=table, Key={"pk": {"S": "counter"}})["Item"]["version"]["N"]
    assert int(final) == wins[0]
    companions = [item for item in dynamodb.scan(TableName=table)["Items"] if item["pk"]["S"] != "counter"]
    assert len(companions) == wins[0]


def test_update_actions_keep_working(aws: Aws, table: str) -> None:
    dynamodb = aws.client("dynamodb")
    dynamodb.transact_write_items(TransactItems=[put(table, "n", 1)])
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": "n"}},
                    "UpdateExpression": "ADD version :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            }
        ]
    )
    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "n"}})["Item"]["version"] == {"N": "2"}


def test_two_actions_on_one_item_are_refused(aws: Aws, table: str) -> None:
    with pytest.raises(ClientError, match="ValidationException"):
        aws.client("dynamodb").transact_write_items(TransactItems=[put(table, "x", 1), put(table, "x", 2)])


def plain_put(table: str, key: Any, **attributes: Any) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": {"pk": key, **attributes}}}


BIG = {"S": "x" * (390 * 1024)}
REFUSED_AS_A_WHOLE = {
    "an item over 400 KB": lambda table: [
        plain_put(table, {"S": "first"}),
        plain_put(table, {"S": "big"}, blob={"S": "x" * (400 * 1024)}),
    ],
    "a key of the wrong type": lambda table: [plain_put(table, {"S": "first"}), plain_put(table, {"N": "1"})],
    "a Put without its key": lambda table: [
        plain_put(table, {"S": "first"}),
        {"Put": {"TableName": table, "Item": {"other": {"S": "x"}}}},
    ],
    "a Delete whose key is not the schema's": lambda table: [
        plain_put(table, {"S": "first"}),
        {"Delete": {"TableName": table, "Key": {"pk": {"S": "a"}, "extra": {"S": "b"}}}},
    ],
    "more than 4 MB": lambda table: [plain_put(table, {"S": f"big-{n}"}, blob=BIG) for n in range(11)],
    "more than 100 actions": lambda table: [plain_put(table, {"S": f"many-{n}"}) for n in range(101)],
    "one item twice": lambda table: [
        plain_put(table, {"S": "first"}),
        plain_put(table, {"S": "twice"}),
        plain_put(table, {"S": "twice"}),
    ],
    "an Update after a bad Put": lambda table: [
        plain_put(table, {"S": "first"}),
        plain_put(table, {"N": "2"}),
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": "counted"}},
                "UpdateExpression": "ADD version :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
    ],
}


@pytest.mark.parametrize("case", list(REFUSED_AS_A_WHOLE))
def test_a_request_dynamodb_refuses_writes_nothing(aws: Aws, table: str, case: str) -> None:
    dynamodb = aws.client("dynamodb")
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=REFUSED_AS_A_WHOLE[case](table))
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert dynamodb.scan(TableName=table)["Items"] == []


def test_a_transaction_of_just_under_the_limits_is_written(aws: Aws, table: str) -> None:
    dynamodb = aws.client("dynamodb")
    dynamodb.transact_write_items(TransactItems=[plain_put(table, {"S": f"n-{n}"}) for n in range(100)])
    dynamodb.transact_write_items(
        TransactItems=[plain_put(table, {"S": f"big-{n}"}, blob=BIG) for n in range(10)]
    )
    pages = dynamodb.get_paginator("scan").paginate(TableName=table, Select="COUNT")
    assert sum(page["Count"] for page in pages) == 110
