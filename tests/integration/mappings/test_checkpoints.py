"""Checkpoints: a mapping started again resumes after the last record done, and ignores the
checkpoint of a stream that was deleted and created again."""

from tests.support.mapping_project import MappingProject
from tests.support.stack import wait_for


def deliver_then_stop(project: MappingProject, values: list[str]) -> None:
    """Runs the `ordered` mapping until `values` are delivered and checkpointed, then stops it."""
    numbers = project.put(values)
    project.start("ordered")
    project.wait_until_delivered("ordered", len(values))
    wait_for(lambda: project.checkpoint("ordered") == numbers[-1])
    project.stop()


def test_a_restarted_mapping_resumes_after_its_checkpoint(project: MappingProject) -> None:
    first = [f"first-{index}" for index in range(20)]
    deliver_then_stop(project, first)

    second = [f"second-{index}" for index in range(10)]
    project.put(second)
    project.start("ordered")
    delivered = project.wait_until_delivered("ordered", 30)

    assert sorted(delivered) == sorted(first + second)


def test_the_checkpoint_of_a_stream_created_again_is_ignored(project: MappingProject) -> None:
    deliver_then_stop(project, [f"old-{index}" for index in range(5)])

    kinesis = project.aws.client("kinesis")
    kinesis.delete_stream(StreamName=project.stream_name)
    kinesis.create_stream(StreamName=project.stream_name, ShardCount=1)
    # On moto the new stream numbers its records from 1 again: resuming after the old checkpoint
    # would skip these.
    project.put(["new-0", "new-1"])
    project.start("ordered")

    delivered = project.wait_until_delivered("ordered", 7)
    assert sorted(delivered[5:]) == ["new-0", "new-1"]
