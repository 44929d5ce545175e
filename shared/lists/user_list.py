"""A user's list and the two ways a submission changes it: tally adds, rank replaces."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from shared.lists import numbers
from shared.lists.limits import (
    MAX_KEYS_PER_LIST,
    MAX_LIST_BYTES,
    MAX_NAME_BYTES,
    entries_bytes,
)

ListType = Literal["tally", "rank"]


KEYS_ALWAYS_SMALL_ENOUGH = MAX_LIST_BYTES // entries_bytes(1, MAX_NAME_BYTES)
"""So few keys that even 128 four-byte characters each stay under the size limit: no need to
measure them, which is most lists, on every change."""


class Rejected(ValueError):
    """A change that can never be applied: the record carrying it is a fault, not a retry."""


@dataclass(frozen=True)
class UserList:
    title: str
    user: str
    type: ListType
    entries: Mapping[str, Decimal]
    updated_at: int


def tally(current: Mapping[str, Decimal], entries: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Each entry added to the current value of its key; a new key starts at 0."""
    result = dict(current)
    for key, value in entries.items():
        result[key] = numbers.add(result.get(key, Decimal(0)), value)
    return result


def submit(
    existing: UserList | None,
    title: str,
    user: str,
    list_type: ListType,
    entries: Mapping[str, Decimal],
    timestamp: int,
) -> UserList:
    """The user list after one submission. `existing` must already be of `list_type`."""
    if existing is None:
        # A first tally is its entries as they are: the submission's numbers are storable already
        # (shared/events/submission.py), so adding them to zeros would change nothing.
        updated = UserList(title, user, list_type, dict(entries), timestamp)
    else:
        new_entries = dict(entries) if list_type == "rank" else tally(existing.entries, entries)
        updated = UserList(title, user, list_type, new_entries, max(existing.updated_at, timestamp))
    check_size(updated.entries, f"the list of {user!r} under {title!r}")
    return updated


def check_size(entries: Mapping[str, object], what: str) -> None:
    """Rejected when a list would pass the key count or the encoded size it may have."""
    if len(entries) > MAX_KEYS_PER_LIST:
        raise Rejected(f"{what} would have {len(entries)} keys; the limit is {MAX_KEYS_PER_LIST}")
    if len(entries) <= KEYS_ALWAYS_SMALL_ENOUGH:
        return
    size = entries_bytes(len(entries), sum(len(key.encode()) for key in entries))
    if size > MAX_LIST_BYTES:
        raise Rejected(f"{what} would take {size} bytes; the limit is {MAX_LIST_BYTES}")
