"""Table stream records of list items, as the trigger receives them."""

from decimal import Decimal
from typing import Any

from shared.events.testing import dynamodb_record
from shared.stream.connectors.dynamodb import layout


def created(title: str, user: str) -> dict[str, Any]:
    key = layout.as_key(layout.user_list_key(title, user))
    item = {
        **key,
        "kind": layout.USER_LIST,
        "title": title,
        "user": user,
        "version": 1,
        "type": "tally",
        "entries": {"xp": Decimal(1)},
        "updatedAt": 1,
    }
    return dynamodb_record("INSERT", key, new=item)


# A user list of the layout that carried its ids in `seen` (the trigger must never publish them).
def user_list(version: int, entries: dict[str, int] | None = None, deleted: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": "L#stats",
        "sk": "U#bill",
        "kind": "user-list",
        "title": "stats",
        "user": "bill",
        "version": version,
        "seen": {"1": {b"12345678"}},
    }
    if deleted:
        item.update(deleted=True, expiresAt=99)
    else:
        item.update(
            type="tally",
            entries={k: Decimal(v) for k, v in (entries or {}).items()},
            updatedAt=1000 + version,
        )
    return item


KEYS_BILL = {"pk": "L#stats", "sk": "U#bill"}
