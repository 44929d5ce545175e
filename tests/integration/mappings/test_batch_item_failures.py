"""functionResponseType ReportBatchItemFailures: the records before the first reported one are
done; only the tail from it is retried."""

from tests.support.mapping_project import MappingProject


def test_a_partial_failure_retries_only_the_tail(project: MappingProject) -> None:
    values = [f"record-{index}" for index in range(10)]
    values[4] = "fail-once"
    numbers = project.put(values)
    project.start("partial")

    delivered = project.wait_until_delivered("partial", 6)

    first, retry = project.recorded("partial")
    assert first["sequenceNumbers"] == numbers and first["outcome"] == f"failed from {numbers[4]}"
    assert retry["sequenceNumbers"] == numbers[4:] and retry["outcome"] == "ok"
    assert delivered == values[4:]
