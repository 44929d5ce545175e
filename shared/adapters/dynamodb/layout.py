"""The single-table layout: how lists and outcomes are stored as DynamoDB items. Pure functions
over plain values; only the DynamoDB adapter (this package) builds or reads a key.

| item      | pk          | sk           | also                                                     |
| --------- | ----------- | ------------ | -------------------------------------------------------- |
| user list | `L#<title>` | `U#<user>`   | kind, title, user, type, entries, updatedAt, version,    |
|           |             |              | fence, outcomes, movedOut                                |
| aggregate | `L#<title>` | `A`          | kind, title, type, entries, counts, users, updatedAt,    |
|           |             |              | version, gsi1pk/gsi1sk (the `titles` index)              |
| change    | `L#<title>` | `C#<digest>` | kind, status, reason, fingerprint, decidedAt,            |
|           |             |              | expiresAt (TTL)                                          |

A user-list item keeps the outcomes of its recent changes (`outcomes`, see outcomes.py); older
ones move out to change items of their own, keyed by the first 128 bits of the SHA-256 of the
JSON array `[user, event id]`, so the same id sent to two user lists is two outcomes. A user list
stays behind as a tombstone (`deleted`, no entries, `expiresAt` for DynamoDB's TTL) when it is
deleted, so its fence still holds, and a user that never had a list gets one to keep the outcome
of a change that did not apply; an aggregate whose last user left stays as a tombstone too, so
its version keeps counting up. Only live aggregates carry the keys of the `titles` index, which
lists the titles.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.adapters.dynamodb import moved_out
from shared.adapters.dynamodb.attributes import to_attributes
from shared.adapters.dynamodb.capacity import KB, item_size
from shared.adapters.dynamodb.outcomes import NO_OUTCOMES, Kept, Outcomes, digest, keep, pack, unpack
from shared.lists.aggregate import Aggregate
from shared.lists.changes import OrderKey
from shared.lists.coalesce import Slot, Write
from shared.lists.dedup import HOUR_MS, Remembered, Status
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

INTERNAL_ATTRIBUTES = ("outcomes", "movedOut")
"""What a user-list item keeps for the listener alone: never published."""
MIN_OUTCOME_ROOM = 128
"""The least room an item keeps for earlier outcomes, however full its last KB: a few, so a retry
soon after finds its id in the item."""

Key = tuple[str, str]


# -- keys ----------------------------------------------------------------------------------------


def title_key(title: str) -> str:
    return f"L#{title}"


def aggregate_key(title: str) -> Key:
    return (title_key(title), AGGREGATE_SORT_KEY)


def user_list_key(title: str, user: str) -> Key:
    return (title_key(title), USER_PREFIX + user)


def digest_key(title: str, key: bytes) -> Key:
    return (title_key(title), CHANGE_PREFIX + key.hex())


def key_of(item: Mapping[str, Any]) -> Key:
    return (str(item["pk"]), str(item["sk"]))


def as_key(key: Key) -> dict[str, str]:
    return {"pk": key[0], "sk": key[1]}


# -- items out -----------------------------------------------------------------------------------


def user_list_item(
    title: str, user: str, slot: Slot, version: int, expires_at: int, outcomes: Outcomes = NO_OUTCOMES
) -> dict[str, Any]:
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
    item.update(_packed_outcomes(outcomes))
    return item


def _packed_outcomes(outcomes: Outcomes) -> list[tuple[str, bytes]]:
    """The attributes that keep an item's outcomes and its filters of those moved out."""
    packed = []
    if outcomes.kept:
        packed.append(("outcomes", pack(outcomes.kept)))
    if outcomes.moved_out:
        packed.append(("movedOut", moved_out.pack(outcomes.moved_out)))
    return packed


def _packed_size(name: str, size: int) -> int:
    """What a binary attribute of `size` bytes adds to an item (nothing when it is empty)."""
    return len(name) + size if size else 0


def kept_tombstone(item: Mapping[str, Any], window_hours: int) -> dict[str, Any] | None:
    """What stays of a user-list item once its list is removed: a tombstone with the outcomes it
    keeps, expiring with the newest of them; None for an item that keeps none."""
    outcomes = outcomes_from_item(item)
    if item.get("kind") != USER_LIST or not (outcomes.kept or outcomes.moved_out):
        return None
    newest = max(
        [*(each.newest for each in outcomes.moved_out), *(each.outcome.decided_at for each in outcomes.kept)]
    )
    expires_at = (newest + window_hours * HOUR_MS) // 1000
    return user_list_item(item["title"], item["user"], Slot(), version_of(item), expires_at, outcomes)


def outcome_bytes(item: Mapping[str, Any]) -> int:
    """What a user-list item's outcomes take, the filters of those that moved out included: up
    to 64 KB beside the list, which every write of the item carries."""
    return sum(len(name) + len(bytes(item[name])) for name in INTERNAL_ATTRIBUTES if name in item)


def outcome_room(size_without_them: int) -> int:
    """The bytes a user-list item of `size_without_them` leaves for its kept outcomes: the rest
    of its last KB (a write is billed by the KB), at least MIN_OUTCOME_ROOM."""
    size = size_without_them + len("outcomes")
    room = math.ceil(size / KB) * KB - size
    return room if room >= MIN_OUTCOME_ROOM else room + KB


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


def change_item(title: str, kept: Kept, window_hours: int) -> dict[str, Any]:
    """The change item of an outcome that moves out of its user list's item."""
    key = digest_key(title, kept.digest)
    decision = kept.outcome
    item: dict[str, Any] = {
        "pk": key[0],
        "sk": key[1],
        "kind": CHANGE,
        "status": decision.status,
        "decidedAt": decision.decided_at,
        "expiresAt": (decision.decided_at + window_hours * HOUR_MS) // 1000,
    }
    if decision.reason:
        item["reason"] = decision.reason
    if decision.fingerprint:
        item["fingerprint"] = decision.fingerprint
    return item


@dataclass(frozen=True)
class StoredWrite:
    """The items one write stores: the aggregate, then its user lists (each with the outcomes it
    keeps), and the change items of the outcomes that move out, to be put before it commits."""

    items: list[dict[str, Any]]
    moved_out: list[dict[str, Any]]
    outcomes: dict[str, Outcomes]
    """User -> the outcomes its item keeps after the write."""
    typed: list[dict[str, Any]] = field(default_factory=list, compare=False)
    """`items` as AttributeValues, each built once."""
    sizes: list[int] = field(default_factory=list, compare=False)
    """The size of each of `items`, as DynamoDB counts it."""


def stored_write(
    write: Write, earlier: Mapping[str, Outcomes], expires_at: int, window_hours: int, final: bool = False
) -> StoredWrite:
    """The items of `write`, given the outcomes each of its user lists' items kept before it.

    `expires_at` is when the write's own outcomes may be forgotten (epoch seconds): one window
    after the write, so outcomes decided a window before the write are dropped. `final`: the
    write's outcomes are of changes stored already (a rebuild's), and may move out at once."""
    window_ms = window_hours * HOUR_MS
    forgotten_before = expires_at * 1000 - 2 * window_ms
    decided: dict[str, list[Kept]] = {}
    for (user, event_id), decision in write.decided.items():
        decided.setdefault(user, []).append(Kept(digest(user, event_id), decision))
    aggregate = aggregate_item(write.title, write.aggregate, write.version)
    items, typed = [aggregate], [to_attributes(aggregate)]
    sizes = [item_size(typed[0])]
    change_items: list[dict[str, Any]] = []
    kept_by_user: dict[str, Outcomes] = {}
    for user, slot in write.slots.items():
        before = earlier.get(user, NO_OUTCOMES)
        bare = user_list_item(write.title, user, slot, write.version, expires_at)
        bare_typed = to_attributes(bare)
        size = item_size(bare_typed)
        # The room left beside the list and its filters of what moved out, as they stand.
        room = outcome_room(size + _packed_size("movedOut", moved_out.packed_size(before.moved_out)))
        outcomes, moved = keep(before, decided.get(user, ()), forgotten_before, room, final)
        grown = moved_out.packed_size(outcomes.moved_out) - moved_out.packed_size(before.moved_out)
        if grown > 0:
            # The filters grew with what moved out: that much less room for the outcomes kept.
            outcomes, moved = keep(before, decided.get(user, ()), forgotten_before, room - grown, final)
        kept_by_user[user] = outcomes
        item, item_typed = bare, bare_typed
        for name, packed in _packed_outcomes(outcomes):
            item[name] = packed
            item_typed[name] = {"B": packed}
            size += _packed_size(name, len(packed))
        items.append(item)
        typed.append(item_typed)
        sizes.append(size)
        change_items += [change_item(write.title, each, window_hours) for each in moved]
    return StoredWrite(items, change_items, kept_by_user, typed, sizes)


def transact_actions(
    table_name: str, stored: StoredWrite, expected_versions: Sequence[int]
) -> list[dict[str, Any]]:
    """The TransactWriteItems actions of one write's items (the aggregate, then its user lists),
    each put only if its item is still at the version the write was planned from (0: absent).
    The aggregate's version serializes the title's writes; each user list's own guards what
    was read of it, since a BatchGetItem is no snapshot: the aggregate may be read after another
    writer's commit and a user list before it. A condition costs no write unit."""
    return [
        {"Put": _guarded(table_name, item, version)}
        for item, version in zip(stored.typed, expected_versions, strict=True)
    ]


def _guarded(table_name: str, item: dict[str, Any], expected_version: int) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": table_name, "Item": item}
    if expected_version == 0:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        put["ConditionExpression"] = "#version = :expected"
        put["ExpressionAttributeNames"] = {"#version": "version"}
        put["ExpressionAttributeValues"] = {":expected": {"N": str(expected_version)}}
    return put


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


def outcomes_from_item(item: Mapping[str, Any] | None) -> Outcomes:
    if item is None:
        return NO_OUTCOMES
    packed, moved = item.get("outcomes"), item.get("movedOut")
    return Outcomes(unpack(bytes(packed)) if packed else (), moved_out.unpack(bytes(moved)) if moved else ())


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
    raw = {name: value for name, value in image.items() if name not in INTERNAL_ATTRIBUTES}
    user = image["user"] if image["kind"] == USER_LIST else None
    value = user_list_from_item(image) if user is not None else aggregate_from_item(image)
    return ListImage(str(image["title"]), user, version_of(image), value, raw)
