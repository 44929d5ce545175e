"""Event ids: deterministic, and never shared by two different changes or records."""

import uuid
from typing import Any

from services.trigger.rules import RULES
from shared.events.codec import loads
from shared.events.testing import STREAM_ARN, kinesis_record
from shared.stream.decoders import from_dynamodb, kinesis_unit
from shared.stream.faults import FAULT_IDS, fault_event
from shared.stream.flavors.crud import CHANGE_IDS, CrudOptions, change_id, crud
from shared.stream.memory import MemoryStream
from tests.support.images import created

TAGS: dict[str, str | int] = {"source": "trigger", "stage": "test"}


def published_ids(*records: dict[str, Any]) -> list[str]:
    stream = MemoryStream()
    crud(RULES, CrudOptions(stream=stream, tags=TAGS))(from_dynamodb({"Records": list(records)}))
    return [loads(data)["id"] for _, data in stream.records]


def test_names_holding_the_key_separator_make_different_ids() -> None:
    # pk|sk joined: "L#x|U#y|U#z" both times.
    first, second = published_ids(created("x|U#y", "z"), created("x", "y|U#z"))
    assert first != second


def test_the_same_change_read_twice_has_the_same_id() -> None:
    assert published_ids(created("x|U#y", "z")) == published_ids(created("x|U#y", "z"))


def test_a_change_id_is_the_uuid5_of_the_compact_json_array_of_its_parts() -> None:
    expected = uuid.uuid5(CHANGE_IDS, '["user-list","stats","bill",2,"updated"]')
    assert change_id(("user-list", "stats", "bill"), 2, "updated") == str(expected)
    # Versions come out of DynamoDB as Decimal; the id must not depend on that.
    (published,) = published_ids(created("stats", "bill"))
    assert published == change_id(("user-list", "stats", "bill"), 1, "created")


def fault_of(record: dict[str, Any]) -> dict[str, Any]:
    unit = kinesis_unit(record)._replace(fault="a reason")
    return fault_event(unit, TAGS)


def test_two_records_with_one_envelope_id_fault_with_two_ids() -> None:
    envelope = {"id": "same", "type": "list-update-submitted", "timestamp": 1, "update": {}}
    first, second = fault_of(kinesis_record(envelope, 1)), fault_of(kinesis_record(envelope, 2))
    assert first["fault"]["id"] == second["fault"]["id"] == "same"
    assert first["id"] != second["id"]


def test_a_fault_redelivered_keeps_its_id() -> None:
    assert fault_of(kinesis_record(b"nope", 7))["id"] == fault_of(kinesis_record(b"nope", 7))["id"]


def test_records_sharing_an_event_id_at_other_positions_fault_with_other_ids() -> None:
    record = kinesis_record(b"nope", 7)
    elsewhere = {**record, "kinesis": {**record["kinesis"], "sequenceNumber": "8"}}
    other_stream = {**record, "eventSourceARN": record["eventSourceARN"] + "-other"}
    ids = {fault_of(each)["id"] for each in (record, elsewhere, other_stream)}
    assert len(ids) == 3


def test_a_fault_id_is_the_uuid5_of_the_compact_json_array_of_the_records_position() -> None:
    record = kinesis_record(b"nope", 7)
    position = f'["{STREAM_ARN}","shardId-000000000000","7","shardId-000000000000:7"]'
    assert fault_of(record)["id"] == str(uuid.uuid5(FAULT_IDS, position))
