"""Coalescing a batch: the fold, duplicates, rejections and the writes it plans."""

from decimal import Decimal

from shared.lists.changes import Change, Delete, Submit
from shared.lists.coalesce import Slot, TitlePlan, TitleState, plan_title
from shared.lists.dedup import DedupSettings, SeenWindow, remember

DEDUP = DedupSettings()
NOW = 1_700_000_000_000


def tally(event_id: str, user: str, xp: int | str, title: str = "stats") -> Submit:
    return Submit(event_id, title, user, "tally", {"xp": Decimal(xp)}, 1)


def rank(event_id: str, user: str, entries: dict[str, int], title: str = "movies") -> Submit:
    return Submit(event_id, title, user, "rank", {k: Decimal(v) for k, v in entries.items()}, 1)


def plan(changes: list[Change], state: TitleState | None = None, per_write: int = 99) -> TitlePlan:
    return plan_title(state or TitleState(changes[0].title), changes, NOW, DEDUP, per_write)


def test_a_batch_of_one_title_is_one_write_with_each_user_list_once() -> None:
    result = plan([tally("1", "bill", 1), tally("2", "beth", 2), tally("3", "bill", 3)])
    assert len(result.writes) == 1
    write = result.writes[0]
    assert write.expected_version == 0 and write.version == 1
    assert write.slots["bill"].user_list.entries == {"xp": Decimal(4)}
    assert write.aggregate.sums == {"xp": Decimal(6)} and write.aggregate.users == 2
    assert [o.status for o in result.outcomes] == ["applied"] * 3
    assert [(o.version, o.position) for o in result.outcomes] == [(1, 0), (1, 1), (1, 2)]


def test_an_id_already_applied_to_the_list_is_a_duplicate() -> None:
    seen = remember(SeenWindow(), "1", NOW - 1000)
    state = TitleState("stats", slots={"bill": Slot(None, seen)})
    result = plan([tally("1", "bill", 5), tally("2", "bill", 7)], state)
    assert [o.status for o in result.outcomes] == ["duplicate", "applied"]
    assert result.writes[0].slots["bill"].user_list.entries == {"xp": Decimal(7)}


def test_the_same_id_twice_in_one_batch_applies_once() -> None:
    result = plan([tally("1", "bill", 5), tally("1", "bill", 5)])
    assert [o.status for o in result.outcomes] == ["applied", "duplicate"]


def test_a_submission_of_the_other_type_is_rejected_and_the_rest_goes_on() -> None:
    changes: list[Change] = [
        rank("1", "mike", {"a": 1}, "mixed"),
        Submit("2", "mixed", "bill", "tally", {"a": Decimal(1)}, 1),
        rank("3", "bill", {"a": 2}, "mixed"),
    ]
    result = plan(changes)
    statuses = [o.status for o in result.outcomes]
    assert statuses == ["applied", "rejected", "applied"]
    assert "type conflict" in result.outcomes[1].reason


def test_once_every_user_is_deleted_the_title_may_change_type() -> None:
    changes: list[Change] = [
        rank("1", "mike", {"a": 1}, "t"),
        Delete("2", "t", "mike", 5),
        Submit("3", "t", "bill", "tally", {"a": Decimal(1)}, 6),
    ]
    result = plan(changes)
    assert [o.status for o in result.outcomes] == ["applied"] * 3
    write = result.writes[0]
    assert write.aggregate.type == "tally" and write.aggregate.users == 1
    assert write.slots["mike"].user_list is None


def test_deleting_an_unknown_list_is_remembered_so_a_replay_cannot_delete_later() -> None:
    result = plan([Delete("d1", "t", "ghost", 5)])
    write = result.writes[0]
    assert write.slots["ghost"].user_list is None and "d1" in write.slots["ghost"].seen
    assert write.aggregate is None


def test_many_users_split_into_writes_of_bounded_size_with_chained_versions() -> None:
    changes: list[Change] = [tally(str(i), f"user{i}", 1) for i in range(5)]
    result = plan(changes, TitleState("stats", version=7), per_write=2)
    writes = result.writes
    assert [(w.expected_version, len(w.slots)) for w in writes] == [(7, 2), (8, 2), (9, 1)]
    assert [w.aggregate.users for w in writes] == [2, 4, 5]
    assert [(o.version, o.position) for o in result.outcomes] == [(8, 0), (8, 1), (9, 0), (9, 1), (10, 0)]


def test_a_number_that_cannot_be_stored_exactly_rejects_only_its_record() -> None:
    result = plan([tally("1", "bill", "1E+30"), tally("2", "bill", "0.0000000001"), tally("3", "beth", 1)])
    assert [o.status for o in result.outcomes] == ["applied", "rejected", "applied"]


def test_a_rejection_is_final_even_after_the_list_changed() -> None:
    conflicting = Submit("2", "t", "bill", "tally", {"a": Decimal(1)}, 2)
    first = plan([rank("1", "mike", {"a": 1}, "t"), conflicting, Delete("3", "t", "mike", 3)])
    assert [o.status for o in first.outcomes] == ["applied", "rejected", "applied"]
    after = first.writes[-1]
    assert after.aggregate is None  # nobody left: a tally would now be accepted...
    state = TitleState("t", None, after.version, after.slots)
    again = plan([conflicting], state)
    # ...but the record delivered again is the same record, and it was rejected.
    assert [(o.status, o.reason) for o in again.outcomes] == [("rejected", first.outcomes[1].reason)]
    assert again.writes == []
