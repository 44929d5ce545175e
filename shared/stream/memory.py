"""The event stream in memory, with the Kinesis connector's contract (tests/integration/test_stream.py
runs the same tests on both): it stores every record of a call within Kinesis's limits, in order,
and refuses a call over them whole. It serves unit tests and anything that publishes without AWS;
tests/faults/layer.py wraps it (or Kinesis) to refuse records as a throttled shard does."""

from collections.abc import Sequence

from shared.stream.publish import (
    MAX_BYTES_PER_CALL,
    MAX_RECORD_BYTES,
    MAX_RECORDS_PER_CALL,
    StreamUnavailable,
)


class MemoryStream:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes]] = []
        """(partition key, data), in the order they were stored."""

    def put_records(self, records: Sequence[tuple[str, bytes]]) -> list[str | None]:
        sizes = [len(key.encode()) + len(data) for key, data in records]
        if len(records) > MAX_RECORDS_PER_CALL or sum(sizes) > MAX_BYTES_PER_CALL:
            raise StreamUnavailable(f"PutRecords: {len(records)} records of {sum(sizes)} bytes in one call")
        if any(size > MAX_RECORD_BYTES for size in sizes):
            raise StreamUnavailable(f"PutRecords: a record of {max(sizes)} bytes")
        self.records += records
        return [None] * len(records)
