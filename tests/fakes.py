"""In-memory stand-ins for the archive and the stream, with the same contracts as the real
connectors: the archive keeps one row per change. The list store's is shared.lists.memory."""

from collections.abc import Sequence
from dataclasses import replace

from shared.stream.connectors.archive import ArchivedRecord, ArchiveUnavailable


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
