"""Coalescing a batch: the fold, duplicates, rejections, supersession and the writes it plans."""

from decimal import Decimal

from shared.lists.changes import Change, Delete, Submit, fingerprint, order_key
from shared.lists.coalesce import MAX_BYTES_PER_WRITE, Slot, TitlePlan, TitleState, plan_title
from shared.lists.dedup import MAX_REMEMBERED_REASON_CHARS, Remembered

NOW = 1_700_000_000_000


def tally(event_id: str, user: str, xp: int | str, title: str = "stats", at: int = 1) -> Submit:
    return Submit(event_id, title, user, "tally", {"xp": Decimal(xp)}, at)


def rank(event_id: str, user: str, entries: dict[str, int], title: str = "movies", at: int = 1) -> Submit:
    return Submit(event_id, title, user, "rank", {k: Decimal(v) for k, v in entries.items()}, at)


def plan(
    changes: list[Change],
    state: TitleState | None = None,
    per_write: int = 99,
    bytes_per_write: int = MAX_BYTES_PER_WRITE,
) -> TitlePlan:
    return plan_title(state or TitleState(changes[0].title), changes, NOW, per_write, bytes_per_write)


def statuses(result: TitlePlan) -> list[str]:
    return [outcome.status for outcome in result.outcomes]


def test_a_batch_of_one_title_is_one_write_with_each_user_list_and_change_once() -> None:
    result = plan([tally("1", "bill", 1), tally("2", "beth", 2), tally("3", "bill", 3)])
    assert len(result.writes) == 1
    write = result.writes[0]
    assert write.expected_version == 0 and write.version == 1
    assert write.slots["bill"].user_list.entries == {"xp": Decimal(4)}  # type: ignore[union-attr]
    assert write.aggregate is not None
    assert write.aggregate.sums == {"xp": Decimal(6)} and write.aggregate.users == 2
    changes = {("bill", "1"): tally("1", "bill", 1), ("beth", "2"): tally("2", "beth", 2)}
    changes[("bill", "3")] = tally("3", "bill", 3)
    assert write.decided == {
        ref: Remembered("applied", "", NOW, fingerprint(change)) for ref, change in changes.items()
    }
    assert statuses(result) == ["applied"] * 3
    assert [(o.version, o.position) for o in result.outcomes] == [(1, 0), (1, 1), (1, 2)]


def test_an_id_already_decided_for_the_list_is_a_duplicate_with_its_first_outcome() -> None:
    first = Remembered("applied", "", NOW - 1000)
    state = TitleState("stats", known={("bill", "1"): first})
    result = plan([tally("1", "bill", 5), tally("2", "bill", 7)], state)
    assert statuses(result) == ["duplicate", "applied"]
    assert result.outcomes[0].first == first
    assert result.writes[0].slots["bill"].user_list.entries == {"xp": Decimal(7)}  # type: ignore[union-attr]
    assert ("bill", "1") not in result.writes[0].decided


def test_the_same_id_for_another_user_list_is_another_change() -> None:
    state = TitleState("stats", known={("alice", "K1"): Remembered("applied", "", NOW)})
    result = plan([tally("K1", "bob", 5)], state)
    assert statuses(result) == ["applied"]
    assert set(result.writes[0].decided) == {("bob", "K1")}


def test_the_same_id_twice_in_one_batch_applies_once() -> None:
    result = plan([tally("1", "bill", 5), tally("1", "bill", 5)])
    assert statuses(result) == ["applied", "duplicate"]


def test_a_submission_of_the_other_type_is_rejected_and_the_rest_goes_on() -> None:
    changes: list[Change] = [
        rank("1", "mike", {"a": 1}, "mixed"),
        Submit("2", "mixed", "bill", "tally", {"a": Decimal(1)}, 1),
        rank("3", "bill", {"a": 2}, "mixed"),
    ]
    result = plan(changes)
    assert statuses(result) == ["applied", "rejected", "applied"]
    assert "type conflict" in result.outcomes[1].reason
    assert result.writes[0].decided[("bill", "2")].status == "rejected"


def test_once_every_user_is_deleted_the_title_may_change_type() -> None:
    changes: list[Change] = [
        rank("1", "mike", {"a": 1}, "t", at=1),
        Delete("2", "t", "mike", 5),
        Submit("3", "t", "bill", "tally", {"a": Decimal(1)}, 6),
    ]
    result = plan(changes)
    assert statuses(result) == ["applied"] * 3
    write = result.writes[0]
    assert write.aggregate is not None and write.aggregate.type == "tally" and write.aggregate.users == 1
    assert write.slots["mike"].user_list is None


def test_deleting_an_unknown_list_fences_off_older_changes() -> None:
    result = plan([Delete("d1", "t", "ghost", 5)])
    write = result.writes[0]
    assert write.slots["ghost"] == Slot(None, (5, "", 0, "d1"))
    assert write.aggregate is None
    later = plan([rank("r1", "ghost", {"a": 1}, "t", at=4)], TitleState("t", None, 1, write.slots))
    assert statuses(later) == ["superseded"]
    # The fence holds, unchanged; its item is stored again to keep the outcome.
    assert later.writes[0].slots == {"ghost": write.slots["ghost"]}
    assert later.writes[0].decided[("ghost", "r1")].status == "superseded"


def test_rank_submissions_are_last_writer_wins_by_effective_time() -> None:
    newer, older = rank("n", "mike", {"a": 1}, at=20), rank("o", "mike", {"b": 1}, at=10)
    result = plan([newer, older])
    assert statuses(result) == ["applied", "superseded"]
    write = result.writes[0]
    assert write.slots["mike"].user_list.entries == {"a": Decimal(1)}  # type: ignore[union-attr]
    assert write.slots["mike"].fence == order_key(newer)


def test_ties_in_time_are_broken_by_shard_then_sequence_number_as_an_integer_then_id() -> None:
    at_9 = Submit("x", "movies", "mike", "rank", {"a": Decimal(1)}, 10, "shardId-1", 9)
    at_10 = Submit("y", "movies", "mike", "rank", {"b": Decimal(1)}, 10, "shardId-1", 10)
    # As strings "9" > "10": the sequence number must compare as a number.
    assert statuses(plan([at_10, at_9])) == ["applied", "superseded"]
    assert statuses(plan([at_9, at_10])) == ["applied", "applied"]
    same_place_a = Submit("a", "movies", "mike", "rank", {"a": Decimal(1)}, 10, "s", 1)
    same_place_b = Submit("b", "movies", "mike", "rank", {"b": Decimal(1)}, 10, "s", 1)
    assert statuses(plan([same_place_b, same_place_a])) == ["applied", "superseded"]


def test_a_delete_of_a_rank_list_older_than_its_ranking_is_superseded() -> None:
    result = plan([rank("r", "mike", {"a": 1}, at=20), Delete("d", "movies", "mike", 10)])
    assert statuses(result) == ["applied", "superseded"]
    assert result.writes[0].slots["mike"].user_list is not None


def test_a_delete_applies_to_a_tally_list_as_it_stands_and_older_additions_do_not_resurrect_it() -> None:
    result = plan(
        [tally("1", "bill", 5, at=20), Delete("d", "stats", "bill", 10), tally("2", "bill", 3, at=5)]
    )
    assert statuses(result) == ["applied", "applied", "superseded"]
    write = result.writes[0]
    assert write.slots["bill"].user_list is None and write.aggregate is None
    # A later addition (after the delete's time) starts the list again.
    again = plan([tally("3", "bill", 2, at=11)], TitleState("stats", None, 1, write.slots))
    assert statuses(again) == ["applied"]


def test_tally_additions_commute_whatever_their_times() -> None:
    result = plan([tally("1", "bill", 5, at=20), tally("2", "bill", 3, at=5)])
    assert statuses(result) == ["applied", "applied"]
    assert result.writes[0].slots["bill"].user_list.entries == {"xp": Decimal(8)}  # type: ignore[union-attr]


def test_many_changes_split_into_writes_of_bounded_items_with_chained_versions() -> None:
    changes: list[Change] = [tally(str(i), f"user{i}", 1) for i in range(9)]
    # Each change is a user list (its outcome is kept in the user list's item): four fill a write
    # of 4.
    result = plan(changes, TitleState("stats", version=7), per_write=4)
    writes = result.writes
    assert [(w.expected_version, len(w.slots), len(w.decided)) for w in writes] == [
        (7, 4, 4),
        (8, 4, 4),
        (9, 1, 1),
    ]
    assert [w.aggregate.users for w in writes if w.aggregate] == [4, 8, 9]
    assert [(o.version, o.position) for o in result.outcomes] == [
        *((8, n) for n in range(4)),
        *((9, n) for n in range(4)),
        (10, 0),
    ]


def test_outcomes_of_one_user_list_are_no_items_of_their_own() -> None:
    changes: list[Change] = [tally(str(i), "bill", 1) for i in range(500)]
    result = plan(changes, per_write=4)
    assert [(len(w.slots), len(w.decided)) for w in result.writes] == [(1, 500)]


def test_writes_are_split_by_bytes_as_well_as_by_items() -> None:
    big = {f"key-{n:04d}-" + "x" * 100: Decimal(n) for n in range(100)}
    changes: list[Change] = [Submit(str(i), "t", f"user{i}", "tally", big, 1) for i in range(4)]
    one_list = plan(changes[:1]).writes[0]
    assert len(plan(changes).writes) == 1
    # A budget that holds the aggregate and about one user list forces one write per change.
    result = plan(changes, bytes_per_write=45_000)
    assert len(result.writes) == 4 and all(len(w.slots) == 1 for w in result.writes)
    assert one_list.slots["user0"].user_list is not None


def test_what_the_store_holds_beside_each_list_counts_toward_a_writes_bytes() -> None:
    # 99 small lists fit one write; each carrying 64 KB of the store's own (the filters of its
    # moved-out outcomes), they take 6 MB and must be split under the write's budget.
    changes: list[Change] = [tally(str(n), f"user{n}", 1) for n in range(99)]
    assert len(plan(changes).writes) == 1
    held = {f"user{n}": 64 * 1024 for n in range(99)}
    writes = plan(changes, TitleState("stats", held=held)).writes
    assert len(writes) == 2 and sum(len(write.slots) for write in writes) == 99
    assert all(len(write.slots) * 64 * 1024 < MAX_BYTES_PER_WRITE for write in writes)


def test_a_number_that_cannot_be_stored_exactly_rejects_only_its_record() -> None:
    result = plan([tally("1", "bill", "1E+30"), tally("2", "bill", "0.0000000001"), tally("3", "beth", 1)])
    assert statuses(result) == ["applied", "rejected", "applied"]


def test_a_rejection_is_final_even_after_the_list_changed() -> None:
    conflicting = Submit("2", "t", "bill", "tally", {"a": Decimal(1)}, 2)
    first = plan([rank("1", "mike", {"a": 1}, "t"), conflicting, Delete("3", "t", "mike", 3)])
    assert statuses(first) == ["applied", "rejected", "applied"]
    after = first.writes[-1]
    assert after.aggregate is None  # nobody left: a tally would now be accepted...
    state = TitleState("t", None, after.version, after.slots, after.decided)
    again = plan([conflicting], state)
    # ...but the record delivered again is the same record, and it was rejected.
    assert [(o.status, o.reason) for o in again.outcomes] == [("duplicate", first.outcomes[1].reason)]
    assert again.outcomes[0].first is not None and again.outcomes[0].first.status == "rejected"
    assert again.writes == []


def test_a_reason_is_remembered_within_a_bounded_length() -> None:
    long_title = "t" * 128
    changes: list[Change] = [
        rank("1", "mike", {"a": 1}, long_title),
        Submit("2", long_title, "bill", "tally", {"a": Decimal(1)}, 2),
    ]
    remembered = plan(changes).writes[0].decided[("bill", "2")]
    assert remembered.status == "rejected" and 0 < len(remembered.reason) <= MAX_REMEMBERED_REASON_CHARS


def test_a_fingerprint_tells_contents_apart_by_value_not_by_spelling() -> None:
    same = fingerprint(Submit("a", "t", "u", "tally", {"x": Decimal("1.50"), "y": Decimal(2)}, 1))
    assert same == fingerprint(Submit("b", "t", "u", "tally", {"y": Decimal("2.0"), "x": Decimal("1.5")}, 9))
    assert same != fingerprint(Submit("a", "t", "u", "tally", {"x": Decimal("1.51"), "y": Decimal(2)}, 1))
    assert same != fingerprint(Submit("a", "t", "u", "rank", {"x": Decimal("1.50"), "y": Decimal(2)}, 1))
    assert fingerprint(Delete("a", "t", "u", 1)) == fingerprint(Delete("b", "t", "v", 2))
