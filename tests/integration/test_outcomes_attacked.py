"""Where outcomes are kept, attacked from outside (issue 22's design): what a producer, a rebuild
or an unlucky deployment can do to the outcomes a user-list item keeps and moves out. Each test
drives the real connectors on moto at one edge the design's own tests leave out."""

import hashlib
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from services.admin import operations
from shared.adapters.dynamodb import DynamoListStore, attributes, layout, moved_out, outcomes
from shared.adapters.dynamodb.capacity import item_size
from shared.adapters.dynamodb.table import MAX_TRANSACTION_BYTES
from shared.events.testing import kinesis_event, kinesis_record
from shared.lists.archive import ArchivedRecord
from shared.lists.changes import Submit, fingerprint
from shared.lists.coalesce import TitleState, plan_title
from shared.lists.dedup import HOUR_MS, DedupSettings
from shared.lists.limits import MAX_LIST_BYTES, MAX_NAME_LENGTH
from tests.integration.test_outcomes_kept import envelope, fill, item_of, run
from tests.support.harness import Harness

DEDUP = DedupSettings()
ITEM_LIMIT = 400 * 1024


class TornRead:
    """The DynamoDB client as the listener sees it, except that its first BatchGetItem reads the
    user-list items, then lets `between` run (another lane's batch, which commits), then reads
    the aggregates: a BatchGetItem is no snapshot, each item is read at its own moment, so
    DynamoDB may answer exactly this (AWS: use TransactGetItems for an atomic view)."""

    def __init__(self, client: Any, between: Callable[[], None]) -> None:
        self._client = client
        self._between = between
        self.torn = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch_get_item(self, RequestItems: dict[str, Any]) -> Any:  # noqa: N803 (boto3's name)
        if self.torn:
            return self._client.batch_get_item(RequestItems=RequestItems)
        self.torn = True
        ((table, request),) = RequestItems.items()
        keys = request["Keys"]
        lists = [key for key in keys if key["sk"]["S"] != layout.AGGREGATE_SORT_KEY]
        aggregates = [key for key in keys if key["sk"]["S"] == layout.AGGREGATE_SORT_KEY]
        first = self._client.batch_get_item(RequestItems={table: {**request, "Keys": lists}})
        self._between()
        second = self._client.batch_get_item(RequestItems={table: {**request, "Keys": aggregates}})
        return {"Responses": {table: first["Responses"][table] + second["Responses"][table]}}


def test_a_load_torn_by_another_lanes_commit_loses_no_update_and_no_outcome(harness: Harness) -> None:
    assert run(harness, kinesis_event([envelope("a", xp=1)], first_sequence=1)) == {"batchItemFailures": []}

    def other_lane() -> None:
        record = kinesis_record(envelope("b", xp=10), 2, shard="shardId-000000000001")
        assert run(harness, {"Records": [record]}) == {"batchItemFailures": []}

    torn = DynamoListStore(
        TornRead(harness.deployed.aws.client("dynamodb"), other_lane), harness.deployed.table_name
    )
    assert run(harness, kinesis_event([envelope("c", xp=100)], first_sequence=3), store=torn) == {
        "batchItemFailures": []
    }
    assert harness.user_list("stats", "bill")["entries"] == {"xp": 111}  # type: ignore[index]
    assert harness.store.change("stats", "bill", "b") is not None
    # The other lane's record delivered again changes nothing.
    again = kinesis_record(envelope("b", xp=10), 2, shard="shardId-000000000001")
    assert run(harness, {"Records": [again]}) == {"batchItemFailures": []}
    assert harness.aggregate("stats")["entries"] == {"xp": 111}  # type: ignore[index]


def archived_rows(count: int, now: int) -> list[ArchivedRecord]:
    """`count` tally additions of one user list, archived within the last hour."""
    return [
        ArchivedRecord(
            id=f"id-{n}",
            title="stats",
            user_name="bill",
            event_type="list-update-submitted",
            list_type="tally",
            entries='{"xp":1}',
            timestamp=now - HOUR_MS + n,
            version=n + 1,
            position=0,
            shard_id="shardId-000000000000",
            sequence_number=str(n + 1),
            partition_key="p",
            document="{}",
            archived_at=now - HOUR_MS + n,
        )
        for n in range(count)
    ]


def test_a_rebuild_of_a_hot_user_list_remembers_every_id_in_items_dynamodb_takes(harness: Harness) -> None:
    now = int(time.time() * 1000)
    harness.archive.record(archived_rows(14_000, now))
    report = operations.rebuild_store(harness.archive, harness.store, now, DEDUP)
    assert report.refused == []
    assert harness.user_list("stats", "bill")["entries"] == {"xp": 14_000}  # type: ignore[index]
    item = item_of(harness)
    assert item_size(attributes.to_attributes(item)) < ITEM_LIMIT
    # The ids that did not fit moved out, with the least filters (a rebuild cannot tell how
    # many changes the list's writes will decide, which is what larger filters are worth).
    filters = layout.outcomes_from_item(item).moved_out
    assert 0 < sum(len(generation.bits) for generation in filters) <= moved_out.budget(0)
    for n in range(0, 14_000, 997):
        found = harness.store.change("stats", "bill", f"id-{n}")
        assert found is not None and found.status == "applied", n


def test_a_rebuild_keeps_what_each_change_asked_for(harness: Harness) -> None:
    assert run(harness, kinesis_event([envelope("early", xp=7)], first_sequence=1)) == {
        "batchItemFailures": []
    }
    fill(harness, batches=2, per_batch=40, first_sequence=10)  # "early" moves out of the item
    assert layout.outcomes_from_item(item_of(harness)).find(outcomes.digest("bill", "early")) is None
    asked = fingerprint(Submit("early", "stats", "bill", "tally", {"xp": Decimal(7)}, 0))
    before = harness.store.change("stats", "bill", "early")
    assert before is not None and before.fingerprint == asked
    operations.rebuild_store(harness.archive, harness.store, int(time.time() * 1000), DEDUP)
    after = harness.store.change("stats", "bill", "early")
    assert after is not None and after.status == "applied" and after.fingerprint == asked


class TransactionLimit:
    """The DynamoDB client, refusing a transaction over 4 MB of items as DynamoDB does (moto does
    not check it): 'The aggregate size of the items in the transaction cannot exceed 4 MB'."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.largest = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **request: Any) -> Any:
        size = sum(item_size(action["Put"]["Item"]) for action in request["TransactItems"])
        self.largest = max(self.largest, size)
        if size > MAX_TRANSACTION_BYTES:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ValidationException",
                        "Message": "Transaction request cannot be larger than 4 MB",
                    }
                },
                "TransactWriteItems",
            )
        return self._client.transact_write_items(**request)


def test_users_whose_items_carry_the_largest_filters_still_fit_one_transaction(harness: Harness) -> None:
    now = int(time.time() * 1000)
    title = "🎬" * MAX_NAME_LENGTH
    users = [f"{n:03d}" + "🎬" * (MAX_NAME_LENGTH - 3) for n in range(20)]
    # The largest tally list the limits allow (four submissions of 100 entries can build it),
    # for each user, stored as a rebuild would.
    keys = [
        f"{n:04d}" + "🎬" * (MAX_NAME_LENGTH - 4) for n in range(MAX_LIST_BYTES // (4 * MAX_NAME_LENGTH + 24))
    ]
    seeds = [
        Submit(f"seed-{n}", title, user, "tally", dict.fromkeys(keys, Decimal(1)), now)
        for n, user in enumerate(users)
    ]
    harness.store.put(plan_title(TitleState(title), seeds, now).writes, (now + 25 * HOUR_MS) // 1000)
    # Each user's item then carries the filters of a hot list's window of moved-out outcomes,
    # at the most the budget allows.
    digests = [hashlib.sha256(str(n).encode()).digest()[:16] for n in range(50_000)]
    filters = moved_out.pack(moved_out.moving_out((), [(d, now) for d in digests], 0, moved_out.MAX_BYTES))
    client = harness.deployed.aws.client("dynamodb")
    for user in users:
        key = attributes.to_attributes(layout.as_key(layout.user_list_key(title, user)))
        client.update_item(
            TableName=harness.deployed.table_name,
            Key=key,
            UpdateExpression="SET movedOut = :filters",
            ExpressionAttributeValues={":filters": {"B": filters}},
        )
    limited = TransactionLimit(client)
    store = DynamoListStore(limited, harness.deployed.table_name)
    documents = [
        {
            "id": f"next-{n}",
            "type": "list-update-submitted",
            "timestamp": now,
            "update": {"title": title, "user": user, "type": "tally", "entries": {keys[0]: 1}},
        }
        for n, user in enumerate(users)
    ]
    assert run(harness, kinesis_event(documents, arrival=now / 1000), store=store) == {
        "batchItemFailures": []
    }
    assert limited.largest <= MAX_TRANSACTION_BYTES
    assert harness.published() == []  # no fault
    for user in users:
        found = harness.store.user_list(title, user)
        assert found is not None and found.entries[keys[0]] == 2, user


def test_a_listener_clock_ahead_by_less_than_the_windows_margin_forgets_no_id_inside_the_retention(
    harness: Harness,
) -> None:
    # An item forgets outcomes by the clock of the listener that writes it: the window (25 hours)
    # outlasts the stream's retention (24) by an hour, the margin for that clock's error
    # (Lambda's hosts keep theirs to the microsecond; LISTMGR_DEDUP_WINDOW_HOURS widens it).
    decided = 1_800_000_000_000
    first = kinesis_event([envelope("a")], first_sequence=1)
    assert run(harness, first, at=decided) == {"batchItemFailures": []}
    # 23 hours later, one invocation on a host whose clock is 55 minutes ahead.
    ahead = decided + 23 * HOUR_MS + 55 * 60_000
    assert run(harness, kinesis_event([envelope("b")], first_sequence=2), at=ahead) == {
        "batchItemFailures": []
    }
    # The first record delivered again half an hour after that, inside the stream's retention.
    assert run(harness, first, at=decided + 23 * HOUR_MS + HOUR_MS // 2) == {"batchItemFailures": []}
    assert harness.user_list("stats", "bill")["entries"] == {"xp": 2}  # type: ignore[index]
    # Its outcome is still there to answer (two hours ahead, it would be gone: the margin's edge).
    assert harness.store.change("stats", "bill", "a") is not None


class CountingQueries:
    """The DynamoDB client, counting the Query requests made through it and the items they read."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.queries = 0
        self.read = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def query(self, **request: Any) -> Any:
        self.queries += 1
        response = self._client.query(**request)
        self.read += int(response.get("ScannedCount", 0))
        return response


def test_rejections_for_users_without_lists_do_not_multiply_what_a_page_of_users_reads(
    harness: Harness,
) -> None:
    first = {"title": "stats", "user": "zzz", "type": "tally", "entries": {"xp": 1}}
    assert run(harness, kinesis_event([first])) == {"batchItemFailures": []}
    conflicts = [
        {
            "id": f"r{n}",
            "type": "list-update-submitted",
            "timestamp": 1_700_000_000_000,
            "update": {"title": "stats", "user": f"fake{n:04d}", "type": "rank", "entries": {"a": 1}},
        }
        for n in range(600)
    ]
    assert run(harness, kinesis_event(conflicts, first_sequence=10)) == {"batchItemFailures": []}
    counting = CountingQueries(harness.deployed.aws.client("dynamodb"))
    store = DynamoListStore(counting, harness.deployed.table_name)
    users: list[str] = []
    after: str | None = None
    most = 0
    while True:
        before = counting.queries
        page, after = store.users_page("stats", 50, after)
        users += [summary.user for summary in page]
        most = max(most, counting.queries - before)
        if after is None:
            break
    assert users == ["zzz"]
    assert most <= 2, f"one page took {most} queries ({counting.read} items read in all)"
