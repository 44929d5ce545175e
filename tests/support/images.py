"""Table stream records of list items, as the trigger receives them."""

from decimal import Decimal
from typing import Any

from shared.adapters.dynamodb import layout
from shared.events.testing import dynamodb_record
from shared.lists.coalesce import Slot, Write
from shared.lists.dedup import Remembered
from shared.lists.user_list import UserList


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


def user_list(version: int, entries: dict[str, int] | None = None, deleted: bool = False) -> dict[str, Any]:
    """bill's list under "stats" as the table holds it: with the outcome of the change that made
    this version (the trigger must never publish those)."""
    live = None
    if not deleted:
        values = {key: Decimal(value) for key, value in (entries or {}).items()}
        live = UserList("stats", "bill", "tally", values, 1000 + version)
    decided = {("bill", f"change-{version}"): Remembered("applied", "", 1000 + version)}
    write = Write("stats", version - 1, None, {"bill": Slot(live)}, decided)
    return layout.stored_write(write, {}, 99, 25).items[1]


KEYS_BILL = layout.as_key(layout.user_list_key("stats", "bill"))
