"""Batching: batchSize, batchWindow, the payload limit and window boundaries."""

from listmgr.runtime.mappings.batches import EVENT_OVERHEAD, BatchLimits, Buffer
from listmgr.runtime.mappings.records import StreamRecord


def record(number: int, size: int = 10, arrival: float = 0.0) -> StreamRecord:
    return StreamRecord("shard", str(number), arrival, "key", {}, size)


def numbers(batch: list[StreamRecord]) -> list[int]:
    return [item.sequence for item in batch]


def test_a_batch_is_due_once_batch_size_records_wait() -> None:
    buffer = Buffer()
    buffer.put([record(number) for number in range(1, 8)])
    limits = BatchLimits(size=3, window=300)
    assert numbers(buffer.take(limits, timeout=0)) == [1, 2, 3]
    assert numbers(buffer.take(limits, timeout=0)) == [4, 5, 6]
    assert buffer.take(limits, timeout=0) == [], "one record waits for the window"
    assert len(buffer) == 1


def test_without_a_window_whatever_waits_is_a_batch() -> None:
    buffer = Buffer()
    buffer.put([record(1), record(2)])
    assert numbers(buffer.take(BatchLimits(size=100, window=0), timeout=0)) == [1, 2]


def test_the_payload_limit_ends_a_batch() -> None:
    buffer = Buffer()
    buffer.put([record(number, size=400) for number in range(1, 6)])
    limits = BatchLimits(size=100, window=300, payload=EVENT_OVERHEAD + 2 * 401)
    assert numbers(buffer.take(limits, timeout=0)) == [1, 2]
    assert numbers(buffer.take(limits, timeout=0, reserved=401)) == [3], "reserved bytes count too"


def test_a_record_over_the_limit_still_goes_alone() -> None:
    buffer = Buffer()
    buffer.put([record(1, size=1000), record(2)])
    assert numbers(buffer.take(BatchLimits(size=100, window=300, payload=500), timeout=0)) == [1]


def test_a_batch_holds_one_group() -> None:
    buffer = Buffer()
    buffer.put([record(1, arrival=0.5), record(2, arrival=0.9), record(3, arrival=1.2)])
    limits = BatchLimits(size=100, window=300)
    assert numbers(buffer.take(limits, timeout=0, group=lambda item: int(item.arrival))) == [1, 2]


def test_wake_makes_take_return() -> None:
    buffer = Buffer()
    buffer.wake()
    assert buffer.take(BatchLimits(size=1, window=0), timeout=60) == []
