"""The aggregate of a title: what all its users' lists add up to.

For both list types the aggregate keeps, per key, the sum of the users' values and the number of
users holding the key; a key no user holds any more leaves it. A rank aggregate also shows those
counts and a ranking: keys by mean rank ascending, ties broken by more users, then by key.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from shared.lists import numbers
from shared.lists.user_list import ListType, UserList, check_size


@dataclass(frozen=True)
class Aggregate:
    title: str
    type: ListType
    sums: Mapping[str, Decimal]
    counts: Mapping[str, int]
    users: int
    updated_at: int


def join(aggregate: Aggregate | None, user_list: UserList) -> Aggregate:
    """The aggregate with a new user's list added."""
    base = aggregate or Aggregate(user_list.title, user_list.type, {}, {}, 0, user_list.updated_at)
    sums, counts = _shifted(base, user_list.entries, +1)
    check_size(sums, f"the aggregate of {base.title!r}")
    return Aggregate(
        base.title, base.type, sums, counts, base.users + 1, max(base.updated_at, user_list.updated_at)
    )


def swap(aggregate: Aggregate, old: UserList, new: UserList) -> Aggregate:
    """The aggregate with a user's previous contribution taken out and the new one added."""
    sums, counts = _shifted(aggregate, old.entries, -1, new.entries)
    check_size(sums, f"the aggregate of {aggregate.title!r}")
    updated_at = max(aggregate.updated_at, new.updated_at)
    return Aggregate(aggregate.title, aggregate.type, sums, counts, aggregate.users, updated_at)


def leave(aggregate: Aggregate, user_list: UserList, timestamp: int) -> Aggregate | None:
    """The aggregate with a user's list taken out, or None once no user is left."""
    if aggregate.users <= 1:
        return None
    sums, counts = _shifted(aggregate, user_list.entries, -1)
    updated_at = max(aggregate.updated_at, timestamp)
    return Aggregate(aggregate.title, aggregate.type, sums, counts, aggregate.users - 1, updated_at)


def touch(aggregate: Aggregate | None, timestamp: int) -> Aggregate | None:
    """The aggregate of a title some change was applied to without changing any list."""
    return aggregate and replace(aggregate, updated_at=max(aggregate.updated_at, timestamp))


def ranking(sums: Mapping[str, Decimal], counts: Mapping[str, int]) -> list[str]:
    """Keys ordered by mean rank ascending, then by more users, then by key."""

    def order(key: str) -> tuple[Fraction, int, str]:
        # Fractions, not Decimal division: two means that differ only past the 28th digit
        # must still order the same way every time.
        return (Fraction(sums[key]) / counts[key], -counts[key], key)

    return sorted(sums, key=order)


def _shifted(
    aggregate: Aggregate,
    entries: Mapping[str, Decimal],
    sign: int,
    added: Mapping[str, Decimal] | None = None,
) -> tuple[dict[str, Decimal], dict[str, int]]:
    """The sums and counts with `entries` added (sign +1) or taken out (sign -1), then `added`
    added, in one copy of them; a key no user holds any more leaves both."""
    sums, counts = dict(aggregate.sums), dict(aggregate.counts)
    _shift(sums, counts, entries, sign)
    if added:
        _shift(sums, counts, added, +1)
    return sums, counts


def _shift(
    sums: dict[str, Decimal], counts: dict[str, int], entries: Mapping[str, Decimal], sign: int
) -> None:
    combine = numbers.add if sign > 0 else numbers.subtract
    for key, value in entries.items():
        count = counts.get(key, 0) + sign
        if count <= 0:
            sums.pop(key, None)
            counts.pop(key, None)
        else:
            sums[key] = combine(sums.get(key, _ZERO), value)
            counts[key] = count


_ZERO = Decimal(0)
