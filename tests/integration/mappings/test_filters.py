"""filterPatterns: only matching records are delivered; the others are checkpointed as done."""

from tests.support.mapping_project import MappingProject
from tests.support.stack import wait_for


def test_only_records_matching_a_pattern_are_delivered(project: MappingProject) -> None:
    values = [
        {"kind": "keep", "size": 15},  # pattern 1
        {"kind": "keep", "size": 25},  # over the range
        {"kind": "keep", "size": 10},  # not over 10
        {"name": "x-ray"},  # pattern 2: prefix
        {"name": "y-ray"},
        {"kind": "other"},  # pattern 3: anything-but keep and drop, and no tag
        {"kind": "other", "tag": 1},
        {"kind": "drop"},
        ["a", "list"],
        {"kind": "keep", "size": 20},  # pattern 1, at the end of the range
    ]
    project.put(values)
    kinesis = project.aws.client("kinesis")
    last = kinesis.put_record(StreamName=project.stream_name, Data=b"not json", PartitionKey="x")
    mapping = project.start("filtered")

    wait_for(lambda: project.checkpoint("filtered") == last["SequenceNumber"])

    assert project.delivered("filtered") == [values[0], values[3], values[5], values[9]]
    counts = mapping.counts()
    assert (counts.read, counts.filtered_out, counts.delivered) == (11, 7, 4)
