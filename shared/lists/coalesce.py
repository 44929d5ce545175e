"""Coalescing: the changes of one batch for one title, folded into as few writes as possible.

The fold runs every change in order against the title's state, so the result is exactly what
applying them one by one would give, and returns:
- one outcome per change: applied, a duplicate of an id the user list already holds, or
  rejected with the reason (a type conflict, a limit, a number out of range). Rejected ids are
  remembered like applied ones, so a rejection is final whatever happens to the list later;
- the writes to make: each one the aggregate plus every user list changed since the previous
  write, to be stored atomically. A title touched by many users in one batch needs several writes,
  because one DynamoDB transaction holds at most 100 items.

Every write carries the aggregate version it expects and the one it sets, so writes of one
title, from any batch, any shard, are serialized by that version: a write whose expected version
is gone is refused and planned again from fresh state, and no update is lost.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from shared.lists.aggregate import Aggregate, join, leave, swap, touch
from shared.lists.changes import Change, Delete
from shared.lists.dedup import DedupSettings, SeenWindow, digest, prune, remember
from shared.lists.numbers import NumberOutOfRange
from shared.lists.user_list import Rejected, UserList, submit

MAX_LISTS_PER_WRITE = 99
"""DynamoDB's 100 items per transaction, less the aggregate."""


@dataclass(frozen=True)
class Slot:
    """What a user-list item holds: the list (None once deleted), the ids of the changes that
    reached it (applied or rejected) and, for the rejected ones, why."""

    user_list: UserList | None = None
    seen: SeenWindow = field(default_factory=SeenWindow)
    rejected: Mapping[bytes, str] = field(default_factory=dict)
    """Digest of a rejected change's id -> the reason. A rejection is final: a record delivered
    again is rejected again for the same reason, even if the list has changed meanwhile."""


@dataclass(frozen=True)
class TitleState:
    """A title as stored: its aggregate (None if it has no user), the aggregate's version (0 if
    never written) and the stored slots of the users the batch names."""

    title: str
    aggregate: Aggregate | None = None
    version: int = 0
    slots: Mapping[str, Slot] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    status: Literal["applied", "duplicate", "rejected"]
    reason: str = ""
    version: int = 0
    """For an applied change: the aggregate version of the write that stores it."""
    position: int = 0
    """For an applied change: its place among the changes that write stores."""


@dataclass(frozen=True)
class Write:
    """The aggregate and the changed user lists of one title, stored together or not at all."""

    title: str
    expected_version: int
    aggregate: Aggregate | None
    slots: Mapping[str, Slot]

    @property
    def version(self) -> int:
        return self.expected_version + 1


@dataclass(frozen=True)
class TitlePlan:
    writes: list[Write]
    outcomes: list[Outcome]
    """One per change, in the order of the changes."""


def plan_title(
    state: TitleState,
    changes: Sequence[Change],
    now_ms: int,
    dedup: DedupSettings,
    max_lists_per_write: int = MAX_LISTS_PER_WRITE,
) -> TitlePlan:
    """The writes and outcomes of `changes` (all of `state.title`) applied in order to `state`."""
    aggregate, version = state.aggregate, state.version
    slots = dict(state.slots)
    pending: dict[str, Slot] = {}
    position = 0
    writes: list[Write] = []
    outcomes: list[Outcome] = []

    for change in changes:
        slot = slots.get(change.user, Slot())
        if change.event_id in slot.seen:
            outcomes.append(_repeated(slot, change))
            continue
        next_aggregate, next_list, reason = _attempt(aggregate, slot.user_list, change)
        if change.user not in pending and len(pending) >= max_lists_per_write:
            writes.append(Write(state.title, version, aggregate, pending))
            version, pending, position = version + 1, {}, 0
        if change.user not in pending:
            slot = _pruned(slot, now_ms, dedup)
        slots[change.user] = pending[change.user] = _recorded(slot, next_list, change, reason, now_ms)
        aggregate = next_aggregate
        if reason is not None:
            outcomes.append(Outcome("rejected", reason))
        else:
            outcomes.append(Outcome("applied", version=version + 1, position=position))
            position += 1

    if pending:
        writes.append(Write(state.title, version, aggregate, pending))
    return TitlePlan(writes, outcomes)


def _repeated(slot: Slot, change: Change) -> Outcome:
    """A change whose id the list already holds: a duplicate, or rejected again for the reason
    it was rejected the first time."""
    reason = slot.rejected.get(digest(change.event_id))
    return Outcome("duplicate") if reason is None else Outcome("rejected", reason)


def _attempt(
    aggregate: Aggregate | None, current: UserList | None, change: Change
) -> tuple[Aggregate | None, UserList | None, str | None]:
    """The aggregate and user list after the change, or as they were and why it cannot apply."""
    try:
        return (*apply(aggregate, current, change), None)
    except (Rejected, NumberOutOfRange) as error:
        return aggregate, current, str(error)


def _recorded(
    slot: Slot, user_list: UserList | None, change: Change, reason: str | None, now_ms: int
) -> Slot:
    """The slot holding the list after the change and remembering the change's id."""
    rejected = dict(slot.rejected)
    if reason is not None:
        rejected[digest(change.event_id)] = reason
    return Slot(user_list, remember(slot.seen, change.event_id, now_ms), rejected)


def _pruned(slot: Slot, now_ms: int, dedup: DedupSettings) -> Slot:
    """The slot without the ids (and rejection reasons) that left the dedup window."""
    seen = prune(slot.seen, now_ms, dedup)
    return Slot(
        slot.user_list, seen, {key: reason for key, reason in slot.rejected.items() if seen.holds(key)}
    )


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
