"""Where outcomes are kept, on moto: in the user-list item that the change's transaction writes
anyway, the oldest moved out to change items of their own once the item's room is full. Each
test drives the listener's pipeline at one edge of that design: a crash between moving outcomes
out and the commit, a re-submission racing its first copy on another lane, a hot list past the
item's room, and a re-submission older than what the item holds but inside the retention."""

import threading
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from shared.adapters.dynamodb import DynamoListStore, attributes, layout, moved_out, outcomes
from shared.adapters.dynamodb.capacity import item_size
from shared.clock import now_ms
from shared.events.testing import kinesis_event, kinesis_record
from shared.lists.changes import Submit, fingerprint
from shared.lists.coalesce import TitleState, Write
from shared.lists.dedup import HOUR_MS
from shared.lists.store import CommitResult, ListStore, Wanted
from tests.support.harness import Harness

NOW = 1_700_000_000_000


def envelope(event_id: str, xp: int = 1, user: str = "bill") -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "list-update-submitted",
        "timestamp": NOW,
        "update": {"title": "stats", "user": user, "type": "tally", "entries": {"xp": xp}},
    }


def run(
    harness: Harness, event: dict[str, Any], store: ListStore | None = None, at: int | None = None
) -> Any:
    """The listener's handler on one event, its clock at `at` (epoch ms) when given."""
    return harness.run(event, store=store, clock=now_ms if at is None else lambda: at)


def item_of(harness: Harness, user: str = "bill") -> dict[str, Any]:
    found = harness.store.get(layout.user_list_key("stats", user))
    assert found is not None
    return found


def change_items(harness: Harness) -> list[dict[str, Any]]:
    return [item for item in harness.store.scan() if item.get("kind") == layout.CHANGE]


def fill(
    harness: Harness, batches: int, per_batch: int, first_sequence: int = 1, at: int | None = None
) -> None:
    for batch in range(batches):
        documents = [envelope(f"id-{batch}-{n}") for n in range(per_batch)]
        event = kinesis_event(documents, first_sequence=first_sequence + batch * per_batch)
        clock = None if at is None else at + batch * HOUR_MS
        assert run(harness, event, at=clock) == {"batchItemFailures": []}


class CommitFailsOnce:
    """The DynamoDB client as the listener sees it, except that its next TransactWriteItems fails
    as if the function died after the outcomes moving out were put and before the commit."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **request: Any) -> Any:
        if not self.failed:
            self.failed = True
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "crash"}},
                "TransactWriteItems",
            )
        return self._client.transact_write_items(**request)


def test_a_crash_between_moving_outcomes_out_and_the_commit_applies_nothing_twice(harness: Harness) -> None:
    fill(harness, batches=1, per_batch=60)
    assert change_items(harness) == []
    client = CommitFailsOnce(harness.deployed.aws.client("dynamodb"))
    crashing = DynamoListStore(client, harness.deployed.table_name)
    records = [kinesis_record(envelope(f"next-{n}"), 100 + n) for n in range(5)]
    # The first delivery moves the first batch's outcomes out, then its commit fails...
    assert (
        run(harness, {"Records": records}, store=crashing)["batchItemFailures"][0]["itemIdentifier"] == "100"
    )
    assert client.failed
    copies = {item["sk"].removeprefix("C#") for item in change_items(harness)}
    still_kept = {each.digest.hex() for each in layout.outcomes_from_item(item_of(harness)).kept}
    # ...so the oldest outcomes sit in their change items and still in the user list's item
    # (the commit that would have dropped them never happened), and nothing of the failed
    # batch is applied (its archive rows are written ahead of the commit, as always).
    assert 0 < len(copies) < 60 and len(still_kept) == 60 and copies <= still_kept
    assert harness.user_list("stats", "bill")["entries"] == {"xp": 60}  # type: ignore[index]
    # The mapping delivers the batch again, then the first batch is replayed whole.
    assert run(harness, {"Records": records}, store=crashing) == {"batchItemFailures": []}
    first = [kinesis_record(envelope(f"id-0-{n}"), n + 1) for n in range(60)]
    assert run(harness, {"Records": first}) == {"batchItemFailures": []}
    assert harness.user_list("stats", "bill")["entries"] == {"xp": 65}  # type: ignore[index]
    assert harness.archive.count() == 65
    for n in range(60):
        assert harness.store.change("stats", "bill", f"id-0-{n}") is not None


class LoadsTogether:
    """A store whose first load in each of two lanes waits for the other's: both plan from the
    same state, so the second commit finds the version moved on and plans again."""

    def __init__(self, inner: DynamoListStore) -> None:
        self.inner = inner
        self.barrier = threading.Barrier(2, timeout=30)
        self.first_load = threading.local()

    def load(self, wanted: Wanted) -> dict[str, TitleState]:
        states = self.inner.load(wanted)
        if not getattr(self.first_load, "done", False):
            self.first_load.done = True
            self.barrier.wait()
        return states

    def commit(self, writes: Mapping[str, Sequence[Write]], expires_at: int) -> CommitResult:
        return self.inner.commit(writes, expires_at)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_resubmission_racing_its_first_copy_on_another_lane_is_applied_once(harness: Harness) -> None:
    fill(harness, batches=1, per_batch=40)  # the item's room is full: outcomes move out as well
    store = LoadsTogether(harness.store)
    results: list[Any] = []

    def lane(shard: str) -> None:
        record = kinesis_record(envelope("retried", xp=5), 1000, shard=shard)
        results.append(run(harness, {"Records": [record]}, store=store))

    lanes = [threading.Thread(target=lane, args=(f"shardId-00000000000{n}",)) for n in range(2)]
    for thread in lanes:
        thread.start()
    for thread in lanes:
        thread.join()
    assert results == [{"batchItemFailures": []}] * 2
    assert harness.user_list("stats", "bill")["entries"] == {"xp": 45}  # type: ignore[index]
    assert harness.archive.count() == 41
    found = harness.store.change("stats", "bill", "retried")
    assert found is not None and found.status == "applied"


def test_a_hot_list_past_its_items_room_keeps_every_outcome_and_a_small_item(harness: Harness) -> None:
    per_batch, batches = 200, 5
    fill(harness, batches, per_batch)
    held = layout.outcomes_from_item(item_of(harness))
    # The newest batch is in the item; every earlier outcome moved out, one item each.
    assert len(held.kept) == per_batch and len(change_items(harness)) == per_batch * (batches - 1)
    oldest, newest = "id-0-0", f"id-{batches - 1}-{per_batch - 1}"
    again = [envelope(oldest), envelope(newest), envelope("one more")]
    assert run(harness, kinesis_event(again, first_sequence=10_000)) == {"batchItemFailures": []}
    assert harness.user_list("stats", "bill")["entries"] == {"xp": per_batch * batches + 1}  # type: ignore[index]
    assert harness.archive.count() == per_batch * batches + 1
    # That last write moved the whole batch before it out: beside its filters of what moved out,
    # the item holds only the outcomes that fit the rest of its last KB.
    item = item_of(harness)
    filters = moved_out.packed_size(layout.outcomes_from_item(item).moved_out)
    assert 0 < filters <= moved_out.budget(per_batch)
    assert item_size(attributes.to_attributes(item)) - filters <= 1024
    for event_id in (oldest, newest):
        found = harness.store.change("stats", "bill", event_id)
        assert found is not None and found.status == "applied", event_id


def test_a_resubmission_older_than_the_item_holds_but_inside_the_retention_is_a_duplicate(
    harness: Harness,
) -> None:
    first_at = 1_800_000_000_000
    run(harness, kinesis_event([envelope("early", xp=7)], first_sequence=1), at=first_at)
    # Twenty hours of traffic on the same list push "early" out of the item.
    fill(harness, batches=20, per_batch=30, first_sequence=10, at=first_at + HOUR_MS)
    assert layout.outcomes_from_item(item_of(harness)).find(outcomes.digest("bill", "early")) is None
    early = harness.store.change("stats", "bill", "early")
    assert early is not None and early.status == "applied" and early.decided_at == first_at
    assert early.fingerprint == fingerprint(
        Submit("early", "stats", "bill", "tally", {"xp": Decimal(7)}, NOW)
    )
    # Re-submitted 23 hours after it was decided, in a new record: a duplicate.
    late = first_at + 23 * HOUR_MS
    assert run(harness, kinesis_event([envelope("early", xp=7)], first_sequence=5_000), at=late) == {
        "batchItemFailures": []
    }
    assert harness.user_list("stats", "bill")["entries"] == {"xp": 7 + 20 * 30}  # type: ignore[index]
    assert harness.archive.count() == 1 + 20 * 30
