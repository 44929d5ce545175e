"""The two changes a list can undergo, as the listener applies them."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from shared.lists.user_list import ListType


@dataclass(frozen=True)
class Submit:
    """A submission: tally entries to add, or a ranking to replace the user's."""

    event_id: str
    title: str
    user: str
    type: ListType
    entries: Mapping[str, Decimal]
    timestamp: int


@dataclass(frozen=True)
class Delete:
    """The removal of a user's list, which takes its contribution out of the aggregate."""

    event_id: str
    title: str
    user: str
    timestamp: int


Change = Submit | Delete
