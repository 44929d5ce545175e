"""functionResponseType ReportBatchItemFailures: the records before the first reported one are
done; only the tail from it is retried."""

from tests.support.mapping_project import MappingProject
from tests.support.stack import wait_for


def test_a_partial_failure_retries_only_the_tail(project: MappingProject) -> None:
    values = [f"record-{index}" for index in range(10)]
    values[4] = "fail-once"
    numbers = project.put(values)
    mapping = project.start("partial")

    delivered = project.wait_until_delivered("partial", 6)
    wait_for(lambda: mapping.counts().invocations == 2)

    first, retry = project.recorded("partial")
    assert first["sequenceNumbers"] == numbers and first["outcome"] == f"failed from {numbers[4]}"
    assert retry["sequenceNumbers"] == numbers[4:] and retry["outcome"] == "ok"
    assert delivered == values[4:]
    counts = mapping.counts()
    assert (counts.delivered, counts.failed_invocations, counts.retries, counts.discarded) == (10, 1, 1, 0)
