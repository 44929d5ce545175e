"""The `- stream:` options of serverless.yml, with Lambda's defaults and ranges."""

from typing import Any

import pytest

from listmgr.runtime.mappings.sources import InvalidSource, StreamSource, sources_of

KINESIS_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/events"
TABLE_STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/items/stream/2026-01-01T00:00:00.000"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:failures"


def resolve(value: Any) -> Any:
    return QUEUE_ARN if value == {"Fn::GetAtt": ["Failures", "Arn"]} else value


def source(**stream: Any) -> StreamSource:
    (found,) = sources_of("f", [{"stream": {"arn": KINESIS_ARN, **stream}}], resolve)
    return found


def test_defaults_are_lambdas() -> None:
    (found,) = sources_of("f", [{"stream": KINESIS_ARN}, {"http": "GET /"}], resolve)
    assert found == StreamSource("f", "kinesis", KINESIS_ARN)
    assert (found.batch_size, found.maximum_retry_attempts, found.maximum_record_age) == (100, -1, -1)
    assert found.stream_name == "events"


def test_every_option_is_read() -> None:
    found = source(
        batchSize=500,
        batchWindow=2,
        startingPosition="AT_TIMESTAMP",
        startingPositionTimestamp="2026-01-01T00:00:00Z",
        enabled=False,
        maximumRetryAttempts=3,
        maximumRecordAgeInSeconds=120,
        bisectBatchOnFunctionError=True,
        functionResponseType="ReportBatchItemFailures",
        destinations={"onFailure": {"arn": {"Fn::GetAtt": ["Failures", "Arn"]}, "type": "sqs"}},
        parallelizationFactor=4,
        tumblingWindowInSeconds=60,
        filterPatterns=[{"data": {"kind": ["a"]}}],
    )
    assert found.starting_position_timestamp == 1767225600.0
    assert (found.batch_size, found.batch_window, found.enabled) == (500, 2.0, False)
    assert (found.maximum_retry_attempts, found.maximum_record_age, found.bisect) == (3, 120, True)
    assert found.report_batch_item_failures and found.on_failure == QUEUE_ARN
    assert (found.parallelization_factor, found.tumbling_window) == (4, 60)
    assert found.filter_patterns == ({"data": {"kind": ["a"]}},)


def test_a_table_stream_is_a_dynamodb_source() -> None:
    (found,) = sources_of("f", [{"stream": {"arn": TABLE_STREAM_ARN}}], resolve)
    assert found.kind == "dynamodb"


@pytest.mark.parametrize(
    ("stream", "reason"),
    [
        ({"batchSize": 0}, "batchSize"),
        ({"batchSize": 10_001}, "batchSize"),
        ({"batchWindow": 301}, "batchWindow"),
        ({"startingPosition": "EARLIEST"}, "startingPosition"),
        ({"startingPosition": "AT_TIMESTAMP"}, "startingPositionTimestamp"),
        ({"maximumRetryAttempts": -2}, "maximumRetryAttempts"),
        ({"maximumRecordAgeInSeconds": 59}, "maximumRecordAgeInSeconds"),
        ({"parallelizationFactor": 11}, "parallelizationFactor"),
        ({"tumblingWindowInSeconds": 901}, "tumblingWindowInSeconds"),
        ({"destinations": {"onFailure": "arn:aws:lambda:us-east-1:1:function:f"}}, "onFailure"),
        ({"filterPatterns": [{"data": "x"}]}, "filterPatterns"),
        ({"arn": {"Ref": "Missing"}}, "arn"),
    ],
)
def test_options_lambda_would_refuse(stream: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidSource, match=reason):
        source(**stream)


def test_at_timestamp_is_for_kinesis_only() -> None:
    with pytest.raises(InvalidSource, match="Kinesis streams only"):
        sources_of(
            "f",
            [
                {
                    "stream": {
                        "arn": TABLE_STREAM_ARN,
                        "startingPosition": "AT_TIMESTAMP",
                        "startingPositionTimestamp": 1,
                    }
                }
            ],
            resolve,
        )
