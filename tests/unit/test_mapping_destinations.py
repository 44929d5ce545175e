"""The invocation record Lambda sends to an on-failure destination."""

from listmgr.runtime.mappings.destinations import invocation_record, iso_time
from listmgr.runtime.mappings.records import StreamRecord
from listmgr.runtime.mappings.retries import Discarded
from listmgr.runtime.mappings.sources import StreamSource

STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000"


def test_a_dynamodb_batch_is_described_by_ddb_stream_batch_info() -> None:
    records = [
        StreamRecord("shard-1", str(number), 1_700_000_000.25 + number, "k", {}, 0) for number in (5, 6)
    ]
    discarded = Discarded(records, "RecordAgeExceeded", 2, None)
    document = invocation_record(
        discarded, StreamSource("f", "dynamodb", STREAM), "arn:function", 1_700_000_100.0
    )
    assert document["requestContext"]["condition"] == "RecordAgeExceeded"
    assert document["requestContext"]["approximateInvokeCount"] == 2
    assert document["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert document["timestamp"] == "2023-11-14T22:15:00.000Z"
    assert document["DDBStreamBatchInfo"] == {
        "shardId": "shard-1",
        "startSequenceNumber": "5",
        "endSequenceNumber": "6",
        "approximateArrivalOfFirstRecord": "2023-11-14T22:13:25.250Z",
        "approximateArrivalOfLastRecord": "2023-11-14T22:13:26.250Z",
        "batchSize": 2,
        "streamArn": STREAM,
    }


def test_times_have_milliseconds_and_a_z() -> None:
    assert iso_time(0.0015) == "1970-01-01T00:00:00.001Z"
