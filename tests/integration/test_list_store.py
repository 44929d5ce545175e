"""The list store contract, held by both stores: the in-memory one the unit tests use and the
DynamoDB one on moto. The same tests run against each, so the fake cannot drift."""

from collections.abc import Iterator
from decimal import Decimal

import pytest

from shared.lists.aggregate import Aggregate
from shared.lists.coalesce import Slot, TitleState, Write
from shared.lists.dedup import Remembered
from shared.lists.memory import MemoryListStore
from shared.lists.store import ListStore, StoredList
from shared.lists.user_list import UserList
from shared.stream.connectors.dynamodb import DynamoListStore
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
