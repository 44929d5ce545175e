"""The trigger's crud rules: which stream records become which events, with which ids."""

from decimal import Decimal
from typing import Any

from services.trigger.rules import RULES
from shared.adapters.dynamodb import layout
from shared.events.codec import loads
from shared.events.partition import partition_key
from shared.events.testing import dynamodb_record
from shared.lists.aggregate import Aggregate
from shared.stream.batch import batch_response
from shared.stream.decoders import from_dynamodb
from shared.stream.flavors.crud import CrudOptions, crud
from shared.stream.memory import MemoryStream
from shared.stream.publish import PublishOptions
from tests.faults.layer import ThrottledStream
from tests.support.images import KEYS_BILL, user_list
from tests.support.schemas import validator

TAGS: dict[str, str | int] = {
    "source": "trigger",
    "stage": "test",
    "region": "us-east-1",
    "functionname": "trigger",
}


def aggregate(version: int, sums: dict[str, int] | None = None, users: int = 1) -> dict[str, Any]:
    """The aggregate item of "movies" as the table holds it; a tombstone without `sums`."""
    live = None
    if sums is not None:
        entries = {key: Decimal(value) for key, value in sums.items()}
        live = Aggregate("movies", "rank", entries, dict.fromkeys(sums, 1), users, 5)
    return layout.aggregate_item("movies", live, version)


KEYS_MOVIES = layout.as_key(layout.aggregate_key("movies"))


def run(
    records: list[dict[str, Any]], stream: MemoryStream | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    stream = stream or MemoryStream()
    units = crud(RULES, CrudOptions(stream=stream, tags=TAGS))(from_dynamodb({"Records": records}))
    events = [loads(data) for _, data in stream.records]
    for event in events:
        validator(event["type"]).validate(event)
    return events, batch_response(units)


def test_insert_modify_and_remove_of_a_user_list() -> None:
    events, response = run(
        [
            dynamodb_record(
                "INSERT", KEYS_BILL, new=user_list(1, {"xp": 25}), sequence_number=1, created=1_700_000_000.5
            ),
            dynamodb_record(
                "MODIFY",
                KEYS_BILL,
                new=user_list(2, {"xp": 30}),
                old=user_list(1, {"xp": 25}),
                sequence_number=2,
            ),
            dynamodb_record(
                "MODIFY",
                KEYS_BILL,
                new=user_list(3, deleted=True),
                old=user_list(2, {"xp": 30}),
                sequence_number=3,
            ),
        ]
    )
    assert response == {"batchItemFailures": []}
    assert [event["type"] for event in events] == [
        "user-list-created",
        "user-list-updated",
        "user-list-deleted",
    ]
    created = events[0]
    assert created["list"] == {
        "title": "stats",
        "user": "bill",
        "type": "tally",
        "entries": {"xp": 25},
        "updatedAt": 1001,
    }
    assert created["timestamp"] == 1_700_000_000_500
    assert created["partitionKey"] == partition_key("stats", "bill")
    assert created["tags"] == {**TAGS, "pipeline": "user-lists"}
    assert created["raw"]["old"] is None and "outcomes" not in created["raw"]["new"]
    assert created["raw"]["new"]["entries"] == {"xp": 25}
    # A deletion carries the list as it last was.
    assert events[2]["list"]["entries"] == {"xp": 30}
    assert events[2]["raw"]["new"]["deleted"] is True


def test_aggregates_carry_counts_and_ranking_and_leave_as_deleted() -> None:
    events, _ = run(
        [
            dynamodb_record("INSERT", KEYS_MOVIES, new=aggregate(1, {"alien": 1, "blade runner": 2})),
            dynamodb_record(
                "MODIFY",
                KEYS_MOVIES,
                new=aggregate(2),
                old=aggregate(1, {"alien": 1, "blade runner": 2}),
                sequence_number=2,
            ),
            dynamodb_record(
                "MODIFY", KEYS_MOVIES, new=aggregate(3, {"x": 1}), old=aggregate(2), sequence_number=3
            ),
        ]
    )
    assert [event["type"] for event in events] == [
        "aggregate-list-created",
        "aggregate-list-deleted",
        "aggregate-list-created",
    ]
    assert events[0]["list"] == {
        "title": "movies",
        "type": "rank",
        "entries": {"alien": 1, "blade runner": 2},
        "users": 1,
        "updatedAt": 5,
        "counts": {"alien": 1, "blade runner": 1},
        "ranking": ["alien", "blade runner"],
    }
    assert events[0]["partitionKey"] == partition_key("movies")


def test_what_a_subscriber_cannot_see_publishes_nothing() -> None:
    same = user_list(4, {"xp": 30})
    events, response = run(
        [
            # moto's no-op write: a MODIFY with identical images.
            dynamodb_record("MODIFY", KEYS_BILL, new=same, old=same, sequence_number=1),
            # Only the dedup window changed.
            dynamodb_record(
                "MODIFY", KEYS_BILL, new={**same, "version": 5, "seen": {}}, old=same, sequence_number=2
            ),
            # moto's first INSERT of an UpdateItem holds the key only.
            dynamodb_record("INSERT", KEYS_BILL, new=KEYS_BILL, sequence_number=3),
            # A tombstone expiring through TTL, and a tombstone written again.
            dynamodb_record("REMOVE", KEYS_BILL, old=user_list(6, deleted=True), sequence_number=4),
            dynamodb_record(
                "MODIFY",
                KEYS_BILL,
                new=user_list(7, deleted=True),
                old=user_list(6, deleted=True),
                sequence_number=5,
            ),
            # An item that is not a list at all.
            dynamodb_record(
                "INSERT",
                {"pk": "checkpoint", "sk": "x"},
                new={"pk": "checkpoint", "sk": "x", "kind": "marker"},
                sequence_number=6,
            ),
        ]
    )
    assert events == [] and response == {"batchItemFailures": []}


def test_the_same_change_delivered_twice_has_the_same_id() -> None:
    record = dynamodb_record("MODIFY", KEYS_BILL, new=user_list(2, {"xp": 30}), old=user_list(1, {"xp": 25}))
    first, _ = run([record])
    again, _ = run([{**record, "eventID": "another delivery"}])
    assert first[0]["id"] == again[0]["id"]
    other, _ = run(
        [dynamodb_record("MODIFY", KEYS_BILL, new=user_list(3, {"xp": 31}), old=user_list(2, {"xp": 30}))]
    )
    assert other[0]["id"] != first[0]["id"]


def test_a_refused_record_is_retried_and_order_per_list_holds() -> None:
    stream = MemoryStream()
    throttled = ThrottledStream(stream, refuse={0})  # the first record offered is refused once
    records = [
        dynamodb_record("INSERT", KEYS_BILL, new=user_list(1, {"xp": 1}), sequence_number=1),
        dynamodb_record(
            "MODIFY", KEYS_BILL, new=user_list(2, {"xp": 2}), old=user_list(1, {"xp": 1}), sequence_number=2
        ),
        dynamodb_record("INSERT", KEYS_MOVIES, new=aggregate(1, {"a": 1}), sequence_number=3),
    ]
    units = crud(RULES, CrudOptions(stream=throttled, tags=TAGS, publish=_no_wait()))(
        from_dynamodb({"Records": records})
    )
    assert all(unit.failed is None for unit in units)
    published = [loads(data)["type"] for _, data in stream.records]
    assert published.index("user-list-created") < published.index("user-list-updated")


def test_when_publishing_keeps_failing_the_batch_fails_from_the_first_unpublished_record() -> None:
    # Everything after the first offer is refused.
    stream = ThrottledStream(MemoryStream(), refuse=range(1, 100))
    records = [
        dynamodb_record("INSERT", KEYS_MOVIES, new=aggregate(1, {"a": 1}), sequence_number=10),
        dynamodb_record("INSERT", KEYS_BILL, new=user_list(1, {"xp": 1}), sequence_number=11),
        dynamodb_record(
            "MODIFY", KEYS_BILL, new=user_list(2, {"xp": 2}), old=user_list(1, {"xp": 1}), sequence_number=12
        ),
    ]
    units = crud(RULES, CrudOptions(stream=stream, tags=TAGS, publish=_no_wait()))(
        from_dynamodb({"Records": records})
    )
    assert batch_response(units) == {"batchItemFailures": [{"itemIdentifier": "11"}]}


def _no_wait() -> Any:
    return PublishOptions(max_attempts=3, sleep=lambda _: None)


def test_an_event_too_big_for_kinesis_is_published_without_its_raw_images() -> None:
    big = user_list(2, {"xp": 1})
    big["note"] = "x" * 600_000
    events, response = run([dynamodb_record("MODIFY", KEYS_BILL, new={**big, "entries": {"xp": 2}}, old=big)])
    assert response == {"batchItemFailures": []}
    (event,) = events
    assert event["raw"] == {"new": None, "old": None} and event["tags"]["rawOmitted"] == 1
    assert event["list"]["entries"] == {"xp": 2}
