"""bisectBatchOnFunctionError: a poison record among 100 is isolated by splitting the batch, and
reaches the on-failure queue alone while the other 99 are delivered."""

from tests.support.mapping_project import MappingProject


def test_a_poison_record_is_isolated_and_the_rest_delivered(project: MappingProject) -> None:
    values = [f"record-{index}" for index in range(100)]
    values[37] = "poison"
    numbers = project.put(values)
    project.start("bisected")

    (failure,) = project.failure_records("failures", 1)
    delivered = project.wait_until_delivered("bisected", 99)

    assert sorted(delivered) == sorted(value for value in values if value != "poison")
    info = failure["KinesisBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == numbers[37]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    # maximumRetryAttempts 0: the isolated record was invoked once; the splits were not retries.
    assert failure["requestContext"]["approximateInvokeCount"] == 1
    assert failure["responseContext"]["functionError"] == "Unhandled"
    invocations = project.recorded("bisected")
    assert invocations[0]["sequenceNumbers"] == numbers, "first, the whole batch"
    assert sum(1 for line in invocations if line["values"] == ["poison"]) == 1
