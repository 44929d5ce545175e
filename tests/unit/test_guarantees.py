"""The guarantees of DESIGN.md that the listener core keeps by itself, each pinned by the case that
once broke it: run through the materialize step over the in-memory store and archive."""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.admin.operations import change_of
from services.listener.function import listener, summary
from shared.adapters.dynamodb.table import TableUnavailable
from shared.events.testing import kinesis_record
from shared.lists.coalesce import Write
from shared.lists.dedup import DedupSettings
from shared.lists.memory import MemoryArchive, MemoryListStore
from shared.lists.replay import ArchivedChange, rebuild
from shared.lists.store import CommitResult
from shared.stream.decoders import kinesis_unit
from shared.stream.flavors.crud import change_id
from shared.stream.unit_of_work import UnitOfWork
from tests.support.ports import TAGS, in_memory

ARRIVAL = 1_700_000_000.0
ARRIVAL_MS = int(ARRIVAL * 1000)
DEDUP = DedupSettings()


def update(
    event_id: str, user: str, kind: str, entries: Mapping[str, int], at: int, title: str = "t"
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "list-update-submitted",
        "timestamp": at,
        "update": {"title": title, "user": user, "type": kind, "entries": dict(entries)},
    }


def delete(event_id: str, user: str, at: int, title: str = "t") -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "list-delete-submitted",
        "timestamp": at,
        "update": {"title": title, "user": user},
    }


def units(
    documents: Sequence[Mapping[str, Any]], first: int = 1, shard: str = "shardId-000000000000"
) -> list[UnitOfWork]:
    return [
        kinesis_unit(kinesis_record(document, first + offset, shard=shard, arrival=ARRIVAL))
        for offset, document in enumerate(documents)
    ]


class FlakyStore(MemoryListStore):
    """Commits fail (throttled) while `down` is set: nothing is stored."""

    down = False

    def commit(self, writes: Mapping[str, Sequence[Write]], expires_at: int) -> CommitResult:
        if self.down:
            return CommitResult(failed={title: TableUnavailable("throttled") for title in writes})
        return super().commit(writes, expires_at)


def test_a_change_archived_before_a_failed_commit_and_rejected_on_the_retry_leaves_no_row() -> None:
    store, archive = FlakyStore(), MemoryArchive()
    step = listener(in_memory(store=store, archive=archive), TAGS)
    tally = update("x", "bill", "tally", {"xp": 1}, ARRIVAL_MS)
    store.down = True
    (failed,) = step(units([tally]))
    assert failed.failed is not None and len(archive.rows) == 1  # archived ahead of the commit
    store.down = False
    # Meanwhile the title becomes a rank list; the retry of the tally is a type conflict.
    step(units([update("r", "mike", "rank", {"a": 1}, ARRIVAL_MS)], first=10))
    (retried,) = step(units([tally]))
    assert retried.fault is not None and "type conflict" in retried.fault
    assert [key[1:] for key in archive.rows] == [("mike", "r")]


def test_a_timestamp_out_of_range_is_a_fault_for_its_record_only() -> None:
    store, archive = MemoryListStore(), MemoryArchive()
    step = listener(in_memory(store=store, archive=archive), TAGS)
    documents = [
        update("huge", "a", "tally", {"xp": 1}, 2**63),
        update("future", "b", "tally", {"xp": 1}, ARRIVAL_MS + 5 * 60_000 + 1),
        update("ancient", "c", "tally", {"xp": 1}, ARRIVAL_MS - 24 * 3_600_000 - 1),
        update("skewed", "d", "tally", {"xp": 1}, ARRIVAL_MS + 5 * 60_000),
        update("old", "e", "tally", {"xp": 1}, ARRIVAL_MS - 24 * 3_600_000),
    ]
    results = step(units(documents))
    assert [unit.fault is not None for unit in results] == [True, True, True, False, False]
    assert "more than 5 minutes after" in str(results[0].fault)
    assert "retention" in str(results[2].fault)
    skewed = store.user_list("t", "d")
    # Capped at its arrival: a clock ahead of the stream's cannot win every race.
    assert skewed is not None and skewed.updated_at == ARRIVAL_MS
    assert {key[1] for key in archive.rows} == {"d", "e"}


def test_the_batch_summary_counts_each_outcome_apart() -> None:
    step = listener(in_memory(), TAGS)
    first = [
        update("1", "mike", "rank", {"a": 1}, ARRIVAL_MS - 10),
        update("2", "mike", "rank", {"b": 1}, ARRIVAL_MS - 20),
        update("3", "bill", "tally", {"a": 1}, ARRIVAL_MS),
        {"id": "other", "type": "user-list-updated", "timestamp": ARRIVAL_MS},
    ]
    assert summary(step(units(first))) == {
        "records": 4,
        "applied": 1,
        "superseded": 1,
        "duplicate": 0,
        "faults": 1,
        "failed": 0,
        "ignored": 1,
    }
    # Delivered again: nothing is a change any more.
    again = summary(step(units(first)))
    assert (again["applied"], again["superseded"], again["duplicate"], again["faults"]) == (0, 0, 2, 1)


def test_trigger_ids_are_injective_whatever_the_names_contain() -> None:
    # Under "pk|sk|version|action" these two user lists shared an id.
    one = change_id(("user-list", "x|U#y", "z"), 3, "updated")
    other = change_id(("user-list", "x", "y|U#z"), 3, "updated")
    assert one != other
    assert change_id(("user-list", "x|U#y", "z"), 3, "updated") == one


# -- convergence ---------------------------------------------------------------------------------

USERS = ("ann", "bob")
rank_change = st.tuples(
    st.sampled_from(USERS),
    st.one_of(
        st.dictionaries(st.sampled_from("abcd"), st.integers(1, 4), min_size=1, max_size=3),
        st.none(),  # a delete
    ),
)


def lww_model(changes: Sequence[tuple[str, dict[str, int] | None]]) -> dict[str, dict[str, int]]:
    """The newest change of each user wins (change n is at time n)."""
    lists: dict[str, dict[str, int]] = {}
    for user, entries in changes:
        if entries is None:
            lists.pop(user, None)
        else:
            lists[user] = entries
    return lists


@settings(max_examples=150, deadline=None)
@given(changes=st.lists(rank_change, min_size=1, max_size=20), data=st.data())
def test_rank_lists_converge_whatever_the_lanes_and_the_delivery_order(
    changes: list[tuple[str, dict[str, int] | None]], data: st.DataObject
) -> None:
    documents = [
        update(f"id-{n}", user, "rank", entries, ARRIVAL_MS - 10_000 + n)
        if entries is not None
        else delete(f"id-{n}", user, ARRIVAL_MS - 10_000 + n)
        for n, (user, entries) in enumerate(changes)
    ]
    # Random partition keys: each record lands on one of two shards, and the shards are read in
    # any interleaving, in batches of any size, some delivered twice.
    shards = data.draw(st.lists(st.integers(0, 1), min_size=len(documents), max_size=len(documents)))
    lanes = [[(n, d) for n, d in enumerate(documents) if shards[n] == lane] for lane in (0, 1)]
    store, archive = MemoryListStore(), MemoryArchive()
    step = listener(in_memory(store=store, archive=archive), TAGS)
    positions = [0, 0]
    while positions[0] < len(lanes[0]) or positions[1] < len(lanes[1]):
        lane = data.draw(st.sampled_from([i for i in (0, 1) if positions[i] < len(lanes[i])]))
        size = data.draw(st.integers(1, 4))
        batch = lanes[lane][positions[lane] : positions[lane] + size]
        records = [
            kinesis_unit(kinesis_record(d, n + 1, shard=f"shardId-{lane:012d}", arrival=ARRIVAL))
            for n, d in batch
        ]
        step(records)
        if data.draw(st.booleans()):
            step(records)  # a retried batch
        positions[lane] += len(batch)

    expected = lww_model(changes)
    for user in USERS:
        found = store.user_list("t", user)
        assert (found and {k: int(v) for k, v in found.entries.items()}) == expected.get(user), user
    aggregate = store.aggregate("t")
    if expected:
        assert aggregate is not None and aggregate.users == len(expected)
        sums: dict[str, int] = {}
        for entries in expected.values():
            for key, value in entries.items():
                sums[key] = sums.get(key, 0) + value
        assert aggregate.sums == {key: Decimal(value) for key, value in sums.items()}
    else:
        assert aggregate is None
    # Nothing is lost: the archive holds exactly the applied changes, and rebuilds the same lists.
    rows = sorted(archive.rows.values(), key=lambda row: (row.version, row.position))
    (rebuilt,) = rebuild(
        [ArchivedChange(change_of(row), row.version, row.archived_at) for row in rows], 0, DEDUP
    )
    assert rebuilt.refused == []
    assert {user: slot.user_list for user, slot in rebuilt.slots.items() if slot.user_list} == {
        user: store.user_list("t", user) for user in USERS if store.user_list("t", user)
    }
    assert rebuilt.aggregate == aggregate


def test_a_list_changed_more_often_than_any_budget_still_recognizes_every_id() -> None:
    # 8,300 changes in one hour once left a user list remembering 2 ids: re-submitting one
    # applied seconds earlier applied it again.
    store = MemoryListStore()
    step = listener(in_memory(store=store), TAGS)
    documents = [update(f"hot-{n}", "bill", "tally", {"xp": 1}, ARRIVAL_MS) for n in range(8_300)]
    for start in range(0, len(documents), 1000):
        step(units(documents[start : start + 1000], first=start + 1))
    again = step(units([documents[0], documents[8_000], documents[-1]], first=9_000))
    assert [unit.outcome for unit in again] == ["duplicate"] * 3
    bill = store.user_list("t", "bill")
    assert bill is not None and bill.entries == {"xp": Decimal(8_300)}


def test_a_timestamp_that_is_not_a_json_integer_is_a_fault() -> None:
    step = listener(in_memory(), TAGS)
    raw = '{"id":"%s","type":"list-delete-submitted","timestamp":%s,"update":{"title":"t","user":"u"}}'
    records = [
        kinesis_unit(kinesis_record(raw % (n, timestamp), n + 1, arrival=ARRIVAL))
        for n, timestamp in enumerate(
            [f"{ARRIVAL_MS}.0", f'"{ARRIVAL_MS}"', "true", "1.7e12", str(ARRIVAL_MS)]
        )
    ]
    assert [unit.fault is not None for unit in step(records)] == [True, True, True, True, False]


class RefusingStore(MemoryListStore):
    """Refuses every write of one title, as DynamoDB refuses an item it cannot hold."""

    def commit(self, writes: Mapping[str, Sequence[Write]], expires_at: int) -> CommitResult:
        result = super().commit({title: w for title, w in writes.items() if title != "huge"}, expires_at)
        if "huge" in writes:
            result.refused["huge"] = "DynamoDB refused the write: Item size has exceeded the maximum"
        return result


def test_a_write_the_store_can_never_take_faults_its_records_and_the_rest_goes_on() -> None:
    store, archive = RefusingStore(), MemoryArchive()
    step = listener(in_memory(store=store, archive=archive), TAGS)
    documents = [
        update("1", "bill", "tally", {"xp": 1}, ARRIVAL_MS, title="huge"),
        update("2", "beth", "tally", {"xp": 2}, ARRIVAL_MS, title="fine"),
    ]
    huge, fine = step(units(documents))
    assert huge.fault is not None and "exceeded" in huge.fault and huge.failed is None
    assert fine.fault is None and fine.outcome == "applied"
    assert [key[0] for key in archive.rows] == ["fine"]
