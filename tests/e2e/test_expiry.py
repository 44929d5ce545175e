"""The local table's Time to Live is the one serverless.yml declares, and its expired items go as
DynamoDB's do: deleted by the stack's sweep, and never put back by a restart."""

import time
from pathlib import Path
from typing import Any

from listmgr.cli.commands import aws_client
from tests.support.stack import RunningStack, start_stack, stop_stack, wait_for


def put(stack: RunningStack, sort_key: str, expires_at: float) -> None:
    # An item of no kind the functions know: only Time to Live ever touches it.
    aws_client(stack.info, "dynamodb").put_item(
        TableName=stack.info["table_name"],
        Item={"pk": {"S": "test#expiry"}, "sk": {"S": sort_key}, "expiresAt": {"N": str(int(expires_at))}},
    )


def found(stack: RunningStack, sort_key: str) -> Any:
    return (
        aws_client(stack.info, "dynamodb")
        .get_item(
            TableName=stack.info["table_name"],
            Key={"pk": {"S": "test#expiry"}, "sk": {"S": sort_key}},
            ConsistentRead=True,
        )
        .get("Item")
    )


def test_expired_items_are_swept_and_not_put_back_by_a_restart(tmp_path: Path) -> None:
    # The first run sweeps too rarely to reach them: both items are saved at its stop.
    first = start_stack(tmp_path)
    try:
        time_to_live = aws_client(first.info, "dynamodb").describe_time_to_live(
            TableName=first.info["table_name"]
        )
        assert time_to_live["TimeToLiveDescription"] == {
            "TimeToLiveStatus": "ENABLED",
            "AttributeName": "expiresAt",
        }
        put(first, "expired", time.time() - 10)
        put(first, "later", time.time() + 3600)
    finally:
        assert stop_stack(first) == 0

    second = start_stack(tmp_path, ("--ttl-sweep-every", "0.2"))
    try:
        assert "(1 expired since)" in second.info["restored"]
        assert found(second, "expired") is None
        put(second, "expired-now", time.time() - 1)
        wait_for(lambda: found(second, "expired-now") is None, timeout=30, every=0.1)
        assert found(second, "later") is not None
    finally:
        assert stop_stack(second) == 0
