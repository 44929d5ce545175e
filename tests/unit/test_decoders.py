"""Decoding Lambda events into units of work, on the sample events of the seeds."""

import base64
import binascii
import json
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared.events.testing import dynamodb_record, kinesis_event, kinesis_record
from shared.stream.decoders import from_dynamodb, from_kinesis

# The first record of the sample's events/kinesis.json (seed 000), as Lambda delivers it.
SAMPLE_RECORD = {
    "kinesis": {
        "kinesisSchemaVersion": "1.0",
        "partitionKey": "0",
        "sequenceNumber": "49598630142999655949899443842509554952738656579378741250",
        "data": (
            "eyJ0aXRsZSI6ICJmYXZvcml0ZSBtb3ZpZXMiLCAidXNlciI6ICJyZGx5c2N0IiwgInR5cGUiOiAicmFuayIsICJlbnRyaWVzIjog"
            "eyJibGFkZSBydW5uZXIiOiAyLCAidGhlIGVtcGlyZSBzdHJpa2VzIGJhY2siOiAzLCAiYWxpZW4iOiAxfX0="
        ),
        "approximateArrivalTimestamp": 1570667770.615,
    },
    "eventSource": "aws:kinesis",
    "eventVersion": "1.0",
    "eventID": "shardId-000000000000:49598630142999655949899443842509554952738656579378741250",
    "eventName": "aws:kinesis:record",
    "invokeIdentityArn": "arn:aws:iam::123456789012:role/list-manager-processorRole-7FYXMPLH7IUS",
    "awsRegion": "us-east-2",
    "eventSourceARN": "arn:aws:kinesis:us-east-2:123456789012:stream/list-manager-stream-87B3XMPLF1AZ",
}

# The lab's test record (seed 001): its data is plain text, not a submission.
LAB_RECORD = {
    "kinesis": {
        "partitionKey": "partitionKey-03",
        "kinesisSchemaVersion": "1.0",
        "data": "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0IDEyMy4=",
        "sequenceNumber": "49545115243490985018280067714973144582180062593244200961",
        "approximateArrivalTimestamp": 1428537600,
    },
    "eventSource": "aws:kinesis",
    "eventID": "shardId-000000000000:49545115243490985018280067714973144582180062593244200961",
    "invokeIdentityArn": "arn:aws:iam::EXAMPLE",
    "eventVersion": "1.0",
    "eventName": "aws:kinesis:record",
    "eventSourceARN": "arn:aws:kinesis:EXAMPLE",
    "awsRegion": "us-west-2",
}


def test_a_bare_submission_becomes_an_update_event_keyed_by_the_kinesis_event_id() -> None:
    (unit,) = from_kinesis({"Records": [SAMPLE_RECORD]})
    assert unit.fault is None
    assert unit.sequence_number == "49598630142999655949899443842509554952738656579378741250"
    assert unit.shard == "shardId-000000000000"
    assert unit.event == {
        "id": SAMPLE_RECORD["eventID"],
        "type": "list-update-submitted",
        "timestamp": 1570667770615,
        "partitionKey": "0",
        "tags": {"source": "kinesis"},
        "update": {
            "title": "favorite movies",
            "user": "rdlysct",
            "type": "rank",
            "entries": {"blade runner": 2, "the empire strikes back": 3, "alien": 1},
        },
    }


def test_text_that_is_not_json_is_a_fault_not_an_exception() -> None:
    (unit,) = from_kinesis({"Records": [LAB_RECORD]})
    assert unit.event is None
    assert unit.fault is not None and "not valid JSON" in unit.fault


def test_every_kind_of_undecodable_data_is_a_fault_with_its_reason() -> None:
    bad_base64 = kinesis_record(b"", 2)
    bad_base64["kinesis"]["data"] = "not base64!!"
    units = from_kinesis(
        {
            "Records": [
                bad_base64,
                kinesis_record(b"\xff\xfe not utf-8", 3),
                kinesis_record("[1, 2]", 4),
                kinesis_record('{"xp": NaN}', 5),
                kinesis_record('{"id": "x", "type": 7}', 6),
            ]
        }
    )
    reasons = [unit.fault for unit in units]
    assert reasons[0] == "data is not valid base64"
    assert reasons[1] is not None and reasons[1].startswith("data is not valid UTF-8")
    assert reasons[2] == "data is JSON but not an object: list"
    assert reasons[3] is not None and "NaN" in reasons[3]
    assert reasons[4] == "an event envelope needs a string 'type'"


def test_numbers_are_decoded_exactly() -> None:
    (unit,) = from_kinesis(kinesis_event(['{"title":"t","user":"u","type":"tally","entries":{"xp":0.1}}']))
    assert unit.event is not None
    assert unit.event["update"]["entries"]["xp"] == Decimal("0.1")


def test_an_envelope_passes_as_it_is_and_a_list_typed_document_never_passes_as_an_envelope() -> None:
    envelope = {"id": "e1", "type": "user-list-updated", "timestamp": 1}
    typed_like_a_list = {"id": "e2", "title": "t", "user": "u", "type": "tally", "entries": {}}
    first, second = from_kinesis(kinesis_event([envelope, typed_like_a_list]))
    assert first.event == envelope
    assert second.event is not None and second.event["type"] == "list-update-submitted"


# The three records of seed 004's DynamodbTimeWindowEvent sample: INSERT, MODIFY, REMOVE.
DYNAMODB_EVENT = {
    "Records": [
        {
            "eventID": "1",
            "eventName": "INSERT",
            "eventVersion": "1.0",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"Id": {"N": "101"}},
                "NewImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
                "SequenceNumber": "111",
                "SizeBytes": 26,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
            "eventSourceARN": "stream-ARN",
        },
        {
            "eventID": "2",
            "eventName": "MODIFY",
            "eventVersion": "1.0",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"Id": {"N": "101"}},
                "NewImage": {"Message": {"S": "This item has changed"}, "Id": {"N": "101"}},
                "OldImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
                "SequenceNumber": "222",
                "SizeBytes": 59,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
            "eventSourceARN": "stream-ARN",
        },
        {
            "eventID": "3",
            "eventName": "REMOVE",
            "eventVersion": "1.0",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"Id": {"N": "101"}},
                "OldImage": {"Message": {"S": "This item has changed"}, "Id": {"N": "101"}},
                "SequenceNumber": "333",
                "SizeBytes": 38,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
            "eventSourceARN": "stream-ARN",
        },
    ]
}


def test_dynamodb_records_become_plain_images_with_exact_numbers() -> None:
    insert, modify, remove = from_dynamodb(DYNAMODB_EVENT)
    assert [unit.sequence_number for unit in (insert, modify, remove)] == ["111", "222", "333"]
    assert insert.event == {
        "eventID": "1",
        "eventName": "INSERT",
        "keys": {"Id": Decimal(101)},
        "new": {"Message": "New item!", "Id": Decimal(101)},
        "old": None,
    }
    assert modify.event is not None and modify.event["old"] == {"Message": "New item!", "Id": Decimal(101)}
    assert remove.event is not None and remove.event["new"] is None


def test_nested_maps_and_decimals_survive() -> None:
    record = {
        "eventID": "9",
        "eventName": "MODIFY",
        "dynamodb": {
            "Keys": {"pk": {"S": "L#stats"}},
            "NewImage": {"entries": {"M": {"xp": {"N": "108.5"}, "deep": {"M": {"n": {"N": "-1E+2"}}}}}},
            "SequenceNumber": "5",
        },
        "eventSourceARN": "arn",
    }
    (unit,) = from_dynamodb({"Records": [record]})
    assert unit.event is not None
    assert unit.event["new"] == {"entries": {"xp": Decimal("108.5"), "deep": {"n": Decimal("-1E+2")}}}


def test_a_record_without_its_parts_is_a_fault() -> None:
    (unit,) = from_dynamodb({"Records": [{"dynamodb": {"SequenceNumber": "1"}, "eventSourceARN": "arn"}]})
    assert unit.fault is not None and unit.fault.startswith("not a DynamoDB Streams record")


def test_kinesis_data_is_base64_of_the_json() -> None:
    record = kinesis_record({"a": 1}, 1)
    assert base64.b64decode(record["kinesis"]["data"]) == b'{"a":1}'


def test_numbers_python_will_not_parse_are_faults() -> None:
    (unit,) = from_kinesis(
        kinesis_event(['{"title":"t","user":"u","type":"tally","entries":{"xp":' + "9" * 5000 + "}}"])
    )
    assert unit.fault is not None and unit.fault.startswith("not valid JSON")


def test_data_that_is_not_even_ascii_is_not_valid_base64() -> None:
    # Raised ValueError out of from_kinesis: the whole batch failed, on every retry.
    record = kinesis_record(b"{}", 1)
    record["kinesis"]["data"] = "e30=é"
    (unit,) = from_kinesis({"Records": [record]})
    assert unit.fault == "data is not valid base64"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="AQB/+=\n -_", max_size=12))
@example("QQ")
@example("QQ=")
@example("QQ==QQ==")
@example("=QQ=")
@example("QR==")
def test_data_is_base64_exactly_when_the_standard_library_validating_it_says_so(data: str) -> None:
    record = kinesis_record(b"", 1)
    record["kinesis"]["data"] = data
    (unit,) = from_kinesis({"Records": [record]})
    try:
        base64.b64decode(data, validate=True)
    except binascii.Error:
        assert unit.fault == "data is not valid base64"
    else:
        assert unit.fault != "data is not valid base64"


class Text(str):
    pass


SAMPLE: dict[str, Any] = SAMPLE_RECORD


def with_kinesis(record: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**record, "kinesis": {**record["kinesis"], **fields}}


@pytest.mark.parametrize(
    "variant",
    [
        MappingProxyType(SAMPLE),
        {**SAMPLE, "kinesis": MappingProxyType(SAMPLE["kinesis"])},
        with_kinesis(SAMPLE, data=Text(SAMPLE["kinesis"]["data"])),
        with_kinesis(SAMPLE, approximateArrivalTimestamp=Decimal("1570667770.615")),
    ],
    ids=[
        "record a read-only mapping",
        "kinesis a read-only mapping",
        "data a str subclass",
        "arrival a Decimal",
    ],
)
def test_a_record_of_other_mapping_and_string_types_reads_as_lambdas_own(variant: Any) -> None:
    # Lambda's own types take a shortcut past the field checks; any other readable record must
    # still read, and read the same.
    (expected,) = from_kinesis({"Records": [SAMPLE_RECORD]})
    (unit,) = from_kinesis({"Records": [variant]})
    assert (unit.event, unit.fault, unit.sequence_number, unit.shard) == (
        expected.event,
        expected.fault,
        expected.sequence_number,
        expected.shard,
    )


def test_a_boolean_arrival_time_is_no_number() -> None:
    (unit,) = from_kinesis({"Records": [with_kinesis(SAMPLE, approximateArrivalTimestamp=True)]})
    assert unit.fault == "not a Kinesis record: missing or mistyped kinesis.approximateArrivalTimestamp"


def test_the_decoder_hands_on_the_records_arrival_partition_key_and_data() -> None:
    (unit,) = from_kinesis({"Records": [SAMPLE_RECORD]})
    assert unit.arrival_ms == 1570667770615
    assert unit.partition_key == "0"
    assert unit.data == base64.b64decode(SAMPLE["kinesis"]["data"]).decode()


def test_a_record_that_cannot_be_read_keeps_what_can_be_read_for_its_fault_event() -> None:
    unreadable = with_kinesis(SAMPLE, sequenceNumber=7)
    (unit,) = from_kinesis({"Records": [unreadable]})
    assert unit.fault == "not a Kinesis record: missing or mistyped kinesis.sequenceNumber"
    assert (unit.arrival_ms, unit.partition_key, unit.data) == (1570667770615, "0", None)


@pytest.mark.parametrize("arrival", [float("inf"), float("-inf"), float("nan"), Decimal("Infinity"), 1e306])
def test_an_arrival_time_that_is_no_finite_number_of_milliseconds_is_a_fault(arrival: Any) -> None:
    # It once raised OverflowError from the envelope of a bare submission, failing the whole batch.
    (unit,) = from_kinesis({"Records": [with_kinesis(SAMPLE, approximateArrivalTimestamp=arrival)]})
    assert unit.fault == "not a Kinesis record: approximateArrivalTimestamp is not finite"
    assert unit.arrival_ms is None


def test_a_dynamodb_record_arrives_when_its_change_was_made() -> None:
    (unit,) = from_dynamodb({"Records": [dynamodb_record("INSERT", {"pk": "a"}, created=1_700_000_000.25)]})
    assert unit.arrival_ms == 1_700_000_000_250


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)
_documents = st.one_of(
    st.builds(lambda entries: {"title": "t", "user": "u", "type": "tally", "entries": entries}, _json_values),
    st.dictionaries(st.sampled_from(["id", "type", "update", "x"]), _json_values, max_size=4),
    _json_values,
)
_data = st.one_of(
    _documents.map(lambda document: base64.b64encode(json.dumps(document).encode()).decode()),
    st.binary(max_size=12).map(lambda raw: base64.b64encode(raw).decode()),
    st.text(max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(
    data=_data,
    arrival=st.floats() | st.integers(min_value=-(10**12), max_value=10**12),
    partition_key=st.none() | st.text(max_size=4) | st.integers(),
    event_id=st.sampled_from(["shardId-000000000001:5", ":5", "x"]),
)
def test_the_short_way_reads_every_record_as_the_careful_way_does(
    data: str, arrival: float, partition_key: Any, event_id: str
) -> None:
    # A read-only mapping never takes the short way: what it decodes to is the careful reading.
    record = kinesis_record(b"", 5)
    record["eventID"] = event_id
    record["kinesis"].update(data=data, approximateArrivalTimestamp=arrival, partitionKey=partition_key)
    (short,) = from_kinesis({"Records": [record]})
    (careful,) = from_kinesis({"Records": [MappingProxyType(record)]})
    assert short[1:] == careful[1:]
