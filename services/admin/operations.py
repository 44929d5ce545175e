"""What the admin function does, with whatever connectors it is given: archive migrations,
stats, verifying and rebuilding the table from the archive, purging everything.

A rebuild writes the table unconditionally: run it while the listener is stopped (its event
source mapping disabled), then enable the mapping again; records redelivered meanwhile are
recognized by the rebuilt dedup windows.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.events.codec import loads
from shared.events.envelope import DELETE_SUBMITTED
from shared.lists import items
from shared.lists.changes import Change, Delete, Submit
from shared.lists.dedup import HOUR_MS, DedupSettings
from shared.lists.replay import ArchivedChange, RebuiltTitle, rebuild
from shared.stream.connectors.archive import Archive, ArchivedRecord
from shared.stream.connectors.dynamodb import ListTable

LIST_KINDS = (items.USER_LIST, items.AGGREGATE)


@dataclass(frozen=True)
class Difference:
    key: str
    live: dict[str, Any] | None
    rebuilt: dict[str, Any] | None

    def describe(self) -> str:
        if self.live is None:
            return f"{self.key}: missing from the table; the archive gives {self.rebuilt}"
        if self.rebuilt is None:
            return f"{self.key}: in the table but not in the archive: {self.live}"
        return f"{self.key}: the table has {self.live}; the archive gives {self.rebuilt}"


@dataclass
class RebuildReport:
    titles: int = 0
    user_lists: int = 0
    items_written: int = 0
    items_removed: int = 0
    refused: list[str] = field(default_factory=list)


def change_of(row: ArchivedRecord) -> Change:
    if row.event_type == DELETE_SUBMITTED:
        return Delete(row.id, row.title, row.user_name, row.timestamp)
    entries: dict[str, Any] = loads(row.entries or "{}")
    return Submit(
        row.id,
        row.title,
        row.user_name,
        row.list_type,  # type: ignore[arg-type]
        {key: Decimal(value) for key, value in entries.items()},
        row.timestamp,
    )


def rebuilt_titles(archive: Archive, now_ms: int, dedup: DedupSettings) -> Iterator[RebuiltTitle]:
    changes = (ArchivedChange(change_of(row), row.version, row.archived_at) for row in archive.in_order())
    return rebuild(changes, now_ms, dedup)


def title_items(rebuilt: RebuiltTitle, now_ms: int, dedup: DedupSettings) -> list[dict[str, Any]]:
    """The items of a rebuilt title: its aggregate (a tombstone once its users are gone) and
    every user list it ever had (tombstones for the deleted ones)."""
    expires_at = (now_ms + dedup.window_hours * HOUR_MS) // 1000
    title_items = [items.aggregate_item(rebuilt.title, rebuilt.aggregate, rebuilt.version)]
    title_items += [
        items.user_list_item(rebuilt.title, user, slot, rebuilt.version, expires_at)
        for user, slot in rebuilt.slots.items()
    ]
    return title_items


def live_entities(table: ListTable) -> dict[str, dict[str, Any]]:
    return {
        _describe_key(item): items.entity(item)
        for item in table.scan()
        if item.get("kind") in LIST_KINDS and items.is_live(item)
    }


def verify(archive: Archive, table: ListTable, now_ms: int, dedup: DedupSettings) -> list[Difference]:
    """Every list on which the live table and the archive's rebuild disagree."""
    rebuilt: dict[str, dict[str, Any]] = {}
    for title in rebuilt_titles(archive, now_ms, dedup):
        for item in title_items(title, now_ms, dedup):
            if items.is_live(item):
                rebuilt[_describe_key(item)] = items.entity(item)
    live = live_entities(table)
    return [
        Difference(key, live.get(key), rebuilt.get(key))
        for key in sorted(set(live) | set(rebuilt))
        if live.get(key) != rebuilt.get(key)
    ]


def rebuild_table(archive: Archive, table: ListTable, now_ms: int, dedup: DedupSettings) -> RebuildReport:
    """Makes the table's lists what the archive gives: every rebuilt item is put (a list that
    comes out the same publishes no event), then the list items the archive does not know are
    removed."""
    report = RebuildReport()
    unknown = {(item["pk"], item["sk"]) for item in table.scan() if item.get("kind") in LIST_KINDS}
    for title in rebuilt_titles(archive, now_ms, dedup):
        written = title_items(title, now_ms, dedup)
        table.put_many(written)
        unknown -= {(item["pk"], item["sk"]) for item in written}
        report.titles += 1
        report.user_lists += sum(1 for item in written[1:] if items.is_live(item))
        report.items_written += len(written)
        report.refused += [
            f"{change.event_id} ({change.title!r}, {change.user!r}): {why}" for change, why in title.refused
        ]
    table.delete_many([{"pk": pk, "sk": sk} for pk, sk in sorted(unknown)])
    report.items_removed = len(unknown)
    return report


def purge(archive: Archive, table: ListTable) -> dict[str, int]:
    """Removes every list and every archived record."""
    keys = [{"pk": item["pk"], "sk": item["sk"]} for item in table.scan() if item.get("kind") in LIST_KINDS]
    table.delete_many(keys)
    archived = archive.count()
    archive.purge()
    return {"itemsRemoved": len(keys), "recordsRemoved": archived}


def stats(archive: Archive, table: ListTable) -> dict[str, int]:
    counts = {"titles": 0, "userLists": 0, "tombstones": 0}
    for item in table.scan():
        if item.get("kind") not in LIST_KINDS:
            continue
        if not items.is_live(item):
            counts["tombstones"] += 1
        elif item["kind"] == items.AGGREGATE:
            counts["titles"] += 1
        else:
            counts["userLists"] += 1
    return {**counts, "archivedRecords": archive.count()}


def _describe_key(item: dict[str, Any]) -> str:
    if item["kind"] == items.AGGREGATE:
        return f"{item['title']!r} (aggregate)"
    return f"{item['title']!r} / {item['user']!r}"
