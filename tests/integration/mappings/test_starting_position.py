"""startingPosition AT_TIMESTAMP (with startingPositionTimestamp) and `enabled: false`."""

import time

from tests.support.mapping_project import MappingProject


def test_at_timestamp_starts_with_the_first_record_that_arrived_at_or_after_it(
    project: MappingProject,
) -> None:
    project.put(["before-1", "before-2"])
    time.sleep(0.05)  # so the two groups arrive at different milliseconds
    after = project.put(["after-1", "after-2"])
    arrivals = project.arrivals()
    project.params["startAt"] = str((arrivals["before-2"] + arrivals["after-1"]) / 2)
    project.start("timestamped")

    delivered = project.wait_until_delivered("timestamped", 2)

    assert delivered == ["after-1", "after-2"]
    assert project.recorded("timestamped")[0]["sequenceNumbers"] == after


def test_a_disabled_mapping_reads_nothing(project: MappingProject) -> None:
    project.put(["a", "b"])
    disabled = project.start("disabled")
    project.start("timestamped")  # startAt defaults to 0: every record

    project.wait_until_delivered("timestamped", 2)

    assert not disabled.pollers
    assert project.recorded("disabled") == []
