"""The archive: the port through which the listener keeps one row per applied change, and the API
and the admin operations read them back, whatever holds them (MySQL or SQLite in AWS and locally,
memory in unit tests).

An id's scope is the user list it targets, so a row's identity is (title, user, id): a change
archived twice is one row, and the same id sent for another user list is a row of its own. Rows are
written before the table changes they describe (write-ahead), each with the aggregate version and
position it is stored at, which orders a title's rows exactly as they were applied: history reads
and replay follow that order. Names are compared as exact strings (no padding, case folding or
Unicode normalization) and ordered as Python orders them.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

MAX_INTEGER = 2**63 - 1
"""The largest version or position an archive holds (a signed 64-bit column)."""

ArchiveKey = tuple[str, str, str]
"""(title, user_name, id): a row's identity."""


@dataclass(frozen=True)
class ArchivedRecord:
    id: str
    title: str
    user_name: str
    event_type: str
    list_type: str | None
    entries: str | None
    """The entries as JSON, exact numbers."""
    timestamp: int
    version: int
    position: int
    shard_id: str | None
    sequence_number: str | None
    partition_key: str | None
    document: str
    """The record's data as it arrived on the stream: a submission or an event envelope."""
    archived_at: int

    @property
    def key(self) -> ArchiveKey:
        return (self.title, self.user_name, self.id)


class ArchiveUnavailable(RuntimeError):
    """The archive could not be reached or refused the statement: retry later."""


class ChangeArchive(Protocol):
    # -- the listener's side ---------------------------------------------------------------------
    def record(self, rows: Sequence[ArchivedRecord]) -> None:
        """Archives `rows` at once. A row already there under the same key keeps its content and
        takes the version and position given, which is where its change is about to be stored."""
        ...

    def forget(self, keys: Sequence[ArchiveKey]) -> None:
        """Removes the rows of changes that were archived but then turned out not to apply; a key
        with no row is no error."""
        ...

    # -- reads -----------------------------------------------------------------------------------
    def history(self, title: str, limit: int, before: tuple[int, int] | None = None) -> list[ArchivedRecord]:
        """A title's rows, newest first (by version, then position), starting after the
        (version, position) `before`."""
        ...

    def in_order(self) -> Iterator[ArchivedRecord]:
        """Every row, title by title in the order of their names (each title's rows together),
        and within a title in the order it was applied."""
        ...

    # -- administration --------------------------------------------------------------------------
    def count(self) -> int: ...

    def purge(self) -> None:
        """Removes every row."""
        ...
