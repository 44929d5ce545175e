"""The single-table layout: how lists and outcomes are stored as DynamoDB items. Pure functions
over plain values; only the DynamoDB adapter (this package) builds or reads a key.

| item      | pk          | sk           | also                                                     |
| --------- | ----------- | ------------ | -------------------------------------------------------- |
| user list | `L#<title>` | `U#<user>`   | kind, title, user, type, entries, updatedAt, version,    |
|           |             |              | fence                                                    |
| aggregate | `L#<title>` | `A`          | kind, title, type, entries, counts, users, updatedAt,    |
|           |             |              | version, gsi1pk/gsi1sk (the `titles` index)              |
| change    | `L#<title>` | `C#<digest>` | kind, status, reason, fingerprint, decidedAt,            |
|           |             |              | expiresAt (TTL)                                          |

A change item remembers one change's outcome; its digest is the first 128 bits of the SHA-256
of the JSON array `[user, event id]`, so the same id sent to two user lists is two items.
A user list stays behind as a tombstone (`deleted`, no entries, `expiresAt` for DynamoDB's TTL)
when it is deleted, so its fence still holds; an aggregate whose last user left stays as a
tombstone too, so its version keeps counting up. Only live aggregates carry the keys of the
`titles` index, which lists the titles.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from shared.lists.aggregate import Aggregate
from shared.lists.changes import OrderKey
from shared.lists.coalesce import Slot, Write
from shared.lists.dedup import Remembered, Status
from shared.lists.user_list import UserList

USER_LIST = "user-list"
AGGREGATE = "aggregate"
CHANGE = "change"
LIST_KINDS = (USER_LIST, AGGREGATE)
TITLES_INDEX = "titles"
TITLES_PARTITION = "T"
AGGREGATE_SORT_KEY = "A"
USER_PREFIX = "U#"
CHANGE_PREFIX = "C#"

Key = tuple[str, str]
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}


def from_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


# -- keys ----------------------------------------------------------------------------------------


def title_key(title: str) -> str:
    return f"L#{title}"


def aggregate_key(title: str) -> Key:
    return (title_key(title), AGGREGATE_SORT_KEY)


def user_list_key(title: str, user: str) -> Key:
    return (title_key(title), USER_PREFIX + user)


def change_key(title: str, user: str, event_id: str) -> Key:
    scoped = json.dumps([user, event_id], ensure_ascii=False, separators=(",", ":"))
    return (title_key(title), CHANGE_PREFIX + hashlib.sha256(scoped.encode()).hexdigest()[:32])


def key_of(item: Mapping[str, Any]) -> Key:
    return (str(item["pk"]), str(item["sk"]))


def as_key(key: Key) -> dict[str, str]:
    return {"pk": key[0], "sk": key[1]}


# -- items out -----------------------------------------------------------------------------------


def user_list_item(title: str, user: str, slot: Slot, version: int, expires_at: int) -> dict[str, Any]:
    key = user_list_key(title, user)
    item: dict[str, Any] = {"pk": key[0], "sk": key[1], "kind": USER_LIST, "title": title, "user": user}
    if slot.user_list is None:
        item.update(deleted=True, expiresAt=expires_at)
    else:
        item.update(
            type=slot.user_list.type,
            entries=dict(slot.user_list.entries),
            updatedAt=slot.user_list.updated_at,
        )
    item["version"] = version
    if slot.fence is not None:
        # The sequence number as a string: Kinesis's have 56 digits, DynamoDB numbers at most 38.
        at, shard, sequence, event_id = slot.fence
        item["fence"] = [at, shard, str(sequence), event_id]
    return item


def aggregate_item(title: str, aggregate: Aggregate | None, version: int) -> dict[str, Any]:
    key = aggregate_key(title)
    item: dict[str, Any] = {"pk": key[0], "sk": key[1], "kind": AGGREGATE, "title": title, "version": version}
    if aggregate is None:
        item["deleted"] = True
        return item
    item.update(
        type=aggregate.type,
        entries=dict(aggregate.sums),
        counts=dict(aggregate.counts),
        users=aggregate.users,
        updatedAt=aggregate.updated_at,
        gsi1pk=TITLES_PARTITION,
        gsi1sk=title,
    )
    return item


def change_item(
    title: str, user: str, event_id: str, decision: Remembered, expires_at: int
) -> dict[str, Any]:
    key = change_key(title, user, event_id)
    item: dict[str, Any] = {
        "pk": key[0],
        "sk": key[1],
        "kind": CHANGE,
        "status": decision.status,
        "decidedAt": decision.decided_at,
        "expiresAt": expires_at,
    }
    if decision.reason:
        item["reason"] = decision.reason
    if decision.fingerprint:
        item["fingerprint"] = decision.fingerprint
    return item


def write_items(write: Write, expires_at: int) -> list[dict[str, Any]]:
    """The items one write stores: the aggregate first, then its user lists and changes."""
    stored = [aggregate_item(write.title, write.aggregate, write.version)]
    stored += [
        user_list_item(write.title, user, slot, write.version, expires_at)
        for user, slot in write.slots.items()
    ]
    stored += [
        change_item(write.title, user, event_id, decision, expires_at)
        for (user, event_id), decision in write.decided.items()
    ]
    return stored


def transact_actions(table_name: str, write: Write, expires_at: int) -> list[dict[str, Any]]:
    """The TransactWriteItems actions of one write: the aggregate put only if the title is still at
    the version the write was planned from, the other items put with it."""
    aggregate, *others = write_items(write, expires_at)
    guarded: dict[str, Any] = {"TableName": table_name, "Item": to_attributes(aggregate)}
    if write.expected_version == 0:
        guarded["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        guarded["ConditionExpression"] = "#version = :expected"
        guarded["ExpressionAttributeNames"] = {"#version": "version"}
        guarded["ExpressionAttributeValues"] = {":expected": {"N": str(write.expected_version)}}
    return [{"Put": guarded}] + [
        {"Put": {"TableName": table_name, "Item": to_attributes(item)}} for item in others
    ]


# -- items in ------------------------------------------------------------------------------------


def is_live(item: Mapping[str, Any] | None) -> bool:
    return item is not None and item.get("kind") in LIST_KINDS and not item.get("deleted")


def user_list_from_item(item: Mapping[str, Any] | None) -> UserList | None:
    if item is None or not is_live(item):
        return None
    return UserList(item["title"], item["user"], item["type"], dict(item["entries"]), int(item["updatedAt"]))


def aggregate_from_item(item: Mapping[str, Any] | None) -> Aggregate | None:
    if item is None or not is_live(item):
        return None
    return Aggregate(
        title=item["title"],
        type=item["type"],
        sums=dict(item["entries"]),
        counts={key: int(count) for key, count in item["counts"].items()},
        users=int(item["users"]),
        updated_at=int(item["updatedAt"]),
    )


def slot_from_item(item: Mapping[str, Any]) -> Slot:
    fence = item.get("fence")
    order: OrderKey | None = None
    if fence is not None:
        order = (int(fence[0]), str(fence[1]), int(str(fence[2])), str(fence[3]))
    return Slot(user_list_from_item(item), order)


def remembered_from_item(item: Mapping[str, Any]) -> Remembered:
    status: Status = item["status"]
    return Remembered(
        status, str(item.get("reason", "")), int(item["decidedAt"]), str(item.get("fingerprint", ""))
    )


def version_of(item: Mapping[str, Any] | None) -> int:
    return int(item["version"]) if item else 0


# -- the table's stream, for the trigger ---------------------------------------------------------


@dataclass(frozen=True)
class ListImage:
    """A list as one image of the table's stream shows it."""

    title: str
    user: str | None
    """None for an aggregate."""
    version: int
    value: UserList | Aggregate | None
    """None for a tombstone."""
    raw: dict[str, Any]
    """The item as subscribers may see it (`raw.new` / `raw.old`): without internal bookkeeping."""


def list_image(image: Mapping[str, Any] | None) -> ListImage | None:
    """The list a plain stream image holds; None for an item that is not a list."""
    if image is None or image.get("kind") not in LIST_KINDS:
        return None
    raw = dict(image)
    user = image["user"] if image["kind"] == USER_LIST else None
    value = user_list_from_item(image) if user is not None else aggregate_from_item(image)
    return ListImage(str(image["title"]), user, version_of(image), value, raw)
