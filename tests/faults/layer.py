"""Seeded fault injection over the ports the listener talks through: the list store, the archive
and the event stream.

Every wrapper takes a `Faults` (one random.Random(seed)), so the whole sequence of failures of a
run follows from its seed alone, and fails the way the real connector does:
- the store: `load` raises TableUnavailable (a subclass of StoreUnavailable, what the DynamoDB
  adapter raises after the SDK's retries); `commit` reports titles in `CommitResult.failed`,
  either *before* the write (nothing stored) or *after* it (stored, but the caller sees a
  timeout: the server applied the transaction and the answer was lost);
- the archive: ArchiveUnavailable before a statement (nothing written) or after it (written,
  the acknowledgement lost), or the connection closed under it (the real Archive reconnects);
- the stream: PutRecords refused whole (StreamUnavailable, as the Kinesis connector raises on a
  throttled call) or in part (per-record ProvisionedThroughputExceededException/InternalFailure).

ThrottledStream refuses records at positions a test picks instead, for tests that need one failure
in one place. Each wrapper is typed against its port (ListStore, ChangeArchive, Stream), so mypy
checks that it can stand wherever the real connector does, over the real connector or the
in-memory one alike.
"""

import random
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from shared.adapters.dynamodb.table import TableUnavailable
from shared.lists.aggregate import Aggregate
from shared.lists.archive import ArchivedRecord, ArchiveKey, ArchiveUnavailable, ChangeArchive
from shared.lists.coalesce import TitleState, Write
from shared.lists.dedup import Remembered
from shared.lists.store import CommitResult, ListStore, StoredList, TitleSummary, UserSummary, Wanted
from shared.lists.user_list import UserList
from shared.stream.publish import Stream, StreamUnavailable

THROTTLED = "ProvisionedThroughputExceededException"
RECORD_ERRORS = (THROTTLED, "InternalFailure")


@dataclass
class Faults:
    """Where and how often failures are injected, from one seed."""

    seed: int
    rate: float = 0.1
    """The chance that any one call (or, for PutRecords and commits, any one record or title)
    fails."""
    overrides: dict[str, float] = field(default_factory=dict)
    """Rates by the start of a kind ("stream."): PutRecords refused often enough that the
    publisher's attempts run out, without every other call failing as often."""
    enabled: bool = True
    injected: Counter[str] = field(default_factory=Counter)
    """How many failures of each kind were injected, for the figures of docs/reliability.md."""

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    def roll(self, kind: str) -> bool:
        """Whether to fail here. The draw happens whatever `enabled` says, so switching faults off
        and on again never shifts the sequence of later draws."""
        rate = next((r for prefix, r in self.overrides.items() if kind.startswith(prefix)), self.rate)
        hit = self.random.random() < rate
        if hit and self.enabled:
            self.injected[kind] += 1
            return True
        return False

    def pick(self, choices: Sequence[str]) -> str:
        return choices[self.random.randrange(len(choices))]

    @property
    def total(self) -> int:
        return sum(self.injected.values())


class FaultyStore:
    """A ListStore whose listener-side calls fail as DynamoDB's do."""

    def __init__(self, inner: ListStore, faults: Faults) -> None:
        self.inner = inner
        self.faults = faults
        self.before_next_commit: Callable[[], object] | None = None
        """Runs once, between a load and the commit that follows it: another writer (a concurrent
        batch) moving the titles on in between, as a parallelization factor above 1 does."""

    def load(self, wanted: Wanted) -> dict[str, TitleState]:
        if self.faults.roll("store.load"):
            raise TableUnavailable("BatchGetItem: ProvisionedThroughputExceededException (injected)")
        return self.inner.load(wanted)

    def commit(self, writes: Mapping[str, Sequence[Write]], expires_at: int) -> CommitResult:
        hook, self.before_next_commit = self.before_next_commit, None
        if hook is not None:
            hook()
        before = {title for title in writes if self.faults.roll("store.commit.before")}
        result = self.inner.commit(
            {title: title_writes for title, title_writes in writes.items() if title not in before}, expires_at
        )
        for title in before:
            result.failed[title] = TableUnavailable("TransactWriteItems: ThrottlingException (injected)")
        for title in list(result.committed):
            if title not in result.failed and self.faults.roll("store.commit.after"):
                # Stored, but the answer never came back: the caller cannot tell it from a failure.
                result.failed[title] = TableUnavailable("TransactWriteItems: Read timed out (injected)")
        return result

    # Reads and administration pass through: the properties check them, they are not under test.
    def aggregate(self, title: str) -> Aggregate | None:
        return self.inner.aggregate(title)

    def user_list(self, title: str, user: str) -> UserList | None:
        return self.inner.user_list(title, user)

    def change(self, title: str, user: str, event_id: str) -> Remembered | None:
        return self.inner.change(title, user, event_id)

    def titles_page(self, limit: int, after: str | None) -> tuple[list[TitleSummary], str | None]:
        return self.inner.titles_page(limit, after)

    def users_page(self, title: str, limit: int, after: str | None) -> tuple[list[UserSummary], str | None]:
        return self.inner.users_page(title, limit, after)

    def lists(self) -> Iterator[StoredList]:
        return self.inner.lists()

    def put(self, writes: Sequence[Write], expires_at: int) -> int:
        return self.inner.put(writes, expires_at)

    def remove(self, lists: Sequence[StoredList]) -> None:
        self.inner.remove(lists)

    def purge(self) -> int:
        return self.inner.purge()


class ArchiveWrapper:
    """A ChangeArchive that passes every call on to the one it wraps: the base of wrappers that
    break its writes (its reads are not under test: the checks read through them)."""

    def __init__(self, inner: ChangeArchive) -> None:
        self.inner = inner

    def record(self, rows: Sequence[ArchivedRecord]) -> None:
        self.inner.record(rows)

    def forget(self, keys: Sequence[ArchiveKey]) -> None:
        self.inner.forget(keys)

    def history(self, title: str, limit: int, before: tuple[int, int] | None = None) -> list[ArchivedRecord]:
        return self.inner.history(title, limit, before)

    def in_order(self) -> Iterator[ArchivedRecord]:
        return self.inner.in_order()

    def count(self) -> int:
        return self.inner.count()

    def purge(self) -> None:
        self.inner.purge()


class FaultyArchive(ArchiveWrapper):
    """A ChangeArchive whose writes fail as the database does: before the statement, after it
    (the rows are written, the acknowledgement is lost), or with the connection closed under it."""

    def __init__(self, inner: ChangeArchive, faults: Faults, close: Callable[[], None] | None = None) -> None:
        super().__init__(inner)
        self.faults = faults
        self.close = close
        """Closes the real archive's connection under it, as a server restart or wait_timeout
        does: the next statement finds it dead and must be retried on a new one."""

    def record(self, rows: Sequence[ArchivedRecord]) -> None:
        self._guarded("record", lambda: self.inner.record(rows))

    def forget(self, keys: Sequence[ArchiveKey]) -> None:
        self._guarded("forget", lambda: self.inner.forget(keys))

    def _guarded(self, operation: str, call: Callable[[], None]) -> None:
        if self.faults.roll(f"archive.{operation}.before"):
            raise ArchiveUnavailable(
                f"archive: (2013, 'Lost connection to server') before {operation} (injected)"
            )
        if self.close is not None and self.faults.roll(f"archive.{operation}.closed"):
            self.close()
        call()
        if self.faults.roll(f"archive.{operation}.after"):
            raise ArchiveUnavailable(
                f"archive: (2013, 'Lost connection to server') after {operation} (injected)"
            )


class FaultyStream:
    """A Stream whose PutRecords is throttled as a whole or refuses some of its records."""

    def __init__(self, inner: Stream, faults: Faults) -> None:
        self.inner = inner
        self.faults = faults

    def put_records(self, records: Sequence[tuple[str, bytes]]) -> list[str | None]:
        if self.faults.roll("stream.call"):
            raise StreamUnavailable("PutRecords: ProvisionedThroughputExceededException (injected)")
        refused = {index for index in range(len(records)) if self.faults.roll("stream.record")}
        passed = [record for index, record in enumerate(records) if index not in refused]
        stored = iter(self.inner.put_records(passed))
        return [
            self.faults.pick(RECORD_ERRORS) if index in refused else next(stored)
            for index in range(len(records))
        ]


class ThrottledStream:
    """A Stream whose shard is throttled at the positions given: the records offered there
    (counted over every record ever offered, from 0) are refused, the others go on to the stream
    it wraps. Keeps every call as it was offered."""

    def __init__(self, inner: Stream, refuse: Collection[int] = ()) -> None:
        self.inner = inner
        self.refuse = refuse
        self.calls: list[list[tuple[str, bytes]]] = []

    @property
    def offered(self) -> int:
        return sum(len(call) for call in self.calls)

    def put_records(self, records: Sequence[tuple[str, bytes]]) -> list[str | None]:
        positions = range(self.offered, self.offered + len(records))
        self.calls.append(list(records))
        passed = [record for record, at in zip(records, positions, strict=True) if at not in self.refuse]
        stored = iter(self.inner.put_records(passed) if passed else [])
        return [THROTTLED if at in self.refuse else next(stored) for at in positions]
