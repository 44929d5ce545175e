"""The single-table layout: how lists are stored as DynamoDB items, as plain values.

| item      | pk          | sk         | also                                                        |
| --------- | ----------- | ---------- | ----------------------------------------------------------- |
| user list | `L#<title>` | `U#<user>` | kind, title, user, type, entries, updatedAt, version, seen  |
| aggregate | `L#<title>` | `A`        | kind, title, type, entries, counts, users, updatedAt,       |
|           |             |            | version, gsi1pk/gsi1sk (the `titles` index)                 |

A user list stays behind as a tombstone (`deleted`, no entries, `expiresAt` for DynamoDB's TTL)
when it is deleted, so the ids applied to it are still remembered; an aggregate whose last user
left stays as a tombstone too, so its version keeps counting up. Tombstones are never shown: reads
answer 404 for them and the trigger publishes a `*-deleted` event when a list becomes one.
Only live aggregates carry the keys of the `titles` index, which lists the titles.
"""

from collections.abc import Mapping
from typing import Any

from shared.lists.aggregate import Aggregate, ranking
from shared.lists.coalesce import Slot, TitleState
from shared.lists.dedup import SeenWindow
from shared.lists.user_list import UserList

USER_LIST = "user-list"
AGGREGATE = "aggregate"
TITLES_INDEX = "titles"
TITLES_PARTITION = "T"
DEDUP_ATTRIBUTES = ("seen", "rejected")


def title_key(title: str) -> str:
    return f"L#{title}"


def user_key(user: str) -> str:
    return f"U#{user}"


AGGREGATE_SORT_KEY = "A"


def user_list_key(title: str, user: str) -> dict[str, str]:
    return {"pk": title_key(title), "sk": user_key(user)}


def aggregate_key(title: str) -> dict[str, str]:
    return {"pk": title_key(title), "sk": AGGREGATE_SORT_KEY}


def user_list_item(title: str, user: str, slot: Slot, version: int, expires_at: int) -> dict[str, Any]:
    item: dict[str, Any] = {**user_list_key(title, user), "kind": USER_LIST, "title": title, "user": user}
    if slot.user_list is None:
        item.update(deleted=True, expiresAt=expires_at)
    else:
        item.update(
            type=slot.user_list.type,
            entries=dict(slot.user_list.entries),
            updatedAt=slot.user_list.updated_at,
        )
    item["version"] = version
    if slot.seen.buckets:
        item["seen"] = {str(hour): set(ids) for hour, ids in slot.seen.buckets.items()}
    if slot.rejected:
        item["rejected"] = {key.hex(): reason for key, reason in slot.rejected.items()}
    return item


def aggregate_item(title: str, aggregate: Aggregate | None, version: int) -> dict[str, Any]:
    item: dict[str, Any] = {**aggregate_key(title), "kind": AGGREGATE, "title": title, "version": version}
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


def is_live(item: Mapping[str, Any] | None) -> bool:
    return bool(item) and not item.get("deleted")  # type: ignore[union-attr]


def user_list_from_item(item: Mapping[str, Any] | None) -> UserList | None:
    if item is None or not is_live(item):
        return None
    return UserList(item["title"], item["user"], item["type"], dict(item["entries"]), int(item["updatedAt"]))


def slot_from_item(item: Mapping[str, Any] | None) -> Slot:
    if item is None:
        return Slot()
    buckets = {
        int(hour): frozenset(bytes(value) for value in ids) for hour, ids in item.get("seen", {}).items()
    }
    rejected = {bytes.fromhex(key): str(reason) for key, reason in item.get("rejected", {}).items()}
    return Slot(user_list_from_item(item), SeenWindow(buckets), rejected)


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


def title_state(
    title: str, aggregate: Mapping[str, Any] | None, users: Mapping[str, Mapping[str, Any]]
) -> TitleState:
    """A title's state from its aggregate item (or None) and the user-list items found."""
    return TitleState(
        title=title,
        aggregate=aggregate_from_item(aggregate),
        version=int(aggregate["version"]) if aggregate else 0,
        slots={user: slot_from_item(item) for user, item in users.items()},
    )


def user_list_entity(item: Mapping[str, Any]) -> dict[str, Any]:
    """What reads return and `user-list-*` events carry."""
    return {
        "title": item["title"],
        "user": item["user"],
        "type": item["type"],
        "entries": dict(item["entries"]),
        "updatedAt": int(item["updatedAt"]),
    }


def aggregate_entity(item: Mapping[str, Any]) -> dict[str, Any]:
    """What reads return and `aggregate-list-*` events carry."""
    entity: dict[str, Any] = {
        "title": item["title"],
        "type": item["type"],
        "entries": dict(item["entries"]),
        "users": int(item["users"]),
        "updatedAt": int(item["updatedAt"]),
    }
    if item["type"] == "rank":
        counts = {key: int(count) for key, count in item["counts"].items()}
        entity["counts"] = counts
        entity["ranking"] = ranking(item["entries"], counts)
    return entity


def public_image(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An item image for `raw`: every attribute but the dedup window, internal bookkeeping of up
    to 64 KiB that no subscriber needs."""
    if item is None:
        return None
    return {name: value for name, value in item.items() if name not in DEDUP_ATTRIBUTES}


def entity(item: Mapping[str, Any]) -> dict[str, Any]:
    return user_list_entity(item) if item["kind"] == USER_LIST else aggregate_entity(item)
