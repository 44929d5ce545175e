"""The 6 MB payload limit of a synchronous invocation ends a batch before batchSize does."""

from listmgr.runtime.mappings.batches import PAYLOAD_LIMIT
from tests.support.mapping_project import MappingProject


def test_batches_stay_under_six_megabytes(project: MappingProject) -> None:
    values = [f"{index:02d}" + "x" * 700_000 for index in range(12)]
    project.put(values)
    project.start("large")

    delivered = project.wait_until_delivered("large", 12)

    assert delivered == values
    invocations = project.recorded("large")
    assert len(invocations) > 1
    assert all(invocation["bytes"] <= PAYLOAD_LIMIT for invocation in invocations)
