"""Checkpoints: a mapping started again resumes after the last record done, and ignores the
checkpoint of a stream that was deleted and created again."""

from tests.e2e.conftest import wait_for
from tests.integration.mappings.conftest import MappingProject


def test_a_restarted_mapping_resumes_after_its_checkpoint(project: MappingProject) -> None:
    first = project.put([f"first-{index}" for index in range(20)])
    project.start("ordered")
    project.wait_until_delivered("ordered", 20)
    wait_for(lambda: project.checkpoint("ordered") == first[-1])
    project.stop()

    project.put([f"second-{index}" for index in range(10)])
    project.start("ordered")
    delivered = project.wait_until_delivered("ordered", 30)

    assert sorted(delivered) == sorted(
        [f"first-{index}" for index in range(20)] + [f"second-{index}" for index in range(10)]
    )


def test_the_checkpoint_of_a_stream_created_again_is_ignored(project: MappingProject) -> None:
    old = project.put([f"old-{index}" for index in range(5)])
    project.start("ordered")
    project.wait_until_delivered("ordered", 5)
    wait_for(lambda: project.checkpoint("ordered") == old[-1])
    project.stop()

    kinesis = project.aws.client("kinesis")
    kinesis.delete_stream(StreamName=project.stream_name)
    kinesis.create_stream(StreamName=project.stream_name, ShardCount=1)
    # On moto the new stream numbers its records from 1 again: resuming after the old checkpoint
    # would skip these.
    project.put(["new-0", "new-1"])
    project.start("ordered")

    delivered = project.wait_until_delivered("ordered", 7)
    assert sorted(delivered[5:]) == ["new-0", "new-1"]
