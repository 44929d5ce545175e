"""Applying list changes, exactly once: the domain service the listener runs on each batch, over
its two ports (the list store and the archive).

For the changes of a batch, each with what the archive keeps of the record it came in:
1. read the state of every title, user list and change id they name (consistent reads);
2. plan each title: fold its changes in order (coalescing), recognizing ids already decided,
   superseding what a newer change already decided and rejecting what can never apply;
3. archive the changes to be applied, in one round trip, before anything changes, and take out
   of the archive any change a plan no longer applies (a retry may decide differently);
4. commit the writes, each with the outcomes it decides; a title refused because another writer
   moved it on is read and planned again, so no update is lost and none is applied twice. The
   changes of a write the store can never take are taken back out of the archive and refused.
A cause that may pass (the store or the archive unavailable, a title that keeps being moved on)
fails the title: its changes are to be tried again, and those stored meanwhile are recognized by
their ids.
"""

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from shared.lists.archive import ArchivedRecord, ArchiveKey, ArchiveUnavailable, ChangeArchive
from shared.lists.changes import Change, Delete
from shared.lists.coalesce import Outcome, TitlePlan, TitleState, plan_title
from shared.lists.dedup import HOUR_MS
from shared.lists.store import ListStore, StoreUnavailable


@dataclass(frozen=True)
class Received:
    """A change to apply, with what the archive keeps of the record it came in."""

    change: Change
    event_type: str
    entries: str | None
    """The change's entries as the archive keeps them (JSON, exact numbers); None for a delete."""
    shard_id: str | None
    sequence_number: str | None
    partition_key: str | None
    document: str
    """The record's data as it arrived on the stream: a submission or an event envelope."""


@dataclass
class Applied:
    """What became of each change, by its position among the changes given."""

    outcomes: dict[int, Outcome] = field(default_factory=dict)
    """The outcome of every change of a title that was planned (not final for a failed title)."""
    failed: dict[str, str] = field(default_factory=dict)
    """Titles whose changes could not be applied now, and why (a cause that may pass)."""
    refused: dict[int, str] = field(default_factory=dict)
    """Changes of writes the store can never take, and why: rejections, final."""


@dataclass(frozen=True)
class ApplyOptions:
    """How long outcomes are remembered, how often a title moved on under the service is planned
    again, and the clock and sleep it does that with."""

    window_hours: int
    """How long the outcome of a change is remembered (DedupSettings.window_hours)."""
    max_attempts: int
    """Plans of one title refused before its changes are failed, to be tried again later."""
    clock: Callable[[], int]
    """Epoch milliseconds."""
    sleep: Callable[[float], None]


def apply_changes(
    received: Sequence[Received], store: ListStore, archive: ChangeArchive, options: ApplyOptions
) -> Applied:
    changes = [each.change for each in received]
    by_title: dict[str, list[int]] = {}
    for position, change in enumerate(changes):
        by_title.setdefault(change.title, []).append(position)
    applied = Applied()
    titles = list(by_title)
    for attempt in range(options.max_attempts):
        now = options.clock()
        try:
            states = store.load(_wanted(changes, by_title, titles))
            plans = {title: _plan(states[title], changes, by_title[title], now) for title in titles}
            _archive(received, by_title, plans, now, archive)
        except (StoreUnavailable, ArchiveUnavailable) as error:
            applied.failed.update(dict.fromkeys(titles, str(error)))
            break
        for title, plan in plans.items():
            applied.outcomes.update(zip(by_title[title], plan.outcomes, strict=True))
        expires_at = (now + options.window_hours * HOUR_MS) // 1000
        result = store.commit({title: plans[title].writes for title in titles}, expires_at)
        applied.failed.update({title: str(error) for title, error in result.failed.items()})
        for title, reason in result.refused.items():
            unstored = _unstored(changes, by_title[title], plans[title], result.committed.get(title, 0))
            applied.refused.update(dict.fromkeys(unstored, reason))
            archive.forget([_key(changes[position]) for position in unstored])
        titles = sorted(result.stale, key=lambda title: by_title[title][0])
        if not titles:
            break
        options.sleep(random.uniform(0, 0.05 * 2**attempt))
    else:
        applied.failed.update(dict.fromkeys(titles, "the title kept being changed by other writers"))
    return applied


def _unstored(changes: Sequence[Change], positions: Sequence[int], plan: TitlePlan, stored: int) -> list[int]:
    """The changes decided in the writes of `plan` after the first `stored` ones."""
    unstored = {ref for write in plan.writes[stored:] for ref in write.decided}
    return [
        position for position in positions if (changes[position].user, changes[position].event_id) in unstored
    ]


def _key(change: Change) -> ArchiveKey:
    return (change.title, change.user, change.event_id)


def _wanted(
    changes: Sequence[Change], by_title: Mapping[str, list[int]], titles: Sequence[str]
) -> dict[str, dict[str, set[str]]]:
    wanted: dict[str, dict[str, set[str]]] = {}
    for title in titles:
        users = wanted.setdefault(title, {})
        for position in by_title[title]:
            users.setdefault(changes[position].user, set()).add(changes[position].event_id)
    return wanted


def _plan(state: TitleState, changes: Sequence[Change], positions: Sequence[int], now: int) -> TitlePlan:
    return plan_title(state, [changes[position] for position in positions], now)


def _archive(
    received: Sequence[Received],
    by_title: Mapping[str, list[int]],
    plans: Mapping[str, TitlePlan],
    now: int,
    archive: ChangeArchive,
) -> None:
    """Archives what the plans apply, and takes out whatever they do not: a change an earlier
    invocation archived ahead of a commit that failed may be superseded or rejected now, and the
    archive holds exactly the applied changes."""
    rows: list[ArchivedRecord] = []
    not_applied: list[ArchiveKey] = []
    for title, plan in plans.items():
        for position, outcome in zip(by_title[title], plan.outcomes, strict=True):
            if outcome.status == "applied":
                rows.append(_archived_record(received[position], outcome, now))
            elif outcome.status != "duplicate" or (outcome.first and outcome.first.status != "applied"):
                not_applied.append(_key(received[position].change))
    archive.record(rows)
    if not_applied:
        archive.forget(not_applied)


def _archived_record(received: Received, outcome: Outcome, now: int) -> ArchivedRecord:
    change = received.change
    return ArchivedRecord(
        id=change.event_id,
        title=change.title,
        user_name=change.user,
        event_type=received.event_type,
        list_type=None if isinstance(change, Delete) else change.type,
        entries=received.entries,
        timestamp=change.timestamp,
        version=outcome.version,
        position=outcome.position,
        shard_id=received.shard_id,
        sequence_number=received.sequence_number,
        partition_key=received.partition_key,
        document=received.document,
        archived_at=now,
    )
