"""The DynamoDB adapter's layout: the whole TransactWriteItems request a write becomes, keys that
no name can make collide, and items written before change items read as they were."""

import hashlib
import json
from decimal import Decimal

from listmgr.config import Options, load
from listmgr.mappings.filters import matches
from shared.events.testing import dynamodb_record
from shared.lists.aggregate import Aggregate
from shared.lists.changes import Submit
from shared.lists.coalesce import MAX_ITEMS_PER_WRITE, Slot, TitleState, Write, plan_title
from shared.lists.dedup import Remembered
from shared.lists.limits import MAX_LIST_BYTES, MAX_NAME_LENGTH
from shared.lists.user_list import UserList
from shared.stream.connectors.capacity import item_size
from shared.stream.connectors.dynamodb import layout
from shared.stream.connectors.dynamodb.table import MAX_TRANSACTION_BYTES
from tests.support.aws import ROOT


def test_a_write_becomes_one_guarded_aggregate_put_and_its_companions() -> None:
    bill = UserList("stats", "bill", "tally", {"xp": Decimal(3)}, 1_700_000_000_000)
    write = Write(
        title="stats",
        expected_version=4,
        aggregate=Aggregate("stats", "tally", {"xp": Decimal(3)}, {"xp": 1}, 1, 1_700_000_000_000),
        slots={"bill": Slot(bill), "gone": Slot(None, (1_700_000_000_001, "shardId-1", 7, "d1"))},
        decided={("bill", "e1"): Remembered("applied", "", 1_700_000_000_002)},
    )
    digest = hashlib.sha256(json.dumps(["bill", "e1"], separators=(",", ":")).encode()).hexdigest()[:32]
    assert layout.transact_actions("lists", write, 1_800_000_000) == [
        {
            "Put": {
                "TableName": "lists",
                "Item": {
                    "pk": {"S": "L#stats"},
                    "sk": {"S": "A"},
                    "kind": {"S": "aggregate"},
                    "title": {"S": "stats"},
                    "version": {"N": "5"},
                    "type": {"S": "tally"},
                    "entries": {"M": {"xp": {"N": "3"}}},
                    "counts": {"M": {"xp": {"N": "1"}}},
                    "users": {"N": "1"},
                    "updatedAt": {"N": "1700000000000"},
                    "gsi1pk": {"S": "T"},
                    "gsi1sk": {"S": "stats"},
                },
                "ConditionExpression": "#version = :expected",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": {":expected": {"N": "4"}},
            }
        },
        {
            "Put": {
                "TableName": "lists",
                "Item": {
                    "pk": {"S": "L#stats"},
                    "sk": {"S": "U#bill"},
                    "kind": {"S": "user-list"},
                    "title": {"S": "stats"},
                    "user": {"S": "bill"},
                    "type": {"S": "tally"},
                    "entries": {"M": {"xp": {"N": "3"}}},
                    "updatedAt": {"N": "1700000000000"},
                    "version": {"N": "5"},
                },
            }
        },
        {
            "Put": {
                "TableName": "lists",
                "Item": {
                    "pk": {"S": "L#stats"},
                    "sk": {"S": "U#gone"},
                    "kind": {"S": "user-list"},
                    "title": {"S": "stats"},
                    "user": {"S": "gone"},
                    "deleted": {"BOOL": True},
                    "expiresAt": {"N": "1800000000"},
                    "version": {"N": "5"},
                    "fence": {"L": [{"N": "1700000000001"}, {"S": "shardId-1"}, {"S": "7"}, {"S": "d1"}]},
                },
            }
        },
        {
            "Put": {
                "TableName": "lists",
                "Item": {
                    "pk": {"S": "L#stats"},
                    "sk": {"S": f"C#{digest}"},
                    "kind": {"S": "change"},
                    "status": {"S": "applied"},
                    "decidedAt": {"N": "1700000000002"},
                    "expiresAt": {"N": "1800000000"},
                },
            }
        },
    ]


def test_the_first_write_of_a_title_requires_that_it_does_not_exist() -> None:
    write = Write("t", 0, None, {}, {("u", "e"): Remembered("superseded")})
    (guarded, change) = layout.transact_actions("lists", write, 0)
    assert guarded["Put"]["ConditionExpression"] == "attribute_not_exists(pk)"
    assert "ExpressionAttributeValues" not in guarded["Put"]
    assert change["Put"]["Item"]["status"] == {"S": "superseded"}


def test_change_keys_are_scoped_to_the_user_list_and_unambiguous() -> None:
    keys = {
        layout.change_key("t", "alice", "K1"),
        layout.change_key("t", "bob", "K1"),
        layout.change_key("t", "a", "b#K1"),
        layout.change_key("t", "a#b", "K1"),
        layout.change_key("t", "alice", "K1 "),
    }
    assert len(keys) == 5
    assert all(len(key[1]) == len("C#") + 32 for key in keys)  # 128 bits


def test_the_largest_lists_the_limits_allow_fit_an_item_and_the_largest_write_a_transaction() -> None:
    # Keys of four-byte characters, as many as the byte limit lets a list hold, each with a
    # rank: the worst a producer can send within the limits.
    key_bytes = MAX_NAME_LENGTH * 4
    count = MAX_LIST_BYTES // (key_bytes + 24)
    entries = {f"{n:04d}" + "🎬" * (MAX_NAME_LENGTH - 4): Decimal(n + 1) for n in range(count)}
    title, users = "🎬" * MAX_NAME_LENGTH, [f"{n:03d}" + "🎬" * (MAX_NAME_LENGTH - 3) for n in range(150)]
    changes = [Submit(f"id-{n}", title, user, "rank", entries, 1) for n, user in enumerate(users)]
    plan = plan_title(TitleState(title), changes, 0)
    assert [outcome.status for outcome in plan.outcomes] == ["applied"] * len(users)
    for write in plan.writes:
        actions = layout.transact_actions("lists", write, 0)
        sizes = [item_size(action["Put"]["Item"]) for action in actions]
        assert max(sizes) < 400 * 1024 and len(actions) <= MAX_ITEMS_PER_WRITE + 1
        assert sum(sizes) <= MAX_TRANSACTION_BYTES
    assert len(plan.writes) > 1  # split by bytes long before 99 items


def test_the_triggers_mapping_delivers_list_items_and_filters_out_change_items() -> None:
    trigger = load(ROOT / "serverless.yml", Options(stage="dev", region="us-east-1")).functions["trigger"]
    (stream,) = [event["stream"] for event in trigger["events"] if "stream" in event]
    patterns = stream["filterPatterns"]
    user_list = layout.user_list_item("stats", "bill", Slot(UserList("stats", "bill", "tally", {}, 1)), 1, 0)
    tombstone = layout.user_list_item("stats", "bill", Slot(None), 2, 0)
    aggregate = layout.aggregate_item("stats", None, 2)
    change = layout.change_item("stats", "bill", "e1", Remembered("applied"), 0)

    def delivered(record: dict[str, object]) -> bool:
        return any(matches(pattern, record) for pattern in patterns)

    def key(item: dict[str, object]) -> dict[str, object]:
        return {"pk": item["pk"], "sk": item["sk"]}

    assert delivered(dynamodb_record("INSERT", key(user_list), new=user_list))
    assert delivered(dynamodb_record("MODIFY", key(user_list), new=tombstone, old=user_list))
    assert delivered(dynamodb_record("REMOVE", key(tombstone), old=tombstone))
    assert delivered(dynamodb_record("MODIFY", key(aggregate), new=aggregate, old=aggregate))
    assert not delivered(dynamodb_record("INSERT", key(change), new=change))
    assert not delivered(dynamodb_record("REMOVE", key(change), old=change))


def test_a_fence_keeps_a_56_digit_sequence_number_whole() -> None:
    sequence = int("4" + "9" * 55)  # Kinesis's are 56 digits; DynamoDB numbers hold 38
    slot = Slot(None, (1_700_000_000_000, "shardId-000000000000", sequence, "e"))
    item = layout.user_list_item("t", "u", slot, 1, 0)
    stored = layout.from_attributes(layout.to_attributes(item))
    assert layout.slot_from_item(stored) == slot
