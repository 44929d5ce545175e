"""The list store and the archive in memory, with the same contracts as the DynamoDB store and the
SQL archive (tests/integration/test_list_store.py and test_archive.py run the same tests on each).
The store: a write whose expected version is gone is refused, reads see only live lists, pages
follow the titles' and users' order. The archive: one row per (title, user, id), read back in the
order its rows were applied. They serve unit tests, benchmarks of the pure core and anything that
needs a store or an archive without AWS or a database."""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from shared.lists.aggregate import Aggregate
from shared.lists.archive import ArchivedRecord, ArchiveKey
from shared.lists.coalesce import Slot, TitleState, Write
from shared.lists.dedup import Remembered
from shared.lists.store import CommitResult, StoredList, TitleSummary, UserSummary, Wanted
from shared.lists.user_list import UserList


class MemoryListStore:
    def __init__(self) -> None:
        self.aggregates: dict[str, tuple[Aggregate | None, int]] = {}
        """Title -> its aggregate (None once its users are gone) and version."""
        self.slots: dict[tuple[str, str], Slot] = {}
        self.decided: dict[tuple[str, str, str], Remembered] = {}
        """(title, user, event id) -> the change's outcome."""

    def load(self, wanted: Wanted) -> dict[str, TitleState]:
        states = {}
        for title, users in wanted.items():
            aggregate, version = self.aggregates.get(title, (None, 0))
            states[title] = TitleState(
                title=title,
                aggregate=aggregate,
                version=version,
                slots={user: self.slots[(title, user)] for user in users if (title, user) in self.slots},
                known={
                    (user, event_id): self.decided[(title, user, event_id)]
                    for user, ids in users.items()
                    for event_id in ids
                    if (title, user, event_id) in self.decided
                },
            )
        return states

    def commit(self, writes: Mapping[str, Sequence[Write]], expires_at: int) -> CommitResult:
        result = CommitResult()
        for title, title_writes in writes.items():
            for write in title_writes:
                if self.aggregates.get(title, (None, 0))[1] != write.expected_version:
                    result.stale.add(title)
                    break
                self.put([write], expires_at)
                result.committed[title] = result.committed.get(title, 0) + 1
        return result

    def aggregate(self, title: str) -> Aggregate | None:
        return self.aggregates.get(title, (None, 0))[0]

    def user_list(self, title: str, user: str) -> UserList | None:
        slot = self.slots.get((title, user))
        return slot.user_list if slot else None

    def change(self, title: str, user: str, event_id: str) -> Remembered | None:
        return self.decided.get((title, user, event_id))

    def titles_page(self, limit: int, after: str | None) -> tuple[list[TitleSummary], str | None]:
        live = sorted(
            (title, aggregate)
            for title, (aggregate, _) in self.aggregates.items()
            if aggregate is not None and (after is None or title > after)
        )
        page = [
            TitleSummary(title, aggregate.type, aggregate.users, aggregate.updated_at)
            for title, aggregate in live[:limit]
        ]
        return page, page[-1].title if len(live) > limit else None

    def users_page(self, title: str, limit: int, after: str | None) -> tuple[list[UserSummary], str | None]:
        live = sorted(
            (user, slot.user_list)
            for (slot_title, user), slot in self.slots.items()
            if slot_title == title and slot.user_list is not None and (after is None or user > after)
        )
        page = [
            UserSummary(title, user, user_list.type, user_list.updated_at) for user, user_list in live[:limit]
        ]
        return page, page[-1].user if len(live) > limit else None

    def lists(self) -> Iterator[StoredList]:
        for title, (aggregate, _) in self.aggregates.items():
            yield StoredList(title, None, aggregate)
        for (title, user), slot in self.slots.items():
            yield StoredList(title, user, slot.user_list)

    def put(self, writes: Sequence[Write], expires_at: int) -> int:
        items = 0
        for write in writes:
            self.aggregates[write.title] = (write.aggregate, write.version)
            for user, slot in write.slots.items():
                self.slots[(write.title, user)] = slot
            for (user, event_id), decision in write.decided.items():
                self.decided[(write.title, user, event_id)] = decision
            items += 1 + len(write.slots)
        return items

    def remove(self, lists: Sequence[StoredList]) -> None:
        """Removes the lists; a user list with outcomes remembered leaves a tombstone, as the
        DynamoDB store's item stays to keep them."""
        for stored in lists:
            if stored.user is None:
                self.aggregates.pop(stored.title, None)
            elif any(key[:2] == (stored.title, stored.user) for key in self.decided):
                self.slots[(stored.title, stored.user)] = Slot()
            else:
                self.slots.pop((stored.title, stored.user), None)

    def purge(self) -> int:
        removed = len(self.aggregates) + len(self.slots)
        self.aggregates.clear()
        self.slots.clear()
        self.decided.clear()
        return removed


class MemoryArchive:
    def __init__(self) -> None:
        self.rows: dict[ArchiveKey, ArchivedRecord] = {}

    def record(self, rows: Sequence[ArchivedRecord]) -> None:
        for row in rows:
            kept = self.rows.get(row.key)
            self.rows[row.key] = (
                row if kept is None else replace(kept, version=row.version, position=row.position)
            )

    def forget(self, keys: Sequence[ArchiveKey]) -> None:
        for key in keys:
            self.rows.pop(key, None)

    def history(self, title: str, limit: int, before: tuple[int, int] | None = None) -> list[ArchivedRecord]:
        newest_first = sorted(
            (row for row in self.rows.values() if row.title == title),
            key=lambda row: (row.version, row.position),
            reverse=True,
        )
        return [row for row in newest_first if before is None or (row.version, row.position) < before][:limit]

    def in_order(self) -> Iterator[ArchivedRecord]:
        return iter(
            sorted(self.rows.values(), key=lambda r: (r.title, r.version, r.position, r.user_name, r.id))
        )

    def count(self) -> int:
        return len(self.rows)

    def purge(self) -> None:
        self.rows.clear()
