"""parallelizationFactor: several batches of one shard in flight at once, each partition key's
records still delivered in order (for DynamoDB Streams, each item's changes)."""

from collections import defaultdict
from typing import Any

from listmgr.runtime.mappings.parallelization import lane_of
from tests.support.mapping_project import MappingProject


def test_kinesis_records_of_each_partition_key_arrive_in_order(project: MappingProject) -> None:
    values = [{"key": f"user-{index % 8}", "n": index // 8} for index in range(200)]
    project.put(values, key=lambda _, value: value["key"])
    project.start("ordered")

    delivered = project.wait_until_delivered("ordered", 200)

    by_key: dict[str, list[int]] = defaultdict(list)
    for value in delivered:
        by_key[value["key"]].append(value["n"])
    assert by_key == {f"user-{key}": list(range(25)) for key in range(8)}
    lanes_used = set()
    for invocation in project.recorded("ordered"):
        lanes = {lane_of(key, 4) for key in invocation["partitionKeys"]}
        assert len(lanes) == 1, "a batch holds the records of one lane"
        assert len(invocation["sequenceNumbers"]) <= 5
        lanes_used |= lanes
    assert len(lanes_used) > 1


def test_dynamodb_changes_of_each_item_arrive_in_order(project: MappingProject) -> None:
    dynamodb = project.aws.client("dynamodb")
    table = f"{project.prefix}-items"
    for n in range(6):
        for item in ("keep-a", "keep-b", "keep-c", "keep-d", "drop-e"):
            dynamodb.put_item(TableName=table, Item={"pk": {"S": item}, "n": {"N": str(n)}})
    dynamodb.delete_item(TableName=table, Key={"pk": {"S": "keep-a"}})
    project.start("changes")

    delivered = project.wait_until_delivered("changes", 24)

    by_item: dict[str, list[Any]] = defaultdict(list)
    for value in delivered:
        by_item[value["pk"]].append(value["n"])
    # The filter keeps INSERT and MODIFY of keep-* items: no drop-e, no REMOVE.
    assert by_item == {item: list(range(6)) for item in ("keep-a", "keep-b", "keep-c", "keep-d")}
    assert {name for line in project.recorded("changes") for name in line["eventNames"]} == {
        "INSERT",
        "MODIFY",
    }
