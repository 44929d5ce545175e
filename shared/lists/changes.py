"""The two changes a list can undergo, as the listener applies them, and the order they keep.

A change's place in time is its order key: its effective time (the envelope's timestamp capped at
the record's arrival), then the shard and sequence number it arrived at, then its id. Rank
submissions and deletes of a rank list are last-writer-wins by that key, whatever the lane they
arrived in, so every delivery order converges to the same lists.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from shared.lists.user_list import ListType

OrderKey = tuple[int, str, int, str]
"""(effective time in epoch ms, shard id, sequence number as an integer, event id)."""


@dataclass(frozen=True)
class Submit:
    """A submission: tally entries to add, or a ranking to replace the user's."""

    event_id: str
    title: str
    user: str
    type: ListType
    entries: Mapping[str, Decimal]
    timestamp: int
    """The effective time, epoch milliseconds."""
    shard: str = ""
    sequence: int = 0


@dataclass(frozen=True)
class Delete:
    """The removal of a user's list, which takes its contribution out of the aggregate."""

    event_id: str
    title: str
    user: str
    timestamp: int
    shard: str = ""
    sequence: int = 0


Change = Submit | Delete


def order_key(change: Change) -> OrderKey:
    return (change.timestamp, change.shard, change.sequence, change.event_id)
