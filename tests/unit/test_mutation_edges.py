"""The edges mutation testing found untested in the pure core: limits at their exact bounds, the
constants the guarantees rest on, and the byte-exact output byte limits are measured on.

Each test names the mistake it catches; docs/reliability.md lists the mutants left alive."""

from dataclasses import replace
from decimal import Decimal
from types import MappingProxyType

import pytest

from shared.events.codec import NotJson, dumps, loads
from shared.lists.aggregate import Aggregate, join, leave, swap
from shared.lists.changes import Change, Delete, Submit, fingerprint
from shared.lists.coalesce import (
    ITEM_OVERHEAD_BYTES,
    KEPT_OUTCOMES_BYTES,
    MAX_BYTES_PER_WRITE,
    MAX_ITEMS_PER_WRITE,
    MAX_OUTCOME_BYTES_PER_ITEM,
    OUTCOME_BYTES,
    TitleState,
    Write,
    apply,
    plan_title,
)
from shared.lists.dedup import HOUR_MS, MAX_REMEMBERED_REASON_CHARS, DedupSettings, Remembered, remembered
from shared.lists.entities import entity
from shared.lists.limits import MAX_KEYS_PER_LIST, MAX_LIST_BYTES, NUMBER_BYTES, entries_bytes
from shared.lists.numbers import NumberOutOfRange, add, plain, storable
from shared.lists.replay import ArchivedChange, rebuild
from shared.lists.user_list import Rejected, UserList, check_size, submit
from shared.stream.batch import batch_response
from shared.stream.unit_of_work import UnitOfWork

NOW = 1_700_000_000_000


# Numbers: DynamoDB holds 38 significant digits, exponents -130..+125, and nothing else.


@pytest.mark.parametrize(
    "text",
    ["9" * 38, "-" + "9" * 38, "1E+125", "9.9999999999999999999999999999999999999E+125", "1E-130", "0"],
)
def test_the_largest_and_smallest_storable_numbers_are_kept_exactly(text: str) -> None:
    assert storable(Decimal(text)) == Decimal(text)


@pytest.mark.parametrize("text", ["9" * 39, "1E+126", "1E-131", "1.00000000000000000000000000000000000001"])
def test_one_digit_or_one_exponent_past_the_bounds_is_out_of_range(text: str) -> None:
    with pytest.raises(NumberOutOfRange):
        storable(Decimal(text))


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_out_of_range(text: str) -> None:
    with pytest.raises(NumberOutOfRange, match="not a finite number"):
        storable(Decimal(text))


def test_a_zero_of_any_exponent_is_stored_as_a_plain_zero() -> None:
    assert str(storable(Decimal("0E-200"))) == "0"


def test_a_sum_that_needs_a_39th_digit_is_refused_not_rounded() -> None:
    assert add(Decimal("9" * 37), Decimal(1)) == Decimal("1" + "0" * 37)
    with pytest.raises(NumberOutOfRange, match="cannot be stored exactly"):
        add(Decimal("9" * 38), Decimal(1))
    with pytest.raises(NumberOutOfRange):
        add(Decimal("1E-130"), Decimal("1E+10"))


def test_plain_keeps_every_digit_of_a_38_digit_decimal() -> None:
    long = Decimal("1." + "0" * 36 + "1")  # 38 digits: the default 28-digit context would round it
    assert plain(long) == long and isinstance(plain(long), Decimal)
    assert plain(Decimal("108.50")) == Decimal("108.5") and str(plain(Decimal("108.50"))) == "108.5"
    assert plain(Decimal("1E+3")) == 1000 and isinstance(plain(Decimal("1E+3")), int)


# The codec: byte limits count UTF-8 bytes, so output must be raw UTF-8, compact, exact.


def test_dumps_writes_raw_utf8_compactly_with_exact_numbers() -> None:
    text = dumps({"título": "😀 é", "n": Decimal("0.30"), "i": Decimal("108.0"), "l": (1, None, True)})
    assert text == '{"título":"😀 é","n":0.3,"i":108,"l":[1,null,true]}'
    # What a byte limit measures: í and é take two bytes, the emoji four; no \\u escapes.
    assert len(text.encode()) == len(text) + 1 + 3 + 1


def test_loads_reads_numbers_as_decimals_and_refuses_non_finite_constants() -> None:
    assert loads('{"x": 0.1}')["x"] == Decimal("0.1")
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(NotJson, match="not a finite number"):
            loads(f'{{"x": {constant}}}')
    with pytest.raises(NotJson):
        loads(b"\xff")


# Coalescing: one DynamoDB transaction holds at most 100 items and 4 MB.


def test_the_write_limits_leave_room_for_the_aggregate_and_the_keys() -> None:
    assert MAX_ITEMS_PER_WRITE == 100 - 1
    assert MAX_BYTES_PER_WRITE + (MAX_ITEMS_PER_WRITE + 1) * ITEM_OVERHEAD_BYTES <= 4_000_000


def tallies(count: int, user: str = "bill") -> list[Submit]:
    return [Submit(f"e{n}", "stats", user, "tally", {"xp": Decimal(1)}, n) for n in range(count)]


def test_a_write_holds_exactly_the_outcomes_one_item_may_take() -> None:
    # One user: every outcome goes into the one user list's item, until the write's outcomes
    # would pass what one item may take; the next change starts a second write.
    per_item = MAX_OUTCOME_BYTES_PER_ITEM // OUTCOME_BYTES
    one = plan_title(TitleState("stats"), tallies(per_item), NOW)
    assert [(len(write.slots), len(write.decided)) for write in one.writes] == [(1, per_item)]
    two = plan_title(TitleState("stats"), tallies(per_item + 1), NOW)
    assert [len(write.decided) for write in two.writes] == [per_item, 1]
    assert [write.expected_version for write in two.writes] == [0, 1]
    assert [o.version for o in two.outcomes] == [1] * per_item + [2]
    assert [o.position for o in two.outcomes[per_item - 2 :]] == [per_item - 2, per_item - 1, 0]


def test_a_write_is_split_exactly_where_its_bytes_would_pass_the_limit() -> None:
    changes = tallies(3)
    # Each change costs its outcome; its user list's item counts once, as the write leaves it,
    # with room for the outcomes it keeps; the aggregate comes on top, once.
    aggregate = ITEM_OVERHEAD_BYTES + 2 * entries_bytes(1, 2)
    item = ITEM_OVERHEAD_BYTES + KEPT_OUTCOMES_BYTES + entries_bytes(1, 2)
    exactly_two = 2 * OUTCOME_BYTES + item + aggregate
    fits = plan_title(TitleState("stats"), changes[:2], NOW, max_bytes_per_write=exactly_two)
    assert len(fits.writes) == 1
    split = plan_title(TitleState("stats"), changes[:2], NOW, max_bytes_per_write=exactly_two - 1)
    assert len(split.writes) == 2


def test_entries_are_sized_at_the_worst_case_of_a_number() -> None:
    assert NUMBER_BYTES == 21
    assert entries_bytes(0, 0) == 0
    assert entries_bytes(2, 10) == 10 + 2 * (21 + 3)


# Dedup: the window must outlast the stream's retention, and a reason stays bounded.


def test_an_id_is_remembered_longer_than_the_stream_keeps_its_record() -> None:
    settings = DedupSettings()
    assert settings.retention_hours == 24  # Kinesis's default retention
    assert settings.window_hours == 25 and settings.window_hours > settings.retention_hours


def test_a_reason_is_kept_whole_up_to_its_limit_and_cut_with_an_ellipsis_past_it() -> None:
    whole = "r" * MAX_REMEMBERED_REASON_CHARS
    assert remembered("rejected", whole, NOW).reason == whole
    cut = remembered("rejected", whole + "s", NOW, "f").reason
    assert len(cut) == MAX_REMEMBERED_REASON_CHARS and cut == "r" * (MAX_REMEMBERED_REASON_CHARS - 1) + "…"
    kept = remembered("applied", "", NOW, "fp")
    assert (kept.status, kept.decided_at, kept.fingerprint) == ("applied", NOW, "fp")


# The partial batch response: from the first failed record, and only it.


def unit(sequence: str, failed: str | None = None) -> UnitOfWork:
    return UnitOfWork(
        record={"kinesis": {"sequenceNumber": sequence}}, sequence_number=sequence, failed=failed
    )


def test_the_batch_response_names_only_the_first_failed_record() -> None:
    assert batch_response([unit("1"), unit("2")]) == {"batchItemFailures": []}
    assert batch_response([]) == {"batchItemFailures": []}
    units = [unit("1"), unit("2", failed="archive down"), unit("3", failed="again")]
    assert batch_response(units) == {"batchItemFailures": [{"itemIdentifier": "2"}]}


def test_a_delete_of_a_list_never_seen_is_remembered_and_stores_nothing() -> None:
    result = plan_title(TitleState("stats"), [Delete("d1", "stats", "bill", 5)], NOW)
    assert [outcome.status for outcome in result.outcomes] == ["applied"]
    assert result.writes[0].slots["bill"].user_list is None


# Replay: which ids a rebuilt title remembers, and what it refuses.


def archived(event_id: str, change: Submit, version: int, at: int) -> ArchivedChange:
    return ArchivedChange(replace(change, event_id=event_id), version, at)


def test_a_rebuild_remembers_exactly_the_ids_archived_within_the_window() -> None:
    window = DedupSettings().window_hours * HOUR_MS
    bill = Submit("", "stats", "bill", "tally", {"xp": Decimal(1)}, 1)
    (stats,) = rebuild(
        [
            archived("old", bill, 1, NOW - window - 1),
            archived("edge", bill, 2, NOW - window),
            archived("new", bill, 7, NOW),
        ],
        NOW,
        DedupSettings(),
    )
    assert set(stats.decided) == {("bill", "edge"), ("bill", "new")}
    assert stats.decided[("bill", "new")] == Remembered("applied", "", NOW, fingerprint(bill))
    assert stats.version == 7 and stats.write().expected_version == 6
    assert stats.slots["bill"].user_list is not None
    assert stats.slots["bill"].user_list.entries == {"xp": Decimal(3)}


def test_a_rebuild_names_each_change_it_would_not_apply_and_why() -> None:
    first = Submit("t1", "stats", "bill", "tally", {"xp": Decimal(1)}, 1)
    conflict = Submit("r1", "stats", "beth", "rank", {"alien": Decimal(1)}, 2)
    (stats,) = rebuild(
        [ArchivedChange(first, 1, NOW), ArchivedChange(conflict, 2, NOW)], NOW, DedupSettings()
    )
    ((change, why),) = stats.refused
    assert change == conflict and why.startswith("type conflict")
    newer = Submit("r2", "movies", "bill", "rank", {"alien": Decimal(1)}, 9)
    older = Submit("r1", "movies", "bill", "rank", {"alien": Decimal(2)}, 3)
    (movies,) = rebuild([ArchivedChange(newer, 1, NOW), ArchivedChange(older, 2, NOW)], NOW, DedupSettings())
    assert movies.refused == [(older, "superseded")]


# Entities: exactly the documents reads return and events carry.


def test_the_entities_are_the_documents_of_the_contract() -> None:
    bill = Submit("1", "movies", "bill", "rank", {"alien": Decimal(1), "heat": Decimal(2)}, 5)
    beth = Submit("2", "movies", "beth", "rank", {"heat": Decimal(1)}, 8)
    write = plan_title(TitleState("movies"), [bill, beth], NOW).writes[0]
    user_list = write.slots["bill"].user_list
    assert user_list is not None and write.aggregate is not None
    assert entity(user_list) == {
        "title": "movies",
        "user": "bill",
        "type": "rank",
        "entries": {"alien": Decimal(1), "heat": Decimal(2)},
        "updatedAt": 5,
    }
    assert entity(write.aggregate) == {
        "title": "movies",
        "type": "rank",
        "entries": {"alien": Decimal(1), "heat": Decimal(3)},
        "users": 2,
        "updatedAt": 8,
        "counts": {"alien": 1, "heat": 2},
        "ranking": ["alien", "heat"],
    }
    tally = plan_title(TitleState("stats"), tallies(1), NOW).writes[0].aggregate
    assert tally is not None and set(entity(tally)) == {"title", "type", "entries", "users", "updatedAt"}


# Bytes of a write: each kind of change counted as it will be stored, at the exact edge.


def test_the_bytes_of_a_rejected_change_are_its_outcome_reason_and_unchanged_item() -> None:
    bill = Submit("t1", "stats", "bill", "tally", {"xp": Decimal(1)}, 1)
    conflict = Submit("r1", "stats", "beth", "rank", {"alien": Decimal(1)}, 2)
    reason = "type conflict: 'stats' is a tally list, so a rank submission cannot change it"
    aggregate = ITEM_OVERHEAD_BYTES + 2 * entries_bytes(1, 2)
    item = ITEM_OVERHEAD_BYTES + KEPT_OUTCOMES_BYTES
    applied = OUTCOME_BYTES + item + entries_bytes(1, 2)
    exact = applied + OUTCOME_BYTES + len(reason.encode()) + item + aggregate
    fits = plan_title(TitleState("stats"), [bill, conflict], NOW, max_bytes_per_write=exact)
    assert [outcome.reason for outcome in fits.outcomes] == ["", reason] and len(fits.writes) == 1
    assert (
        len(plan_title(TitleState("stats"), [bill, conflict], NOW, max_bytes_per_write=exact - 1).writes) == 2
    )


def test_the_bytes_of_a_write_add_up_over_all_its_changes() -> None:
    aggregate = ITEM_OVERHEAD_BYTES + 2 * entries_bytes(1, 2)
    item = ITEM_OVERHEAD_BYTES + KEPT_OUTCOMES_BYTES + entries_bytes(1, 2)
    three = 3 * OUTCOME_BYTES + item + aggregate
    assert len(plan_title(TitleState("stats"), tallies(3), NOW, max_bytes_per_write=three).writes) == 1
    assert len(plan_title(TitleState("stats"), tallies(3), NOW, max_bytes_per_write=three - 1).writes) == 2


# Fingerprints are stored with every remembered id: the same change must give the same digest in
# every version of the code, or a redelivery after a deploy would look like an id reused.


def test_fingerprints_are_stable_across_versions() -> None:
    assert fingerprint(Delete("x", "t", "u", 1)) == "2b1c92d4219c3430"
    tally = Submit("x", "t", "u", "tally", {"é": Decimal("1.50"), "a b": Decimal(2)}, 1)
    assert fingerprint(tally) == "8a6395e6ee3c5cfc"
    assert fingerprint(Submit("x", "t", "u", "rank", {"alien": Decimal(1)}, 1)) == "357bf1e9d2159ae1"


# The aggregate after a user changes their list: its size checked and its time kept.


def test_a_user_pushing_the_aggregate_past_its_key_limit_is_rejected_naming_the_aggregate() -> None:
    users = [
        Submit(f"e{n}", "stats", f"user {n}", "tally", {f"k{n}-{i}": Decimal(1) for i in range(100)}, n)
        for n in range(10)
    ]
    more = Submit("more", "stats", "user 0", "tally", {"one more": Decimal(1)}, 20)
    result = plan_title(TitleState("stats"), [*users, more], NOW)
    assert result.outcomes[-1].status == "rejected"
    assert result.outcomes[-1].reason == "the aggregate of 'stats' would have 1001 keys; the limit is 1000"


def test_the_aggregate_keeps_the_latest_time_of_any_change_applied_to_it() -> None:
    changes: list[Change] = [
        Submit("1", "stats", "bill", "tally", {"xp": Decimal(1)}, 10),
        Submit("2", "stats", "bill", "tally", {"xp": Decimal(1)}, 30),
        Submit("3", "stats", "bill", "tally", {"xp": Decimal(1)}, 20),
        Delete("4", "stats", "nobody", 40),
    ]
    aggregates = [plan_title(TitleState("stats"), changes[:n], NOW).writes[-1].aggregate for n in (2, 3, 4)]
    assert [aggregate.updated_at for aggregate in aggregates if aggregate] == [30, 30, 40]
    assert aggregates[-1] is not None and aggregates[-1].title == "stats" and aggregates[-1].type == "tally"


# Fences: a delete of a tally list applies as the list stands, and never lowers the fence.


def test_an_older_delete_of_a_tally_list_applies_and_keeps_the_newer_fence() -> None:
    changes: list[Change] = [
        Delete("d10", "stats", "bill", 10),
        Submit("t20", "stats", "bill", "tally", {"xp": Decimal(1)}, 20),
        Delete("d5", "stats", "bill", 5),  # older than the fence, but a tally list: it applies
        Submit("t7", "stats", "bill", "tally", {"xp": Decimal(1)}, 7),  # older than the delete at 10
    ]
    result = plan_title(TitleState("stats"), changes, NOW)
    assert [outcome.status for outcome in result.outcomes] == ["applied", "applied", "applied", "superseded"]
    assert [outcome.reason for outcome in result.outcomes] == ["", "", "", ""]
    assert result.writes[-1].slots["bill"].user_list is None
    assert result.writes[-1].decided[("bill", "t7")].reason == ""


def test_a_rebuild_goes_on_after_a_change_it_refuses_and_gives_the_write_to_store() -> None:
    first = Submit("t1", "stats", "bill", "tally", {"xp": Decimal(1)}, 1)
    conflict = Submit("r1", "stats", "beth", "rank", {"alien": Decimal(1)}, 2)
    later = Submit("t2", "stats", "beth", "tally", {"xp": Decimal(5)}, 3)
    (stats,) = rebuild(
        [ArchivedChange(first, 1, NOW), ArchivedChange(conflict, 2, NOW), ArchivedChange(later, 3, NOW)],
        NOW,
        DedupSettings(),
    )
    assert stats.aggregate is not None and stats.aggregate.sums == {"xp": Decimal(6)}
    assert stats.write() == Write("stats", 2, stats.aggregate, stats.slots, stats.decided)
    assert remembered("applied", "", NOW).fingerprint == ""


def test_numbers_inside_lists_and_read_only_mappings_are_written_exactly_too() -> None:
    # Entities reach the codec as Mappings of any kind (a frozen model's MappingProxyType) and
    # rankings as lists: their numbers must come out as plainly as top-level ones.
    assert dumps({"l": [Decimal("0.50"), [Decimal("2.0")]]}) == '{"l":[0.5,[2]]}'
    assert (
        dumps(MappingProxyType({"x": Decimal("1.0"), "y": {"z": Decimal("0.10")}})) == '{"x":1,"y":{"z":0.1}}'
    )


def test_a_new_user_list_counts_as_an_item_of_its_own_at_the_edge_of_a_write() -> None:
    # 99 users: 99 items (each a user list, its outcome kept in it). The 100th user's item would
    # make 100, one more than a transaction holds beside the aggregate: a second write takes it.
    changes = [Submit(f"e{n}", "stats", f"user {n}", "tally", {"xp": Decimal(1)}, n) for n in range(100)]
    result = plan_title(TitleState("stats"), changes, NOW)
    assert [len(write.slots) for write in result.writes] == [MAX_ITEMS_PER_WRITE, 1]
    # A change of a user already in the write adds no item.
    again = plan_title(TitleState("stats"), [*changes[:99], replace(changes[0], event_id="again")], NOW)
    assert [len(write.slots) for write in again.writes] == [MAX_ITEMS_PER_WRITE]


def test_documents_too_deep_or_with_huge_integers_are_refused_with_their_reason() -> None:
    # The reason becomes the fault event's: it must say what was wrong, not crash or go blank.
    with pytest.raises(NotJson) as deep:
        loads("[" * 100_000 + "]" * 100_000)
    assert str(deep.value) == "not valid JSON: nested too deeply"
    with pytest.raises(NotJson) as huge:
        loads("1" * 5000)
    assert str(huge.value).startswith("not valid JSON: ") and "digits" in str(huge.value)
    for broken in ("{", b"\xff"):
        with pytest.raises(NotJson) as refused:
            loads(broken)
        assert str(refused.value).startswith("not valid JSON: ") and len(str(refused.value)) > 16


# Found by the second mutation run (the rest of shared/lists, the codec): docs/reliability.md.


@pytest.mark.parametrize(
    ("text", "twice"),
    [
        ('{"a": 1, "a": 2}', "a"),
        ('{"entries": {"w": 0, "x": 1, "y": 2, "x": 3}}', "x"),
        ('[{"j": 0, "k": 1, "k": 1}]', "k"),
    ],
)
def test_a_document_with_a_key_twice_is_not_json_naming_the_key(text: str, twice: str) -> None:
    # Catches: duplicate keys let through (the last one silently winning), refused unnamed, or
    # the wrong key named.
    with pytest.raises(NotJson, match=f"duplicate key '{twice}'"):
        loads(text)


def test_keys_that_differ_only_in_case_or_form_are_not_duplicates() -> None:
    assert loads('{"a": 1, "A": 2, "\\u00e9": 3, "e\\u0301": 4}') == {
        "a": 1,
        "A": 2,
        "\u00e9": 3,
        "e\u0301": 4,
    }


def test_an_out_of_range_number_says_which_bounds_it_passes() -> None:
    with pytest.raises(
        NumberOutOfRange, match=r"1E\+126 does not fit 38 significant digits within 1E-130\.\.1E\+126"
    ):
        storable(Decimal("1E+126"))


def test_a_list_of_exactly_the_byte_limit_is_accepted_and_one_byte_more_is_rejected() -> None:
    # 1,000 keys of 160 or 161 bytes (two-byte characters: ASCII alone cannot reach the limit
    # within 128 characters a key) whose encoded size is exactly MAX_LIST_BYTES.
    per_key = MAX_LIST_BYTES - 1000 * (NUMBER_BYTES + 3)
    longer = per_key - 160 * 1000
    keys = [f"{n:04d}" + "é" * 78 + ("x" if n < longer else "") for n in range(1000)]
    entries = dict.fromkeys(keys, Decimal(1))
    assert entries_bytes(len(keys), sum(len(key.encode()) for key in keys)) == MAX_LIST_BYTES
    check_size(entries, "the list")
    entries[keys[-1] + "y"] = entries.pop(keys[-1])
    with pytest.raises(Rejected, match=f"the list would take {MAX_LIST_BYTES + 1} bytes"):
        check_size(entries, "the list")


def test_a_rejected_list_or_aggregate_names_the_user_and_the_title() -> None:
    full = UserList("films", "ana", "tally", {f"k{n}": Decimal(1) for n in range(MAX_KEYS_PER_LIST)}, NOW)
    with pytest.raises(Rejected, match="the list of 'ana' under 'films' would have 1001 keys"):
        submit(full, "films", "ana", "tally", {"one more": Decimal(1)}, NOW)
    crowded = Aggregate("films", "tally", dict(full.entries), dict.fromkeys(full.entries, 1), 1, NOW)
    newcomer = UserList("films", "bo", "tally", {"another": Decimal(1)}, NOW)
    with pytest.raises(Rejected, match="the aggregate of 'films' would have 1001 keys"):
        join(crowded, newcomer)


def test_taking_out_a_key_a_damaged_aggregate_does_not_hold_leaves_it_out_instead_of_failing() -> None:
    # An aggregate restored from an older backup, or edited by hand, may miss a key some user's
    # list holds; taking that list out must not fail the whole title's batch on it.
    aggregate = Aggregate("films", "tally", {"kept": Decimal(2)}, {"kept": 2}, 2, NOW)
    leaving = UserList("films", "ana", "tally", {"kept": Decimal(1), "missing": Decimal(5)}, NOW)
    after = leave(aggregate, leaving, NOW + 1)
    assert after is not None
    assert (after.sums, after.counts, after.users) == ({"kept": Decimal(1)}, {"kept": 1}, 1)
    swapped = swap(aggregate, leaving, replace(leaving, entries={"kept": Decimal(3)}))
    assert (swapped.sums, swapped.counts) == ({"kept": Decimal(4)}, {"kept": 2})


def test_deleting_a_list_whose_title_has_lost_its_aggregate_removes_the_list() -> None:
    # A damaged title (its aggregate item deleted by hand) still lets a user delete their list.
    held = UserList("films", "ana", "tally", {"kept": Decimal(1)}, NOW)
    assert apply(None, held, Delete("d1", "films", "ana", NOW + 1)) == (None, None)
