"""Rebuilding lists from the archive: the archived changes of each title, folded in the order
they were applied (aggregate version, then position), give back exactly the live state.

The archive holds only applied changes, so deciding them again in that order applies every one
of them and leaves the same fences. The ids archived within the dedup window are remembered as
applied in the rebuilt title, as the live table remembers them, with the fingerprint of what
each asked for: a record redelivered after a rebuild is still recognized, and an
Idempotency-Key reused for another body is still refused.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby

from shared.lists.aggregate import Aggregate
from shared.lists.changes import Change, fingerprint
from shared.lists.coalesce import NO_SLOT, ChangeRef, Slot, Write, decide
from shared.lists.dedup import HOUR_MS, DedupSettings, Remembered


@dataclass(frozen=True)
class ArchivedChange:
    change: Change
    version: int
    archived_at: int


@dataclass
class RebuiltTitle:
    title: str
    aggregate: Aggregate | None = None
    version: int = 0
    slots: dict[str, Slot] = field(default_factory=dict)
    decided: dict[ChangeRef, Remembered] = field(default_factory=dict)
    refused: list[tuple[Change, str]] = field(default_factory=list)
    """Archived changes the fold would not apply: a sign the archive and the table disagree."""

    def write(self) -> Write:
        """The rebuilt title as one write, for a store to put as it is."""
        return Write(self.title, self.version - 1, self.aggregate, self.slots, self.decided)


class OutOfOrder(ValueError):
    """The changes were not grouped by title: folding them would split a title in two."""


def rebuild(archived: Iterable[ArchivedChange], now_ms: int, dedup: DedupSettings) -> Iterator[RebuiltTitle]:
    """One rebuilt title at a time, from changes ordered by title (as Python orders strings: by
    code point, which is the order of their UTF-8 bytes), then as applied."""
    previous: str | None = None
    for title, changes in groupby(archived, key=lambda archived_change: archived_change.change.title):
        # A database that compares names by a collation rather than by bytes can interleave two
        # titles it takes as equal ('pad' and 'pad '); each part would then overwrite the other.
        if previous is not None and title <= previous:
            raise OutOfOrder(f"the changes of {title!r} came after those of {previous!r}")
        previous = title
        yield _fold(title, changes, now_ms, dedup)


def _fold(title: str, changes: Iterable[ArchivedChange], now_ms: int, dedup: DedupSettings) -> RebuiltTitle:
    rebuilt = RebuiltTitle(title)
    remembered_since = now_ms - dedup.window_hours * HOUR_MS
    for archived in changes:
        change = archived.change
        status, reason, aggregate, slot = decide(
            rebuilt.aggregate, rebuilt.slots.get(change.user, NO_SLOT), change
        )
        if status != "applied":
            rebuilt.refused.append((change, reason or status))
            continue
        rebuilt.aggregate = aggregate
        rebuilt.slots[change.user] = slot
        rebuilt.version = max(rebuilt.version, archived.version)
        if archived.archived_at >= remembered_since:
            rebuilt.decided[(change.user, change.event_id)] = Remembered(
                "applied", "", archived.archived_at, fingerprint(change)
            )
    return rebuilt
