"""maximumRetryAttempts and maximumRecordAgeInSeconds: a batch that keeps failing is discarded,
and the on-failure destination (an SQS queue; an SNS topic) gets Lambda's invocation record
with the condition that ended it."""

import re
import time

from tests.support.mapping_project import MappingProject

ISO_MILLISECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def test_exhausted_retries_send_the_invocation_record(project: MappingProject) -> None:
    numbers = project.put([f"record-{index}" for index in range(3)])
    mapping = project.start("exhausted")

    (failure,) = project.failure_records("failures", 1)

    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    # maximumRetryAttempts 2: the first invocation and two retries.
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["requestContext"]["functionArn"] == project.function("exhausted").arn
    assert failure["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert failure["version"] == "1.0" and ISO_MILLISECONDS.fullmatch(failure["timestamp"])
    info = failure["KinesisBatchInfo"]
    assert info["shardId"] == "shardId-000000000000"
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (numbers[0], numbers[-1])
    assert info["batchSize"] == 3
    assert ISO_MILLISECONDS.fullmatch(info["approximateArrivalOfFirstRecord"])
    assert ISO_MILLISECONDS.fullmatch(info["approximateArrivalOfLastRecord"])
    assert info["streamArn"] == project.source("exhausted").arn
    assert len(project.recorded("exhausted")) == 3
    counts = mapping.counts()
    assert (counts.invocations, counts.failed_invocations, counts.retries) == (3, 3, 2)
    assert (counts.delivered, counts.discarded) == (0, 3)


def test_records_older_than_the_maximum_age_are_discarded(project: MappingProject) -> None:
    project.subscribe_topic_queue()
    numbers = project.put(["old-1", "old-2"])
    ahead = [0.0]
    project.start("aged", clock=lambda: time.time() + ahead[0])
    project.wait_for_invocations("aged", 1)

    # The function keeps failing; once the records are over maximumRecordAgeInSeconds (60) old,
    # the next retry discards them instead of invoking.
    ahead[0] = 61.0
    (failure,) = project.failure_records("topic-failures", 1)

    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["requestContext"]["approximateInvokeCount"] >= 1
    info = failure["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        numbers[0],
        numbers[1],
        2,
    )
