"""The list store contract, held by both stores: the in-memory one the unit tests use and the
DynamoDB one on moto. The same tests run against each, so the fake cannot drift."""

from collections.abc import Iterator
from decimal import Decimal

import pytest

from shared.adapters.dynamodb import DynamoListStore
from shared.lists.aggregate import Aggregate
from shared.lists.coalesce import Slot, TitleState, Write
from shared.lists.dedup import Remembered
from shared.lists.memory import MemoryListStore
from shared.lists.store import ListStore, StoredList
from shared.lists.user_list import UserList
from tests.support.aws import Deployed

NAMES = ["pad", "pad ", "Pad", "é", "e\u0301", "a/b#c%d", "🎬", "x|U#y"]


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[ListStore]:
    if request.param == "memory":
        yield MemoryListStore()
        return
    deployed: Deployed = request.getfixturevalue("deployed")
    yield DynamoListStore(deployed.aws.client("dynamodb"), deployed.table_name)


def tally(title: str, user: str, xp: int) -> UserList:
    return UserList(title, user, "tally", {"xp": Decimal(xp)}, 1_700_000_000_000)


def aggregate_of(*lists: UserList) -> Aggregate:
    sums: dict[str, Decimal] = {}
    for user_list in lists:
        for key, value in user_list.entries.items():
            sums[key] = sums.get(key, Decimal(0)) + value
    return Aggregate(
        lists[0].title, "tally", sums, dict.fromkeys(sums, len(lists)), len(lists), 1_700_000_000_000
    )


def first_write(title: str, *users: str) -> Write:
    lists = [tally(title, user, n + 1) for n, user in enumerate(users)]
    return Write(
        title,
        0,
        aggregate_of(*lists),
        {user_list.user: Slot(user_list, (5, "s", 1, "id")) for user_list in lists},
        {(user, f"id-{user}"): Remembered("applied", "", 7) for user in users},
    )


def test_an_unknown_title_loads_empty(store: ListStore) -> None:
    assert store.load({"t": {"u": {"e"}}}) == {"t": TitleState("t")}
    assert store.aggregate("t") is None and store.user_list("t", "u") is None
    assert store.change("t", "u", "e") is None


def test_a_committed_write_loads_back_whole(store: ListStore) -> None:
    write = first_write("t", "ann", "bob")
    result = store.commit({"t": [write]}, 1_800_000_000)
    assert result.committed == {"t": 1} and not result.stale and not result.failed
    (state,) = store.load({"t": {"ann": {"id-ann", "id-bob"}, "bob": {"id-bob"}, "cy": set()}}).values()
    assert state == TitleState(
        "t",
        write.aggregate,
        1,
        write.slots,
        {("ann", "id-ann"): Remembered("applied", "", 7), ("bob", "id-bob"): Remembered("applied", "", 7)},
    )
    assert store.change("t", "ann", "id-ann") == Remembered("applied", "", 7)
    # An id's scope is its user list.
    assert store.change("t", "bob", "id-ann") is None


def test_a_write_planned_from_a_version_that_is_gone_is_refused_and_stores_nothing(store: ListStore) -> None:
    store.commit({"t": [first_write("t", "ann")]}, 0)
    stale = Write("t", 0, None, {"zed": Slot(tally("t", "zed", 9))}, {("zed", "z"): Remembered("applied")})
    result = store.commit({"t": [stale]}, 0)
    assert result.stale == {"t"} and result.committed == {}
    assert store.user_list("t", "zed") is None and store.change("t", "zed", "z") is None


def test_tombstones_are_not_read_as_lists(store: ListStore) -> None:
    store.commit({"t": [first_write("t", "ann")]}, 0)
    (read,) = store.load({"t": {"ann": set()}}).values()
    store.commit({"t": [Write("t", 1, None, {"ann": Slot(None, (9, "", 0, "d"))}, carried=read.carried)]}, 0)
    assert store.aggregate("t") is None and store.user_list("t", "ann") is None
    (state,) = store.load({"t": {"ann": set()}}).values()
    assert state.version == 2 and state.slots["ann"] == Slot(None, (9, "", 0, "d"))
    assert sorted(((s.title, s.user or ""), s.value) for s in store.lists()) == [
        (("t", ""), None),
        (("t", "ann"), None),
    ]


def test_names_that_differ_only_in_spaces_case_or_normalization_are_different_lists(store: ListStore) -> None:
    for title in NAMES:
        store.commit({title: [first_write(title, *NAMES)]}, 0)
    for title in NAMES:
        assert store.aggregate(title) is not None
        for n, user in enumerate(NAMES):
            assert store.user_list(title, user) == tally(title, user, n + 1)
    titles, after = store.titles_page(3, None)
    found = [summary.title for summary in titles]
    while after is not None:
        page, after = store.titles_page(3, after)
        found += [summary.title for summary in page]
    assert found == sorted(NAMES)
    users, after = store.users_page("pad", 100, None)
    assert [summary.user for summary in users] == sorted(NAMES) and after is None


def test_put_remove_and_purge(store: ListStore) -> None:
    # The aggregate and two user lists (their outcomes are kept with them).
    assert store.put([first_write("t", "ann", "bob")], 0) == 3
    store.remove([StoredList("t", "bob", None)])
    assert store.user_list("t", "bob") is None and store.user_list("t", "ann") is not None
    # What was decided for bob's list outlives it, in a tombstone.
    assert store.change("t", "bob", "id-bob") == Remembered("applied", "", 7)
    assert store.purge() == 3
    assert list(store.lists()) == [] and store.change("t", "ann", "id-ann") is None


# -- each method at its edges --------------------------------------------------------------------

ODD_NAMES = ["a", "a ", "a#", "a/", "a|U#b", "A", "b", "\u00e9", "e\u0301", "\uffff", "🎬"]
"""Prefixes of one another, a key separator, case, composed and decomposed, the last character of
the Basic Multilingual Plane and one past it: in the order Python gives them, which the pages keep."""


def titles_in_pages(store: ListStore, limit: int, after: str | None = None) -> list[list[str]]:
    pages: list[list[str]] = []
    while True:
        page, after = store.titles_page(limit, after)
        pages.append([summary.title for summary in page])
        if after is None:
            return pages


def users_in_pages(store: ListStore, title: str, limit: int, after: str | None = None) -> list[list[str]]:
    pages: list[list[str]] = []
    while True:
        page, after = store.users_page(title, limit, after)
        pages.append([summary.user for summary in page])
        if after is None:
            return pages


def test_an_empty_store_has_empty_pages(store: ListStore) -> None:
    assert store.titles_page(10, None) == ([], None)
    assert store.users_page("t", 10, None) == ([], None)
    assert store.titles_page(10, "t") == ([], None)
    assert list(store.lists()) == [] and store.purge() == 0


def test_pages_of_names_that_sort_oddly_come_one_at_a_time_in_order(store: ListStore) -> None:
    for title in ODD_NAMES:
        store.commit({title: [first_write(title, *ODD_NAMES)]}, 0)
    assert titles_in_pages(store, 1) == [[name] for name in sorted(ODD_NAMES)]
    assert users_in_pages(store, "a", 1) == [[name] for name in sorted(ODD_NAMES)]
    summary = store.titles_page(1, None)[0][0]
    assert (summary.title, summary.type, summary.users, summary.updated_at) == (
        "A",
        "tally",
        len(ODD_NAMES),
        1_700_000_000_000,
    )
    (user,) = store.users_page("a", 1, "a ")[0]
    assert (user.title, user.user, user.type, user.updated_at) == ("a", "a#", "tally", 1_700_000_000_000)


def test_a_page_as_long_as_what_is_left_is_the_last(store: ListStore) -> None:
    for title in ("a", "b", "c"):
        store.commit({title: [first_write(title, "u1", "u2", "u3")]}, 0)
    assert titles_in_pages(store, 3) == [["a", "b", "c"]]
    assert titles_in_pages(store, 2) == [["a", "b"], ["c"]]
    assert titles_in_pages(store, 1, after="b") == [["c"]]
    assert users_in_pages(store, "a", 3) == [["u1", "u2", "u3"]]
    assert users_in_pages(store, "a", 2) == [["u1", "u2"], ["u3"]]


def test_a_page_after_a_name_that_does_not_exist_starts_at_the_next_one(store: ListStore) -> None:
    for title in ("a", "b", "c"):
        store.commit({title: [first_write(title, "u1", "u3")]}, 0)
    assert titles_in_pages(store, 10, after="a ") == [["b", "c"]]
    assert titles_in_pages(store, 10, after="0") == [["a", "b", "c"]]
    assert titles_in_pages(store, 10, after="c ") == [[]]
    assert users_in_pages(store, "a", 10, after="u2") == [["u3"]]
    assert users_in_pages(store, "a", 10, after="u3") == [[]]
    assert users_in_pages(store, "nowhere", 10, after="u1") == [[]]


def test_pages_pass_over_tombstones(store: ListStore) -> None:
    for title in ("a", "b", "c", "d"):
        store.commit({title: [first_write(title, "u1", "u2", "u3", "u4")]}, 0)
    # Title b loses its last users (its aggregate becomes a tombstone); u2 leaves title a.
    gone = {user: Slot(None, (9, "", 0, "d")) for user in ("u1", "u2", "u3", "u4")}
    # As the listener's writes do, each carries what the load read of its user lists.
    read = store.load({"b": {user: set() for user in gone}, "a": {"u2": set()}})
    store.commit({"b": [Write("b", 1, None, gone, carried=read["b"].carried)]}, 0)
    left = aggregate_of(tally("a", "u1", 1))
    store.commit({"a": [Write("a", 1, left, {"u2": gone["u2"]}, carried=read["a"].carried)]}, 0)
    assert titles_in_pages(store, 2) == [["a", "c"], ["d"]]
    assert titles_in_pages(store, 1, after="b") == [["c"], ["d"]]
    assert users_in_pages(store, "a", 2) == [["u1", "u3"], ["u4"]]
    assert users_in_pages(store, "a", 3) == [["u1", "u3", "u4"]]
    assert users_in_pages(store, "b", 10) == [[]]
    # The tombstones are still there for the listener: versions count on, deletes keep fencing.
    state = store.load({"b": {"u1": set()}, "a": {"u2": set()}})
    assert (state["b"].version, state["b"].slots["u1"]) == (2, gone["u1"])
    assert (state["a"].version, state["a"].slots["u2"]) == (2, gone["u2"])


def test_in_a_commit_of_several_titles_the_stale_one_stores_nothing_and_the_others_commit(
    store: ListStore,
) -> None:
    store.commit({"moved on": [first_write("moved on", "ann")]}, 0)
    stale = Write("moved on", 0, None, {"zed": Slot(tally("moved on", "zed", 9))})
    result = store.commit(
        {"a": [first_write("a", "ann")], "moved on": [stale], "z": [first_write("z", "bob")]}, 0
    )
    assert result.committed == {"a": 1, "z": 1} and result.stale == {"moved on"}
    assert not result.failed and not result.refused
    assert store.user_list("moved on", "zed") is None and store.user_list("moved on", "ann") is not None
    assert store.user_list("a", "ann") is not None and store.user_list("z", "bob") is not None


def test_a_title_s_writes_are_stored_in_order_until_one_is_stale(store: ListStore) -> None:
    first = first_write("t", "ann")
    second = Write("t", 1, aggregate_of(tally("t", "ann", 2)), {"ann": Slot(tally("t", "ann", 2))})
    result = store.commit({"t": [first, second]}, 0)
    assert result.committed == {"t": 2} and not result.stale
    assert store.user_list("t", "ann") == tally("t", "ann", 2)
    assert store.load({"t": {}})["t"].version == 2

    # A stale write stops its title: the write after it is not tried, even one that would fit.
    stale, fitting = Write("t", 0, None, {}), Write("t", 2, None, {"ann": Slot(None)})
    again = store.commit({"t": [second, stale, fitting]}, 0)
    assert again.committed == {} and again.stale == {"t"}
    assert store.user_list("t", "ann") == tally("t", "ann", 2)

    # Stored up to the stale one: the first write commits, the one planned from its version too.
    read = store.load({"t": {"ann": set()}})["t"]
    third = Write(
        "t", 2, aggregate_of(tally("t", "ann", 3)), {"ann": Slot(tally("t", "ann", 3))}, carried=read.carried
    )
    after = store.commit({"t": [third, Write("t", 2, None, {})]}, 0)
    assert after.committed == {"t": 1} and after.stale == {"t"}
    assert store.user_list("t", "ann") == tally("t", "ann", 3)


def test_put_stores_whatever_the_version_and_keeps_what_was_decided(store: ListStore) -> None:
    store.commit({"t": [first_write("t", "ann")]}, 0)
    store.commit({"t": [Write("t", 1, aggregate_of(tally("t", "ann", 5)), {})]}, 0)
    # A rebuild's write, planned from nothing: stored over version 2 all the same.
    rebuilt = tally("t", "ann", 4)
    assert store.put([Write("t", 0, aggregate_of(rebuilt), {"ann": Slot(rebuilt)})], 0) == 2
    assert store.user_list("t", "ann") == rebuilt and store.aggregate("t") == aggregate_of(rebuilt)
    assert store.load({"t": {}})["t"].version == 1
    # The outcome remembered before the put is still there.
    assert store.change("t", "ann", "id-ann") == Remembered("applied", "", 7)
    assert store.put([], 0) == 0


def test_remove_takes_lists_out_and_purge_everything(store: ListStore) -> None:
    store.put([first_write("t", "ann", "bob"), first_write("u", "cy")], 0)
    plain = Write("t", 1, None, {"dee": Slot(tally("t", "dee", 1))})
    store.put([plain], 0)
    # The aggregate goes; dee's list, with no outcome remembered, goes without a trace; a list
    # that was never there is no error.
    store.remove([StoredList("t", None, None), StoredList("t", "dee", None), StoredList("t", "nobody", None)])
    assert store.aggregate("t") is None and store.user_list("t", "dee") is None
    assert store.titles_page(10, None)[0][0].title == "u"
    assert sorted((s.title, s.user or "") for s in store.lists()) == [
        ("t", "ann"),
        ("t", "bob"),
        ("u", ""),
        ("u", "cy"),
    ]
    store.remove([])
    assert store.purge() == 4
    assert list(store.lists()) == [] and store.titles_page(10, None) == ([], None)
    assert store.load({"t": {"ann": {"id-ann"}}}) == {"t": TitleState("t")}
