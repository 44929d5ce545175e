"""Events a function cannot read: a batch of foreign records is faults, never a crash, and an
event that is not a batch at all is one clear error."""

from collections.abc import Mapping
from typing import Any

import pytest

from services.admin.handler import handle as admin
from services.api.handler import handle as api
from services.listener.function import listener as listener_pipeline
from services.listener.handler import handle as listener
from services.trigger.handler import handle as trigger
from services.trigger.rules import RULES as TRIGGER_RULES
from shared.bootstrap import Ports
from shared.events.codec import dumps, loads
from shared.events.testing import dynamodb_record, kinesis_record
from shared.lists.memory import MemoryArchive, MemoryListStore
from shared.settings import Settings
from shared.stream.batch import batch_response
from shared.stream.decoders import NotABatch, from_dynamodb, from_kinesis
from shared.stream.flavors.crud import CrudOptions, CrudRule, crud
from shared.stream.memory import MemoryStream
from shared.stream.publish import PublishOptions
from tests.support.images import created
from tests.support.schemas import validator

NO_WAIT = PublishOptions(max_attempts=2, sleep=lambda _: None)
TAGS: dict[str, str | int] = {"source": "listener", "pipeline": "faults"}
SUBMISSION = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 1}}
NOT_BATCHES: list[Any] = [[], {}, {"Records": "x"}, {"Records": None}, "x", None, 3]


@pytest.mark.parametrize("event", NOT_BATCHES)
def test_an_event_that_is_not_a_batch_is_one_clear_error(event: Any) -> None:
    for decode, source in ((from_kinesis, "Kinesis"), (from_dynamodb, "DynamoDB Streams")):
        with pytest.raises(
            NotABatch, match=f'^not a {source} batch: expected {{"Records": \\[...\\]}}, got '
        ):
            decode(event)
    # The handlers say so before they connect to anything.
    for handle in (listener, trigger):
        with pytest.raises(ValueError, match="batch"):
            handle(event, None)


@pytest.mark.parametrize("event", [[], "x", {"Records": []}, {}])
def test_the_api_function_refuses_what_is_not_an_http_event(event: Any) -> None:
    with pytest.raises(ValueError, match=r"^not an HTTP event"):
        api(event, None)


def test_the_admin_function_answers_what_is_not_an_object_with_an_error() -> None:
    assert admin([], None) == {
        "action": None,
        "ok": False,
        "error": 'the admin function takes an object: {"action": ...}',
    }


MISSING = "not a Kinesis record: missing or mistyped "
FOREIGN_KINESIS: list[tuple[Any, str]] = [
    (dynamodb_record("INSERT", {"pk": "a", "sk": "b"}, new={"pk": "a", "sk": "b"}), MISSING + "kinesis"),
    (
        {"kinesis": {}},
        MISSING + "eventID, kinesis.sequenceNumber, kinesis.data, kinesis.approximateArrivalTimestamp",
    ),
    (
        {
            "eventID": "shardId-0:9",
            "kinesis": {"sequenceNumber": "9", "data": 5, "approximateArrivalTimestamp": 1},
        },
        MISSING + "kinesis.data",
    ),
    ("x", "not a Kinesis record: a JSON str, not an object"),
]


def test_records_the_listener_cannot_read_are_published_as_faults_and_the_rest_goes_on() -> None:
    stream, store = MemoryStream(), MemoryListStore()
    ports = Ports(Settings(), store=store, archive=MemoryArchive(), stream=stream, sleep=lambda _: None)
    step = listener_pipeline(ports, TAGS)
    records = [record for record, _ in FOREIGN_KINESIS] + [kinesis_record(SUBMISSION, 10)]
    units = step(from_kinesis({"Records": records}))

    assert batch_response(units) == {"batchItemFailures": []}
    bill = store.user_list("stats", "bill")
    assert bill is not None and bill.entries == {"xp": 1}
    faults = [loads(data) for _, data in stream.records]
    for fault in faults:
        validator("fault").validate(fault)
    assert [fault["fault"]["reason"] for fault in faults] == [reason for _, reason in FOREIGN_KINESIS]
    assert len({fault["id"] for fault in faults}) == len(faults)
    # What could be read of the record is kept: the DynamoDB record's eventID, the sequence number.
    assert faults[0]["fault"]["id"] == "event-1" and faults[2]["fault"]["sequenceNumber"] == "9"


def test_records_the_trigger_cannot_read_are_skipped_as_faults() -> None:
    stream = MemoryStream()
    records: list[Any] = [
        kinesis_record(SUBMISSION, 1),
        {"dynamodb": {"SequenceNumber": "2"}},
        {"eventID": "e", "eventName": "INSERT", "dynamodb": {"SequenceNumber": "3", "NewImage": "x"}},
        "x",
        created("stats", "bill"),
    ]
    units = crud(TRIGGER_RULES, CrudOptions(stream=stream, tags=TAGS, publish=NO_WAIT))(
        from_dynamodb({"Records": records})
    )
    assert batch_response(units) == {"batchItemFailures": []}
    assert [loads(data)["type"] for _, data in stream.records] == ["user-list-created"]
    assert [unit.fault for unit in units[:4]] == [
        "not a DynamoDB Streams record: missing or mistyped dynamodb",
        "not a DynamoDB Streams record: missing or mistyped eventID, eventName",
        "not a DynamoDB Streams record: an image does not read as AttributeValues"
        " (AttributeError: 'str' object has no attribute 'items')",
        "not a DynamoDB Streams record: a JSON str, not an object",
    ]
    assert [unit.sequence_number for unit in units[:4]] == ["", "2", "3", ""]
    assert units[4].fault is None


def test_a_rule_that_raises_faults_its_record_never_the_batch() -> None:
    (user_lists, aggregates) = TRIGGER_RULES

    def broken(image: Mapping[str, Any]) -> Any:
        if image["user"] == "bad":
            raise KeyError("entries")
        return user_lists.view(image)

    rule = CrudRule(user_lists.id, user_lists.event_prefix, broken)
    stream = MemoryStream()
    units = crud((rule, aggregates), CrudOptions(stream=stream, tags=TAGS, publish=NO_WAIT))(
        from_dynamodb({"Records": [created("stats", "bad"), created("stats", "bill")]})
    )
    assert batch_response(units) == {"batchItemFailures": []}
    assert units[0].fault == "a rule failed on this record: KeyError: 'entries'"
    assert [loads(data)["list"]["user"] for _, data in stream.records] == ["bill"]


def test_an_event_read_with_the_codec_keeps_its_arrival_times_as_numbers() -> None:
    # `listmgr invoke` reads the event file with exact decimals: 1700000000.0 is a Decimal.
    event = loads(dumps({"Records": [kinesis_record(SUBMISSION, 1)]}))
    (unit,) = from_kinesis(event)
    assert unit.fault is None and unit.event is not None
