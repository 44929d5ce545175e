"""Publishing to Kinesis: order per partition key, limits per call, retries of what failed."""

from collections.abc import Sequence

from shared.stream.publish import MAX_RECORDS_PER_CALL, Outgoing, PublishOptions, publish

NO_WAIT = PublishOptions(max_attempts=4, sleep=lambda _: None)


class RecordingStream:
    """Refuses the records whose data is in `refuse_once` the first time they are offered."""

    def __init__(
        self, refuse_once: set[bytes] | None = None, refuse_always: set[bytes] | None = None
    ) -> None:
        self.calls: list[list[tuple[str, bytes]]] = []
        self.stored: list[tuple[str, bytes]] = []
        self.refuse_once = set(refuse_once or ())
        self.refuse_always = set(refuse_always or ())

    def put_records(self, records: Sequence[tuple[str, bytes]]) -> list[str | None]:
        self.calls.append(list(records))
        errors: list[str | None] = []
        for key, data in records:
            if data in self.refuse_always or data in self.refuse_once:
                self.refuse_once.discard(data)
                errors.append("ProvisionedThroughputExceededException")
            else:
                self.stored.append((key, data))
                errors.append(None)
        return errors


def outgoing(key: str, data: str, ref: int) -> Outgoing:
    return Outgoing(ref, key, data.encode())


def test_records_of_different_keys_share_a_call_and_one_key_goes_one_record_at_a_time() -> None:
    stream = RecordingStream()
    records = [outgoing("a", "a1", 0), outgoing("b", "b1", 1), outgoing("a", "a2", 2), outgoing("a", "a3", 3)]
    assert publish(stream, records, NO_WAIT) == []
    assert [[data for _, data in call] for call in stream.calls] == [[b"a1", b"b1"], [b"a2"], [b"a3"]]


def test_a_refused_record_is_retried_before_the_next_of_its_key() -> None:
    stream = RecordingStream(refuse_once={b"a1"})
    records = [outgoing("a", "a1", 0), outgoing("a", "a2", 1), outgoing("b", "b1", 2)]
    assert publish(stream, records, NO_WAIT) == []
    assert [data for key, data in stream.stored if key == "a"] == [b"a1", b"a2"]


def test_what_is_still_refused_when_the_attempts_run_out_is_reported() -> None:
    stream = RecordingStream(refuse_always={b"a1"})
    records = [outgoing("a", "a1", 0), outgoing("a", "a2", 1), outgoing("b", "b1", 2)]
    assert publish(stream, records, NO_WAIT) == [0, 1]
    assert stream.stored == [("b", b"b1")]
    assert len(stream.calls) == NO_WAIT.max_attempts


def test_calls_respect_the_record_count_and_byte_limits() -> None:
    stream = RecordingStream()
    many = [outgoing(f"k{n}", "x", n) for n in range(MAX_RECORDS_PER_CALL + 1)]
    publish(stream, many, NO_WAIT)
    assert [len(call) for call in stream.calls] == [MAX_RECORDS_PER_CALL, 1]

    stream = RecordingStream()
    big = [Outgoing(n, f"k{n}", b"x" * 1_000_000) for n in range(6)]
    publish(stream, big, NO_WAIT)
    assert [len(call) for call in stream.calls] == [5, 1]
