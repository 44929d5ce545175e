"""What the admin function does, with whatever store and archive it is given: archive
migrations, stats, verifying and rebuilding the lists from the archive, purging everything.

A rebuild writes the store unconditionally: run it while the listener is stopped (its event
source mapping disabled), then enable the mapping again; records redelivered meanwhile are
recognized by the rebuilt change ids.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.events.codec import loads
from shared.events.envelope import DELETE_SUBMITTED
from shared.lists.archive import ArchivedRecord, ChangeArchive
from shared.lists.changes import Change, Delete, Submit
from shared.lists.dedup import HOUR_MS, DedupSettings
from shared.lists.entities import entity
from shared.lists.replay import ArchivedChange, RebuiltTitle, rebuild
from shared.lists.store import ListStore, StoredList

ListRef = tuple[str, str | None]
"""(title, user), user None for an aggregate."""


@dataclass(frozen=True)
class Difference:
    ref: ListRef
    live: dict[str, Any] | None
    rebuilt: dict[str, Any] | None

    def describe(self) -> str:
        title, user = self.ref
        key = f"{title!r} (aggregate)" if user is None else f"{title!r} / {user!r}"
        if self.live is None:
            return f"{key}: missing from the table; the archive gives {self.rebuilt}"
        if self.rebuilt is None:
            return f"{key}: in the table but not in the archive: {self.live}"
        return f"{key}: the table has {self.live}; the archive gives {self.rebuilt}"


@dataclass
class RebuildReport:
    titles: int = 0
    user_lists: int = 0
    items_written: int = 0
    items_removed: int = 0
    refused: list[str] = field(default_factory=list)


def change_of(row: ArchivedRecord) -> Change:
    shard = row.shard_id or ""
    sequence = int(row.sequence_number) if row.sequence_number and row.sequence_number.isdigit() else 0
    if row.event_type == DELETE_SUBMITTED:
        return Delete(row.id, row.title, row.user_name, row.timestamp, shard, sequence)
    entries: dict[str, Any] = loads(row.entries or "{}")
    return Submit(
        row.id,
        row.title,
        row.user_name,
        "rank" if row.list_type == "rank" else "tally",
        {key: Decimal(value) for key, value in entries.items()},
        row.timestamp,
        shard,
        sequence,
    )


def rebuilt_titles(archive: ChangeArchive, now_ms: int, dedup: DedupSettings) -> Iterator[RebuiltTitle]:
    changes = (ArchivedChange(change_of(row), row.version, row.archived_at) for row in archive.in_order())
    return rebuild(changes, now_ms, dedup)


def rebuilt_lists(rebuilt: RebuiltTitle) -> list[StoredList]:
    """A rebuilt title's lists: its aggregate (None once its users are gone) and every user list
    it ever had (None for the deleted ones)."""
    return [StoredList(rebuilt.title, None, rebuilt.aggregate)] + [
        StoredList(rebuilt.title, user, slot.user_list) for user, slot in rebuilt.slots.items()
    ]


def live_entities(lists: Iterator[StoredList]) -> dict[ListRef, dict[str, Any]]:
    return {(stored.title, stored.user): entity(stored.value) for stored in lists if stored.value is not None}


def verify(archive: ChangeArchive, store: ListStore, now_ms: int, dedup: DedupSettings) -> list[Difference]:
    """Every list on which the live store and the archive's rebuild disagree."""
    rebuilt: dict[ListRef, dict[str, Any]] = {}
    for title in rebuilt_titles(archive, now_ms, dedup):
        rebuilt.update(live_entities(iter(rebuilt_lists(title))))
    live = live_entities(store.lists())
    return [
        Difference(ref, live.get(ref), rebuilt.get(ref))
        for ref in sorted(set(live) | set(rebuilt), key=_order)
        if live.get(ref) != rebuilt.get(ref)
    ]


def rebuild_store(
    archive: ChangeArchive, store: ListStore, now_ms: int, dedup: DedupSettings
) -> RebuildReport:
    """Makes the store's lists what the archive gives: every rebuilt title is put (a list that
    comes out the same publishes no event), then the live lists the archive does not know are
    removed. Tombstones stay: they hold outcomes of changes that did not apply (so never reached
    the archive), and a rebuild replaces lists, never what was decided."""
    report = RebuildReport()
    unknown = {(stored.title, stored.user): stored for stored in store.lists() if stored.value is not None}
    expires_at = (now_ms + dedup.window_hours * HOUR_MS) // 1000
    for title in rebuilt_titles(archive, now_ms, dedup):
        report.items_written += store.put([title.write()], expires_at)
        for stored in rebuilt_lists(title):
            unknown.pop((stored.title, stored.user), None)
        report.titles += 1
        report.user_lists += sum(1 for slot in title.slots.values() if slot.user_list is not None)
        report.refused += [
            f"{change.event_id} ({change.title!r}, {change.user!r}): {why}" for change, why in title.refused
        ]
    store.remove([unknown[ref] for ref in sorted(unknown, key=_order)])
    report.items_removed = len(unknown)
    return report


def purge(archive: ChangeArchive, store: ListStore) -> dict[str, int]:
    """Removes every list and every archived record."""
    removed = store.purge()
    archived = archive.count()
    archive.purge()
    return {"itemsRemoved": removed, "recordsRemoved": archived}


def stats(archive: ChangeArchive, store: ListStore) -> dict[str, int]:
    counts = {"titles": 0, "userLists": 0, "tombstones": 0}
    for stored in store.lists():
        if stored.value is None:
            counts["tombstones"] += 1
        elif stored.user is None:
            counts["titles"] += 1
        else:
            counts["userLists"] += 1
    return {**counts, "archivedRecords": archive.count()}


def _order(ref: ListRef) -> tuple[str, str]:
    return (ref[0], "" if ref[1] is None else "\x00" + ref[1])
