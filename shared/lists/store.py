"""The list store: the port through which the listener, the API and the admin operations reach
the read model, whatever holds it (DynamoDB in AWS and locally, memory in unit tests).

Everything here is domain-level: titles, users, lists, outcomes. How a store lays them out
(keys, items, indexes) is its own business.
"""

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from shared.lists.aggregate import Aggregate
from shared.lists.coalesce import TitleState, Write
from shared.lists.dedup import Remembered
from shared.lists.user_list import ListType, UserList

Wanted = Mapping[str, Mapping[str, Collection[str]]]
"""Title -> user -> the ids of the changes a batch has for that user list."""


@dataclass
class CommitResult:
    committed: dict[str, int] = field(default_factory=dict)
    """Title -> how many of its writes are stored."""
    stale: set[str] = field(default_factory=set)
    """Titles whose next write was refused because another writer got there first."""
    failed: dict[str, Exception] = field(default_factory=dict)
    """Titles whose next write failed for a reason that may pass."""
    refused: dict[str, str] = field(default_factory=dict)
    """Titles whose next write the store can never take (too large, say), and why: the changes
    it holds are faults, never retried."""


@dataclass(frozen=True)
class TitleSummary:
    title: str
    type: ListType
    users: int
    updated_at: int


@dataclass(frozen=True)
class UserSummary:
    title: str
    user: str
    type: ListType
    updated_at: int


@dataclass(frozen=True)
class StoredList:
    """One list as stored: a user list (`user` set) or an aggregate, None once deleted (a
    tombstone, kept so versions keep counting up and deletes keep fencing older changes)."""

    title: str
    user: str | None
    value: UserList | Aggregate | None


class StoreUnavailable(RuntimeError):
    """The store refused or could not serve a request after its own retries: retry later."""


class ListStore(Protocol):
    # -- the listener's side ---------------------------------------------------------------------
    def load(self, wanted: Wanted) -> dict[str, TitleState]:
        """The stored state of each title in `wanted`, of the users named with it and of the
        changes named for them (read consistently)."""
        ...

    def commit(self, writes: Mapping[str, Sequence[Write]], expires_at: int) -> CommitResult:
        """Stores each title's writes in order, each one only if the title's version is still
        the one it expects and its user lists are still as `load` read them (the writes are
        planned from its state, `carried` included). `expires_at` (epoch seconds) is when what
        they remember may go."""
        ...

    # -- reads -----------------------------------------------------------------------------------
    def aggregate(self, title: str) -> Aggregate | None: ...
    def user_list(self, title: str, user: str) -> UserList | None: ...
    def change(self, title: str, user: str, event_id: str) -> Remembered | None:
        """The outcome remembered for one change of a user list, if any."""
        ...

    def titles_page(self, limit: int, after: str | None) -> tuple[list[TitleSummary], str | None]:
        """Live titles in order after `after`, and the page's last title when more follow."""
        ...

    def users_page(
        self, title: str, limit: int, after: str | None
    ) -> tuple[list[UserSummary], str | None]: ...

    # -- administration --------------------------------------------------------------------------
    def lists(self) -> Iterator[StoredList]:
        """Every list the store holds, tombstones included."""
        ...

    def put(self, writes: Sequence[Write], expires_at: int) -> int:
        """Stores writes unconditionally (for a rebuild, never for changes); returns how many
        items that took."""
        ...

    def remove(self, lists: Sequence[StoredList]) -> None: ...

    def purge(self) -> int:
        """Removes everything the store holds; returns how many lists were removed."""
        ...
