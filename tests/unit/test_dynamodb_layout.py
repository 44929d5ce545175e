"""The DynamoDB adapter's layout: the whole TransactWriteItems request a write becomes, the
outcomes a user-list item keeps and moves out, and keys that no name can make collide."""

import hashlib
import json
from decimal import Decimal

from listmgr.runtime.config import Options, load
from listmgr.runtime.mappings.filters import matches
from shared.adapters.dynamodb import attributes, layout, moved_out, outcomes
from shared.adapters.dynamodb.capacity import item_size
from shared.adapters.dynamodb.table import MAX_TRANSACTION_BYTES
from shared.events.testing import dynamodb_record
from shared.lists.aggregate import Aggregate
from shared.lists.changes import Submit
from shared.lists.coalesce import MAX_ITEMS_PER_WRITE, Slot, TitleState, Write, plan_title
from shared.lists.dedup import Remembered
from shared.lists.limits import MAX_LIST_BYTES, MAX_NAME_LENGTH
from shared.lists.user_list import UserList
from tests.support.aws import ROOT


def test_a_write_becomes_guarded_puts_of_its_aggregate_and_its_user_lists_with_their_outcomes() -> None:
    bill = UserList("stats", "bill", "tally", {"xp": Decimal(3)}, 1_700_000_000_000)
    write = Write(
        title="stats",
        expected_version=4,
        aggregate=Aggregate("stats", "tally", {"xp": Decimal(3)}, {"xp": 1}, 1, 1_700_000_000_000),
        slots={"bill": Slot(bill), "gone": Slot(None, (1_700_000_000_001, "shardId-1", 7, "d1"))},
        decided={("bill", "e1"): Remembered("applied", "", 1_700_000_000_002, "00112233445566ff")},
    )
    stored = layout.stored_write(write, {}, 1_800_000_000, 25)
    digest = hashlib.sha256(json.dumps(["bill", "e1"], separators=(",", ":")).encode()).digest()[:16]
    packed = digest + (1_700_000_000_002).to_bytes(6, "big") + b"\x01" + bytes.fromhex("00112233445566ff")
    assert stored.moved_out == []
    # bill's item was read at version 3; "gone" had none.
    assert layout.transact_actions("lists", stored, [write.expected_version, 3, 0]) == [
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
                    "outcomes": {"B": packed},
                },
                "ConditionExpression": "#version = :expected",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": {":expected": {"N": "3"}},
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
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]


def test_the_first_write_of_a_title_requires_that_it_does_not_exist() -> None:
    write = Write("t", 0, None, {"u": Slot()}, {("u", "e"): Remembered("superseded")})
    (guarded, user_list) = layout.transact_actions("lists", layout.stored_write(write, {}, 0, 25), [0, 0])
    assert guarded["Put"]["ConditionExpression"] == "attribute_not_exists(pk)"
    assert "ExpressionAttributeValues" not in guarded["Put"]
    kept = layout.outcomes_from_item(attributes.from_attributes(user_list["Put"]["Item"]))
    assert kept.find(outcomes.digest("u", "e")) == Remembered("superseded")


def test_earlier_outcomes_move_out_oldest_first_once_the_item_is_full_and_the_writes_own_stay() -> None:
    hour = 3_600_000
    now = 1_700_000_000_000
    expires_at = (now + 25 * hour) // 1000
    earlier = layout.outcomes_from_item(None)
    items_of_bill = []
    # One write a minute, ten outcomes each: the item's room holds about twenty.
    for minute in range(5):
        at = now + minute * 60_000
        decided = {("bill", f"m{minute}-{n}"): Remembered("applied", "", at, "ab" * 8) for n in range(10)}
        write = Write("stats", minute, None, {"bill": Slot()}, decided)
        stored = layout.stored_write(write, {"bill": earlier}, expires_at + minute * 60, 25)
        items_of_bill.append(stored)
        earlier = stored.outcomes["bill"]
        # The write's own ten are always kept; the item stays within one KB once it moved some out.
        assert {each.digest for each in earlier.kept} >= {outcomes.digest("bill", ref[1]) for ref in decided}
        assert item_size(attributes.to_attributes(stored.items[1])) <= 1024 or not stored.moved_out
    moved = [item for stored in items_of_bill for item in stored.moved_out]
    assert moved, "the item kept every outcome: the test did not pass its room"
    # Oldest first: every outcome moved out was decided before every one still kept.
    assert max(int(item["decidedAt"]) for item in moved) <= min(k.outcome.decided_at for k in earlier.kept)
    # The item's filters hold every outcome that moved out, and when the newest was decided.
    assert all(earlier.may_have_moved_out(bytes.fromhex(item["sk"].removeprefix("C#"))) for item in moved)
    assert earlier.moved_out[-1].newest == max(int(item["decidedAt"]) for item in moved)
    # Each moved outcome is a change item of its own, removed by TTL a window after its decision.
    first = moved[0]
    assert first["kind"] == "change" and first["status"] == "applied" and first["fingerprint"] == "ab" * 8
    assert first["expiresAt"] == (first["decidedAt"] + 25 * hour) // 1000
    assert first["sk"].startswith("C#") and len(first["sk"]) == len("C#") + 32


def test_outcomes_older_than_the_window_are_forgotten_and_so_is_that_any_moved_out() -> None:
    hour = 3_600_000
    now = 1_700_000_000_000
    old = Remembered("rejected", "type conflict: \U0001f3ac", now - 26 * hour, "")
    gone = moved_out.moving_out((), [(outcomes.digest("bill", "older"), now - 30 * hour)], 0)
    earlier = outcomes.Outcomes((outcomes.Kept(outcomes.digest("bill", "old"), old),), gone)
    write = Write("stats", 1, None, {"bill": Slot()}, {("bill", "new"): Remembered("applied", "", now)})
    stored = layout.stored_write(write, {"bill": earlier}, (now + 25 * hour) // 1000, 25)
    assert [k.outcome for k in stored.outcomes["bill"].kept] == [Remembered("applied", "", now)]
    assert stored.outcomes["bill"].moved_out == () and stored.moved_out == []


def test_packed_outcomes_read_back_exactly() -> None:
    kept = (
        outcomes.Kept(outcomes.digest("bill", "a"), Remembered("applied", "", 1, "0123456789abcdef")),
        outcomes.Kept(outcomes.digest("bill", "b"), Remembered("superseded", "", 2**47, "")),
        outcomes.Kept(outcomes.digest("bill", "c"), Remembered("rejected", "r" * 511 + "🎬", 3, "ff" * 8)),
    )
    assert outcomes.unpack(outcomes.pack(kept)) == kept
    assert outcomes.unpack(b"") == ()


def test_change_keys_are_scoped_to_the_user_list_and_unambiguous() -> None:
    keys = {
        layout.digest_key("t", outcomes.digest("alice", "K1")),
        layout.digest_key("t", outcomes.digest("bob", "K1")),
        layout.digest_key("t", outcomes.digest("a", "b#K1")),
        layout.digest_key("t", outcomes.digest("a#b", "K1")),
        layout.digest_key("t", outcomes.digest("alice", "K1 ")),
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
        stored = layout.stored_write(write, {}, 0, 25)
        actions = layout.transact_actions("lists", stored, [0] * len(stored.items))
        sizes = [item_size(action["Put"]["Item"]) for action in actions]
        assert sizes == stored.sizes
        assert max(sizes) < 400 * 1024 and len(actions) <= MAX_ITEMS_PER_WRITE + 1
        assert sum(sizes) <= MAX_TRANSACTION_BYTES
    assert len(plan.writes) > 1  # split by bytes long before 99 items


def test_one_user_lists_outcomes_in_one_write_keep_its_item_within_dynamodbs_limit() -> None:
    # The largest list, then as many rejections with the longest reasons as a batch may carry
    # for it: the write splits before the item could pass 400 KB.
    key_bytes = MAX_NAME_LENGTH * 4
    entries = {
        f"{n:04d}" + "🎬" * (MAX_NAME_LENGTH - 4): Decimal(n + 1)
        for n in range(MAX_LIST_BYTES // (key_bytes + 24))
    }
    title, user = "🎬" * MAX_NAME_LENGTH, "🎬" * MAX_NAME_LENGTH
    first = Submit("first", title, user, "rank", entries, 1)
    conflicts = [Submit(f"c{n}", title, user, "tally", {"x": Decimal(1)}, 2) for n in range(400)]
    plan = plan_title(TitleState(title), [first, *conflicts], 0)
    assert {outcome.status for outcome in plan.outcomes[1:]} == {"rejected"}
    earlier: dict[str, outcomes.Outcomes] = {}
    for write in plan.writes:
        stored = layout.stored_write(write, earlier, 0, 25)
        earlier = stored.outcomes
        assert max(item_size(attributes.to_attributes(item)) for item in stored.items) < 400 * 1024
    assert len(plan.writes) > 1


def test_the_triggers_mapping_delivers_list_items_and_filters_out_change_items() -> None:
    trigger = load(ROOT / "serverless.yml", Options(stage="dev", region="us-east-1")).functions["trigger"]
    (stream,) = [event["stream"] for event in trigger["events"] if "stream" in event]
    patterns = stream["filterPatterns"]
    user_list = layout.user_list_item("stats", "bill", Slot(UserList("stats", "bill", "tally", {}, 1)), 1, 0)
    tombstone = layout.user_list_item("stats", "bill", Slot(None), 2, 0)
    aggregate = layout.aggregate_item("stats", None, 2)
    moved_out = outcomes.Kept(outcomes.digest("bill", "e1"), Remembered("applied"))
    change = layout.change_item("stats", moved_out, 25)

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
    stored = attributes.from_attributes(attributes.to_attributes(item))
    assert layout.slot_from_item(stored) == slot
