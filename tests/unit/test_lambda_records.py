"""The one builder of Lambda stream records: the local mappings, the admin's re-drive and the
tests' events all hand a function the same record for the same stream record."""

from datetime import UTC, datetime
from typing import Any

from listmgr.runtime.mappings import records
from shared.events.testing import dynamodb_record, kinesis_record
from shared.stream.decoders import from_kinesis
from shared.stream.lambda_records import dynamodb_from_get_records, kinesis_from_get_records

ARRIVAL = datetime(2026, 12, 3, 12, 0, 0, 250000, tzinfo=UTC)
KINESIS_READ: dict[str, Any] = {
    "SequenceNumber": "7",
    "ApproximateArrivalTimestamp": ARRIVAL,
    "Data": b'{"title": "t"}',
    "PartitionKey": "t",
}
STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/events"
SHARD = "shardId-000000000000"


def test_the_mapping_and_the_re_drive_deliver_a_kinesis_record_alike_but_for_the_role() -> None:
    mapped = records.from_kinesis(KINESIS_READ, SHARD, STREAM_ARN, "us-east-1").event_record
    redriven = kinesis_from_get_records(KINESIS_READ, SHARD, STREAM_ARN, "us-east-1")
    assert mapped.pop("invokeIdentityArn").endswith(":role/events-local")
    assert mapped == redriven


def test_a_test_record_has_the_shape_the_mapping_delivers() -> None:
    built = kinesis_record(KINESIS_READ["Data"], 7, partition_key="t", arrival=ARRIVAL.timestamp())
    mapped = records.from_kinesis(KINESIS_READ, SHARD, built["eventSourceARN"], "us-east-1").event_record
    assert built.keys() == mapped.keys() and built["kinesis"] == mapped["kinesis"]
    (unit,) = from_kinesis({"Records": [built]})
    assert unit.arrival_ms == round(ARRIVAL.timestamp() * 1000)


def test_the_mapping_and_the_re_drive_deliver_a_dynamodb_record_alike() -> None:
    read = {
        "eventID": "e-1",
        "eventName": "INSERT",
        "dynamodb": {
            "ApproximateCreationDateTime": ARRIVAL,
            "Keys": {"pk": {"B": b"\x00key"}},
            "SequenceNumber": "100",
            "StreamViewType": "KEYS_ONLY",
        },
    }
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/1"
    mapped = records.from_dynamodb(read, "shard", arn, "us-east-1").event_record
    redriven = dynamodb_from_get_records(read, arn, "us-east-1")
    assert mapped == redriven
    assert redriven["dynamodb"]["Keys"] == {"pk": {"B": "AGtleQ=="}}
    assert redriven["dynamodb"]["ApproximateCreationDateTime"] == ARRIVAL.timestamp()
    assert dynamodb_record("INSERT", {"pk": "a"}).keys() == redriven.keys()
