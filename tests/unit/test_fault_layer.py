"""The fault layer itself (tests/faults/layer.py): failures follow from the seed alone, and each
kind fails the way the real connector does ("after" means the effect is there)."""

from decimal import Decimal

import pytest

from shared.lists.archive import ArchivedRecord, ArchiveUnavailable, ChangeArchive
from shared.lists.coalesce import Slot, Write
from shared.lists.memory import MemoryArchive, MemoryListStore
from shared.lists.store import ListStore, StoreUnavailable
from shared.lists.user_list import UserList
from shared.stream.memory import MemoryStream
from shared.stream.publish import Stream, StreamUnavailable
from tests.faults.layer import (
    RECORD_ERRORS,
    THROTTLED,
    Faults,
    FaultyArchive,
    FaultyStore,
    FaultyStream,
    ThrottledStream,
)


def write(title: str) -> Write:
    user_list = UserList(title, "bill", "tally", {"xp": Decimal(1)}, 1)
    return Write(title, 0, None, {"bill": Slot(user_list)})


def row(event_id: str) -> ArchivedRecord:
    return ArchivedRecord(
        event_id, "t", "bill", "list-update-submitted", "tally", "{}", 1, 1, 0, None, None, None, "{}", 1
    )


def script(seed: int) -> list[str]:
    """Calls every port many times; what each call did, in order."""
    faults = Faults(seed, rate=0.3)
    store: ListStore = FaultyStore(MemoryListStore(), faults)
    archive: ChangeArchive = FaultyArchive(MemoryArchive(), faults)
    stream: Stream = FaultyStream(MemoryStream(), faults)
    seen: list[str] = []
    for n in range(50):
        try:
            store.load({"t": {"bill": {"x"}}})
            seen.append("loaded")
        except StoreUnavailable as error:
            seen.append(str(error))
        seen.append(repr(sorted(store.commit({f"t{n}": [write(f"t{n}")]}, 0).failed)))
        try:
            archive.record([row(str(n))])
            seen.append("archived")
        except ArchiveUnavailable as error:
            seen.append(str(error))
        try:
            seen.append(repr(stream.put_records([("k", b"a"), ("k", b"b")])))
        except StreamUnavailable as error:
            seen.append(str(error))
    return seen


def test_the_same_seed_injects_the_same_failures_and_another_seed_others() -> None:
    assert script(7) == script(7)
    assert script(7) != script(8)


def test_a_commit_failed_after_the_write_has_stored_it() -> None:
    inner = MemoryListStore()
    faults = Faults(0, rate=1.0)
    store = FaultyStore(inner, faults)
    faults.overrides = {"store.commit.before": 0.0}
    result = store.commit({"t": [write("t")]}, 0)
    assert isinstance(result.failed["t"], StoreUnavailable)
    assert inner.user_list("t", "bill") is not None  # stored, though the caller saw an error


def test_an_archive_write_failed_after_the_statement_has_written_the_row() -> None:
    inner = MemoryArchive()
    faults = Faults(0, rate=1.0, overrides={"archive.record.before": 0.0})
    with pytest.raises(ArchiveUnavailable, match="after record"):
        FaultyArchive(inner, faults).record([row("x")])
    assert list(inner.rows) == [("t", "bill", "x")]


def test_refused_records_are_not_stored_and_carry_kinesis_error_codes() -> None:
    inner = MemoryStream()
    faults = Faults(3, rate=0.0, overrides={"stream.record": 0.5})
    records = [("k", str(n).encode()) for n in range(40)]
    errors = FaultyStream(inner, faults).put_records(records)
    assert {error for error in errors if error} <= set(RECORD_ERRORS) and any(errors) and not all(errors)
    assert inner.records == [record for record, error in zip(records, errors, strict=True) if error is None]


def test_a_throttled_stream_refuses_the_positions_given_over_every_call_and_passes_the_rest() -> None:
    inner = MemoryStream()
    throttled = ThrottledStream(inner, refuse={1, 2})
    assert throttled.put_records([("k", b"0"), ("k", b"1")]) == [None, THROTTLED]
    assert throttled.put_records([("k", b"2"), ("j", b"3")]) == [THROTTLED, None]
    assert inner.records == [("k", b"0"), ("j", b"3")]
    assert throttled.calls == [[("k", b"0"), ("k", b"1")], [("k", b"2"), ("j", b"3")]]
    assert throttled.offered == 4


def test_switched_off_it_injects_nothing_but_keeps_drawing() -> None:
    on, off = Faults(5, rate=0.5), Faults(5, rate=0.5, enabled=False)
    assert not any(off.roll("x") for _ in range(100)) and off.total == 0
    for _ in range(100):
        on.roll("x")
    assert on.random.random() == off.random.random()
