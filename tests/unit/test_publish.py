"""Publishing to Kinesis: order per partition key, limits per call, retries of what failed."""

from shared.stream.memory import MemoryStream
from shared.stream.publish import MAX_RECORDS_PER_CALL, Outgoing, PublishOptions, publish
from tests.faults.layer import ThrottledStream

NO_WAIT = PublishOptions(max_attempts=4, sleep=lambda _: None)


def outgoing(key: str, data: str, ref: int) -> Outgoing:
    return Outgoing(ref, key, data.encode())


def test_records_of_different_keys_share_a_call_and_one_key_goes_one_record_at_a_time() -> None:
    stream = ThrottledStream(MemoryStream())
    records = [outgoing("a", "a1", 0), outgoing("b", "b1", 1), outgoing("a", "a2", 2), outgoing("a", "a3", 3)]
    assert publish(stream, records, NO_WAIT) == []
    assert [[data for _, data in call] for call in stream.calls] == [[b"a1", b"b1"], [b"a2"], [b"a3"]]


def test_a_refused_record_is_retried_before_the_next_of_its_key() -> None:
    memory = MemoryStream()
    stream = ThrottledStream(memory, refuse={0})  # a1, the first record offered, once
    records = [outgoing("a", "a1", 0), outgoing("a", "a2", 1), outgoing("b", "b1", 2)]
    assert publish(stream, records, NO_WAIT) == []
    assert [data for key, data in memory.records if key == "a"] == [b"a1", b"a2"]


def test_what_is_still_refused_when_the_attempts_run_out_is_reported() -> None:
    memory = MemoryStream()
    # a1 at every offer: b1 is offered once, second, beside it; then a1 alone, again and again.
    stream = ThrottledStream(memory, refuse=set(range(100)) - {1})
    records = [outgoing("a", "a1", 0), outgoing("a", "a2", 1), outgoing("b", "b1", 2)]
    assert publish(stream, records, NO_WAIT) == [0, 1]
    assert memory.records == [("b", b"b1")]
    assert len(stream.calls) == NO_WAIT.max_attempts


def test_calls_respect_the_record_count_and_byte_limits() -> None:
    stream = ThrottledStream(MemoryStream())
    many = [outgoing(f"k{n}", "x", n) for n in range(MAX_RECORDS_PER_CALL + 1)]
    publish(stream, many, NO_WAIT)
    assert [len(call) for call in stream.calls] == [MAX_RECORDS_PER_CALL, 1]

    stream = ThrottledStream(MemoryStream())
    big = [Outgoing(n, f"k{n}", b"x" * 1_000_000) for n in range(6)]
    publish(stream, big, NO_WAIT)
    assert [len(call) for call in stream.calls] == [5, 1]
