"""In-memory stand-ins for the connectors, with the same contracts: the table refuses a write
whose expected aggregate version is gone, the archive keeps one row per id."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from shared.lists import items
from shared.lists.coalesce import TitleState, Write
from shared.stream.connectors.archive import ArchivedRecord, ArchiveUnavailable
from shared.stream.connectors.dynamodb import CommitResult


class FakeTable:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.transactions = 0

    def load(self, wanted: Mapping[str, Collection[str]]) -> dict[str, TitleState]:
        return {
            title: items.title_state(
                title,
                self.items.get((items.title_key(title), items.AGGREGATE_SORT_KEY)),
                {
                    user: item
                    for user in users
                    if (item := self.items.get((items.title_key(title), items.user_key(user)))) is not None
                },
            )
            for title, users in wanted.items()
        }

    def commit(self, writes: Mapping[str, Sequence[Write]], expires_at: int) -> CommitResult:
        result = CommitResult()
        for title, title_writes in writes.items():
            for write in title_writes:
                self.transactions += 1
                stored = self.items.get((items.title_key(title), items.AGGREGATE_SORT_KEY))
                if (stored["version"] if stored else 0) != write.expected_version:
                    result.stale.add(title)
                    break
                self.apply(write, expires_at)
                result.committed[title] = result.committed.get(title, 0) + 1
        return result

    def apply(self, write: Write, expires_at: int) -> None:
        aggregate = items.aggregate_item(write.title, write.aggregate, write.version)
        self.items[(aggregate["pk"], aggregate["sk"])] = aggregate
        for user, slot in write.slots.items():
            item = items.user_list_item(write.title, user, slot, write.version, expires_at)
            self.items[(item["pk"], item["sk"])] = item

    def live_entities(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {key: items.entity(item) for key, item in self.items.items() if items.is_live(item)}


class FakeArchive:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], ArchivedRecord] = {}
        """By (title, user_name, id), as the archive keys them."""
        self.failing = False

    def record(self, rows: Sequence[ArchivedRecord]) -> None:
        if self.failing:
            raise ArchiveUnavailable("archive down (fake)")
        for row in rows:
            key = (row.title, row.user_name, row.id)
            kept = self.rows.get(key)
            self.rows[key] = row if kept is None else _with_position(kept, row)

    def forget(self, keys: Sequence[tuple[str, str, str]]) -> None:
        for key in keys:
            self.rows.pop(key, None)


def _with_position(kept: ArchivedRecord, row: ArchivedRecord) -> ArchivedRecord:
    return replace(kept, version=row.version, position=row.position)


class FakeStream:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes]] = []
        self.refuse: set[int] = set()
        """Positions, counted over every record ever offered, that are refused once."""
        self.offered = 0

    def put_records(self, records: Sequence[tuple[str, bytes]]) -> list[str | None]:
        errors: list[str | None] = []
        for record in records:
            if self.offered in self.refuse:
                errors.append("ProvisionedThroughputExceededException")
            else:
                self.records.append(record)
                errors.append(None)
            self.offered += 1
        return errors
