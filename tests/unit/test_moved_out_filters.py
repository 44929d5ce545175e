"""The filters of outcomes that moved out of a user-list item: never a miss (an outcome that moved
out is always looked up), rarely a needless lookup while they have room, bounded in size however
hot the list, and forgetting only what left the window."""

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.adapters.dynamodb import moved_out
from shared.adapters.dynamodb.outcomes import DIGEST_BYTES

HOUR = 3_600_000


def digest(n: int) -> bytes:
    return hashlib.sha256(str(n).encode()).digest()[:DIGEST_BYTES]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=3000, unique=True), st.integers(1, 40))
def test_every_outcome_that_moved_out_is_held_whatever_came_after_it(ids: list[int], writes: int) -> None:
    filters: moved_out.MovedOut = ()
    per_write = max(1, len(ids) // writes)
    for start in range(0, len(ids), per_write):
        chunk = [(digest(n), 1_000 + start) for n in ids[start : start + per_write]]
        filters = moved_out.moving_out(filters, chunk, 0)
    assert all(moved_out.may_have_moved_out(filters, digest(n)) for n in ids)
    assert moved_out.unpack(moved_out.pack(filters)) == filters
    assert len(moved_out.pack(filters)) == moved_out.packed_size(filters)


def test_while_the_filters_have_room_few_ids_that_never_moved_out_are_looked_up() -> None:
    filters = moved_out.moving_out((), [(digest(n), 1) for n in range(500)], 0)
    needless = sum(moved_out.may_have_moved_out(filters, digest(-n - 1)) for n in range(20_000))
    assert needless / 20_000 < 0.03


def test_a_few_outcomes_cost_a_few_bytes_and_a_hot_list_no_more_than_its_budget() -> None:
    few = moved_out.moving_out((), [(digest(n), 1) for n in range(3)], 0)
    assert [len(generation.bits) for generation in few] == [moved_out.FIRST_BYTES]
    for changes in (1, 10, 1000, 10**6):
        limit = moved_out.budget(changes)
        hot = moved_out.moving_out((), [(digest(n), 1) for n in range(100_000)], 0, limit)
        assert sum(len(generation.bits) for generation in hot) <= limit <= moved_out.MAX_BYTES
        # Past its budget it saturates: lookups get more frequent, never wrong.
        assert all(moved_out.may_have_moved_out(hot, digest(n)) for n in range(0, 100_000, 97))
    assert moved_out.budget(1) == moved_out.MIN_BYTES and moved_out.budget(10**6) == moved_out.MAX_BYTES


def test_a_generation_is_dropped_once_its_newest_outcome_left_the_window() -> None:
    filters: moved_out.MovedOut = ()
    for hour in range(30):
        filters = moved_out.moving_out(
            filters, [(digest(hour * 1000 + n), hour * HOUR) for n in range(40)], 0
        )
    kept = moved_out.moving_out(filters, [], 20 * HOUR)
    assert kept and all(generation.newest >= 20 * HOUR for generation in kept)
    assert all(moved_out.may_have_moved_out(kept, digest(29_000 + n)) for n in range(40))
    assert moved_out.moving_out(filters, [], 31 * HOUR) == ()
