"""The list arithmetic: tally, rank, aggregate and ranking, on plain data."""

from decimal import Decimal

import pytest

from shared.lists.aggregate import Aggregate, join, leave, ranking, swap
from shared.lists.numbers import NumberOutOfRange, add, plain, storable
from shared.lists.user_list import Rejected, UserList, submit, tally

D = Decimal


def test_tally_adds_exactly_and_new_keys_start_at_zero() -> None:
    assert tally({"xp": D("0.1")}, {"xp": D("0.2"), "gold": D(5)}) == {"xp": D("0.3"), "gold": D(5)}


def test_tally_negative_values_decrement() -> None:
    assert tally({"xp": D(10)}, {"xp": D(-15)}) == {"xp": D(-5)}


def test_rank_submission_replaces_the_whole_ranking() -> None:
    first = submit(None, "movies", "mike", "rank", {"a": D(1), "b": D(2)}, 10)
    second = submit(first, "movies", "mike", "rank", {"c": D(1)}, 20)
    assert second.entries == {"c": D(1)}
    assert second.updated_at == 20


def test_updated_at_never_goes_back() -> None:
    first = submit(None, "stats", "bill", "tally", {"xp": D(1)}, 20)
    assert submit(first, "stats", "bill", "tally", {"xp": D(1)}, 10).updated_at == 20


def test_a_list_may_not_pass_a_thousand_keys() -> None:
    full = submit(None, "t", "u", "tally", {f"k{i}": D(1) for i in range(1000)}, 1)
    with pytest.raises(Rejected, match="1001 keys"):
        submit(full, "t", "u", "tally", {"one more": D(1)}, 2)


def test_a_list_may_not_pass_its_size_in_bytes() -> None:
    long_keys = {("🎬" * 127) + str(i % 10) + str(i): D(1) for i in range(400)}
    with pytest.raises(Rejected, match="bytes"):
        submit(None, "t", "u", "tally", long_keys, 1)


def test_sums_that_do_not_fit_38_digits_are_refused() -> None:
    with pytest.raises(NumberOutOfRange):
        add(D("1E+30"), D("1E-10"))
    with pytest.raises(NumberOutOfRange):
        storable(D("1E+126"))
    assert storable(D("-0")) == 0


def test_plain_numbers_are_integers_where_integral() -> None:
    assert plain(D("108.0")) == 108 and isinstance(plain(D("108.0")), int)
    assert str(plain(D("108.50"))) == "108.5"


def user(name: str, entries: dict[str, int], when: int = 1, kind: str = "rank") -> UserList:
    return UserList("movies", name, kind, {key: D(value) for key, value in entries.items()}, when)  # type: ignore[arg-type]


def test_worked_example_ranking() -> None:
    rdlysct = user("rdlysct", {"blade runner": 2, "the empire strikes back": 3, "alien": 1})
    mike = user("mike", {"blade runner": 1, "the empire strikes back": 2, "alien": 3})
    aggregate = join(join(None, rdlysct), mike)
    assert aggregate.sums == {"blade runner": 3, "the empire strikes back": 5, "alien": 4}
    assert aggregate.counts == {"blade runner": 2, "the empire strikes back": 2, "alien": 2}
    assert aggregate.users == 2
    assert ranking(aggregate.sums, aggregate.counts) == ["blade runner", "alien", "the empire strikes back"]

    reranked = swap(aggregate, mike, user("mike", {"alien": 1, "blade runner": 2}))
    assert reranked.sums == {"alien": 2, "blade runner": 4, "the empire strikes back": 3}
    assert reranked.counts == {"alien": 2, "blade runner": 2, "the empire strikes back": 1}
    assert ranking(reranked.sums, reranked.counts) == ["alien", "blade runner", "the empire strikes back"]


def test_ranking_ties_go_to_more_users_then_to_the_key() -> None:
    sums = {"b": D(2), "a": D(1), "c": D(2), "d": D(2)}
    counts = {"b": 2, "a": 1, "c": 1, "d": 1}
    # means: b 1 (2 users), a 1 (1 user), c 2, d 2
    assert ranking(sums, counts) == ["b", "a", "c", "d"]


def test_leaving_takes_the_contribution_out_and_drops_keys_no_user_holds() -> None:
    rdlysct = user("rdlysct", {"a": 1, "b": 2})
    mike = user("mike", {"a": 2, "c": 1})
    aggregate = leave(join(join(None, rdlysct), mike), mike, 99)
    assert aggregate == Aggregate("movies", "rank", {"a": D(1), "b": D(2)}, {"a": 1, "b": 1}, 1, 99)


def test_the_last_user_leaving_leaves_no_aggregate() -> None:
    only = user("only", {"a": 1})
    assert leave(join(None, only), only, 5) is None


THIRTY_EIGHT_DIGITS = D("1.234567890123456789012345678901234567")
"""More digits than Python's default decimal context keeps (28): taking it out must not round it."""


def test_leaving_takes_out_a_38_digit_value_exactly() -> None:
    mike = submit(None, "stats", "mike", "tally", {"xp": THIRTY_EIGHT_DIGITS}, 1)
    bill = submit(None, "stats", "bill", "tally", {"xp": THIRTY_EIGHT_DIGITS}, 2)
    both = join(join(None, mike), bill)
    after = leave(both, mike, 3)
    assert after is not None and after.sums == {"xp": THIRTY_EIGHT_DIGITS}


def test_a_users_next_tally_takes_out_their_old_38_digit_contribution_exactly() -> None:
    mike = submit(None, "stats", "mike", "tally", {"xp": THIRTY_EIGHT_DIGITS}, 1)
    again = submit(mike, "stats", "mike", "tally", {"xp": D(1)}, 2)
    assert swap(join(None, mike), mike, again).sums == {"xp": D("2.234567890123456789012345678901234567")}
