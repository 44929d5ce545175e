"""moto's Kinesis shard read through listmgr's index of its sequence numbers answers as a walk of
the shard from its first record would (listmgr/endpoint/moto_server.py, `fast_kinesis_shards`)."""

from collections import OrderedDict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from moto.kinesis.models import Shard

from listmgr.endpoint import moto_server, sequence_numbers

sequence_numbers.grow_across_restarts()
moto_server.fast_kinesis_shards()

put = st.tuples(st.just("put"), st.integers(min_value=1, max_value=30))
read = st.tuples(st.just("read"), st.integers(min_value=-1, max_value=40), st.none() | st.integers(1, 25))
replace = st.tuples(st.just("replace"))
steps = st.lists(st.one_of(put, read, replace), max_size=40)


def walked(shard: Any, after: int, limit: int | None) -> tuple[list[Any], int]:
    """What moto's own get_records returns: every record numbered above `after`, oldest first."""
    found = [record for number, record in shard.records.items() if number > after][:limit]
    return found, found[-1].sequence_number if found else after


@settings(max_examples=200, deadline=None)
@given(steps)
def test_reads_and_numbers_match_a_walk_of_the_shard(plan: list[tuple[Any, ...]]) -> None:
    shard = Shard(0, 0, 2**128 - 1)
    for step in plan:
        if step[0] == "put":
            for n in range(step[1]):
                shard.put_record("key", f"data-{n}", "")
        elif step[0] == "replace":
            # What resharding does: the shard's records handed over to a new dict and put again.
            kept, shard.records = shard.records, OrderedDict()
            for record in kept.values():
                shard.put_record(record.partition_key, record.data, record.explicit_hash_key)
        else:
            numbers = list(shard.records)
            position = step[1]
            after = 0 if position < 0 or not numbers else numbers[min(position, len(numbers) - 1)]
            records, last, _behind = shard.get_records(str(after), step[2])
            assert (records, last) == walked(shard, after, step[2])
        numbers = list(shard.records)
        assert numbers == sorted(numbers)
        assert shard.get_max_sequence_number() == (numbers[-1] if numbers else 0)
        assert shard.get_min_sequence_number() == (numbers[0] if numbers else 0)


def test_how_far_behind_is_measured_from_the_newest_record() -> None:
    shard = Shard(0, 0, 2**128 - 1)
    for n in range(3):
        shard.put_record("key", f"data-{n}", "")
    first, second, third = shard.records.values()
    first.created_at, second.created_at, third.created_at = 100.0, 101.5, 104.0
    records, last, behind = shard.get_records("0", 2)
    assert records == [first, second]
    assert last == second.sequence_number
    assert behind == 2500
