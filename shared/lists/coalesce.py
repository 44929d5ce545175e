"""Coalescing: the changes of one batch for one title, folded into as few writes as possible.

The fold runs every change in order against the title's state, so the result is exactly what
applying them one by one would give, and returns:
- one outcome per change: applied; superseded (a newer rank submission or delete of that user
  list already holds); rejected with the reason (a type conflict, a limit, a number out of
  range); or, for an id the user list already decided, a duplicate carrying that first outcome;
- the writes to make: each one the aggregate, every user list changed or given an outcome since
  the previous write, and the outcome of every change decided since then, to be stored
  atomically (a store keeps each outcome with its user list, so a write stores the user list of
  every change it decides, changed or not). A title touched by many changes in one batch needs
  several writes, because one DynamoDB transaction holds at most 100 items and 4 MB.

Every write carries the aggregate version it expects and the one it sets, so writes of one
title, from any batch, any shard, are serialized by that version: a write whose expected version
is gone is refused and planned again from fresh state, and no update is lost.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from shared.lists.aggregate import Aggregate, join, leave, swap, touch
from shared.lists.changes import Change, Delete, OrderKey, fingerprint, order_key
from shared.lists.dedup import Remembered, Status, remembered
from shared.lists.limits import MAX_NAME_BYTES, entries_bytes
from shared.lists.numbers import NumberOutOfRange
from shared.lists.user_list import Rejected, UserList, submit

MAX_ITEMS_PER_WRITE = 99
"""User lists a write stores: DynamoDB's 100 items per transaction, less the aggregate."""
MAX_BYTES_PER_WRITE = 3_500_000
"""DynamoDB's 4 MB per transaction, less room for the keys and names every item repeats."""
ITEM_OVERHEAD_BYTES = 2_048
"""What an item takes beyond its entries, at most: keys, names (128 characters of up to four
bytes each, several times), type, version and times."""
KEPT_OUTCOMES_BYTES = 2_048
"""What a user list's item keeps at most of the outcomes earlier writes decided (a store moves
older ones out of it)."""
OUTCOME_BYTES = 64
"""What one outcome takes in its user list's item at most, beyond its reason: the digest of its
id, its time, status and fingerprint."""
MAX_OUTCOME_BYTES_PER_ITEM = 128 * 1024
"""The outcomes one write may add to one user list's item: beside the largest list the limits
allow, the item stays well inside DynamoDB's 400 KB."""

ChangeRef = tuple[str, str]
"""(user, event id): what identifies a change within its title."""


@dataclass(frozen=True)
class Slot:
    """What a user-list item holds: the list (None once deleted) and its fence."""

    user_list: UserList | None = None
    fence: OrderKey | None = None
    """The order key of the newest rank submission or delete applied to it. A rank submission
    or a delete of a rank list older than the fence, or a tally addition older than a delete,
    is superseded."""


NO_SLOT = Slot()
"""The slot of a user list never stored: one for all, not one built for every change (a frozen
dataclass takes a microsecond to build)."""


@dataclass(frozen=True)
class TitleState:
    """A title as stored: its aggregate (None if it has no user), the aggregate's version (0 if
    never written), the stored slots of the users the batch names and the outcomes already
    remembered for the changes it names."""

    title: str
    aggregate: Aggregate | None = None
    version: int = 0
    slots: Mapping[str, Slot] = field(default_factory=dict)
    known: Mapping[ChangeRef, Remembered] = field(default_factory=dict)
    carried: Mapping[str, object] = field(default_factory=dict, compare=False)
    """What the store read of each user list beside its slot (the outcomes its item keeps),
    opaque here: handed back with the first write of that user list, so the store writes it
    again without keeping anything between calls. Not part of the state's value."""
    held: Mapping[str, int] = field(default_factory=dict, compare=False)
    """The bytes of what the store read of each user list beside its slot: every write of that
    user list stores it again (less what the store moves out), so a write is sized with it."""


@dataclass(frozen=True)
class Outcome:
    status: Literal["applied", "superseded", "rejected", "duplicate"]
    reason: str = ""
    version: int = 0
    """For an applied change: the aggregate version of the write that stores it."""
    position: int = 0
    """For an applied change: its place among the changes that write stores."""
    first: Remembered | None = None
    """For a duplicate: the outcome the change had the first time."""


@dataclass(frozen=True)
class Write:
    """The aggregate, the changed user lists and the decided changes of one title, stored
    together or not at all."""

    title: str
    expected_version: int
    aggregate: Aggregate | None
    slots: Mapping[str, Slot]
    """Every user list the write stores: each changed or given an outcome by it."""
    decided: Mapping[ChangeRef, Remembered] = field(default_factory=dict)
    carried: Mapping[str, object] = field(default_factory=dict, compare=False)
    """TitleState.carried of the write's user lists, for the store."""

    @property
    def version(self) -> int:
        return self.expected_version + 1


@dataclass(frozen=True)
class TitlePlan:
    writes: list[Write]
    outcomes: list[Outcome]
    """One per change, in the order of the changes."""


@dataclass
class _Pending:
    """The write being filled."""

    slots: dict[str, Slot] = field(default_factory=dict)
    decided: dict[ChangeRef, Remembered] = field(default_factory=dict)
    size: int = 0
    applied: int = 0
    outcome_bytes: dict[str, int] = field(default_factory=dict)
    """User -> what the write's outcomes add to that user list's item."""
    slot_bytes: dict[str, int] = field(default_factory=dict)
    """User -> what that user list's item takes as the write leaves it, outcomes aside."""

    def fits(
        self, user: str, size: int, outcome_bytes: int, aggregate: Aggregate | None, limits: "_Limits"
    ) -> bool:
        """Whether a change that adds `size` bytes to the write, `outcome_bytes` of them to its
        user list's item, and leaves `aggregate`, still fits it."""
        if not self.slots:
            return True
        total = self.size + size
        return (
            len(self.slots) + (user not in self.slots) <= limits.items
            # Most writes are far from the limit: the largest the aggregate's key count allows
            # says so at once; only near it are its keys measured.
            and (
                total + _aggregate_bytes_at_most(aggregate) <= limits.bytes
                or total + _aggregate_bytes(aggregate) <= limits.bytes
            )
            and self.outcome_bytes.get(user, 0) + outcome_bytes <= MAX_OUTCOME_BYTES_PER_ITEM
        )

    def write(self, state: TitleState, version: int, aggregate: Aggregate | None) -> "Write":
        carried = {user: state.carried[user] for user in self.slots if user in state.carried}
        return Write(state.title, version, aggregate, self.slots, self.decided, carried)


@dataclass(frozen=True)
class _Limits:
    items: int
    bytes: int


def plan_title(
    state: TitleState,
    changes: Sequence[Change],
    now_ms: int,
    max_items_per_write: int = MAX_ITEMS_PER_WRITE,
    max_bytes_per_write: int = MAX_BYTES_PER_WRITE,
) -> TitlePlan:
    """The writes and outcomes of `changes` (all of `state.title`) applied in order to `state`."""
    limits = _Limits(max_items_per_write, max_bytes_per_write)
    aggregate, version = state.aggregate, state.version
    slots = dict(state.slots)
    known = dict(state.known)
    pending = _Pending()
    writes: list[Write] = []
    outcomes: list[Outcome] = []

    for change in changes:
        ref = (change.user, change.event_id)
        if (first := known.get(ref)) is not None:
            outcomes.append(Outcome("duplicate", first.reason, first=first))
            continue
        slot = slots.get(change.user, NO_SLOT)
        status, reason, next_aggregate, next_slot = decide(aggregate, slot, change)
        decision = remembered(status, reason, now_ms, fingerprint(change))
        outcome_bytes = _outcome_bytes(decision)
        slot_bytes = _slot_bytes(next_slot) + state.held.get(change.user, 0)
        size = _added_bytes(pending, change.user, slot_bytes, outcome_bytes)
        if not pending.fits(change.user, size, outcome_bytes, next_aggregate, limits):
            writes.append(pending.write(state, version, aggregate))
            version, pending = version + 1, _Pending()
            size = _added_bytes(pending, change.user, slot_bytes, outcome_bytes)
        known[ref] = pending.decided[ref] = decision
        pending.size += size
        pending.outcome_bytes[change.user] = pending.outcome_bytes.get(change.user, 0) + outcome_bytes
        pending.slot_bytes[change.user] = slot_bytes
        # A change that does not apply leaves its slot as it was: its item is stored all the
        # same, since the outcome is kept with it.
        pending.slots[change.user] = next_slot
        if status == "applied":
            slots[change.user] = next_slot
            aggregate = next_aggregate
            outcomes.append(Outcome("applied", version=version + 1, position=pending.applied))
            pending.applied += 1
        else:
            outcomes.append(Outcome(status, reason))

    if pending.slots:
        writes.append(pending.write(state, version, aggregate))
    return TitlePlan(writes, outcomes)


def _added_bytes(pending: _Pending, user: str, slot_bytes: int, outcome_bytes: int) -> int:
    """What a change adds to the write being filled: its outcome, and what its user list's item
    grows by to `slot_bytes` (all of it, the first time the write stores that user list)."""
    return outcome_bytes + slot_bytes - pending.slot_bytes.get(user, 0)


def decide(
    aggregate: Aggregate | None, slot: Slot, change: Change
) -> tuple[Status, str, Aggregate | None, Slot]:
    """The outcome of one change, with the aggregate and the slot it leaves (as they were
    unless it applies)."""
    order = order_key(change)
    if _superseded(slot, change, order):
        return "superseded", "", aggregate, slot
    try:
        next_aggregate, user_list = apply(aggregate, slot.user_list, change)
    except (Rejected, NumberOutOfRange) as error:
        return "rejected", str(error), aggregate, slot
    fence = slot.fence
    if isinstance(change, Delete) or change.type == "rank":
        fence = order if fence is None else max(fence, order)
    return "applied", "", next_aggregate, Slot(user_list, fence)


def _superseded(slot: Slot, change: Change, order: OrderKey) -> bool:
    """Rank submissions and deletes of a rank list are last-writer-wins; a delete of a tally list
    applies to it as it stands; a tally addition older than the last delete never resurrects
    the list."""
    if slot.fence is None or order >= slot.fence:
        return False
    if isinstance(change, Delete):
        return slot.user_list is None or slot.user_list.type == "rank"
    return True


def apply(
    aggregate: Aggregate | None, current: UserList | None, change: Change
) -> tuple[Aggregate | None, UserList | None]:
    """The aggregate and the user list after one change; Rejected if it can never apply."""
    if isinstance(change, Delete):
        if current is None:
            return touch(aggregate, change.timestamp), None
        return (leave(aggregate, current, change.timestamp) if aggregate else None), None
    if aggregate is not None and aggregate.type != change.type:
        raise Rejected(
            f"type conflict: {change.title!r} is a {aggregate.type} list, so a {change.type} "
            "submission cannot change it"
        )
    updated = submit(current, change.title, change.user, change.type, change.entries, change.timestamp)
    if current is None or aggregate is None:
        return join(aggregate, updated), updated
    return swap(aggregate, current, updated), updated


def _slot_bytes(slot: Slot) -> int:
    kept = ITEM_OVERHEAD_BYTES + KEPT_OUTCOMES_BYTES
    if slot.user_list is None:
        return kept
    entries = slot.user_list.entries
    return kept + entries_bytes(len(entries), sum(len(key.encode()) for key in entries))


def _aggregate_bytes(aggregate: Aggregate | None) -> int:
    if aggregate is None:
        return ITEM_OVERHEAD_BYTES
    # The aggregate item carries its keys twice: sums and counts.
    keys = sum(len(key.encode()) for key in aggregate.sums)
    return ITEM_OVERHEAD_BYTES + 2 * entries_bytes(len(aggregate.sums), keys)


def _aggregate_bytes_at_most(aggregate: Aggregate | None) -> int:
    if aggregate is None:
        return ITEM_OVERHEAD_BYTES
    keys = len(aggregate.sums)
    return ITEM_OVERHEAD_BYTES + 2 * entries_bytes(keys, keys * MAX_NAME_BYTES)


def _outcome_bytes(decision: Remembered) -> int:
    return OUTCOME_BYTES + len(decision.reason.encode())
