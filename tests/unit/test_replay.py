"""Rebuilding titles from archived changes, without a database."""

from dataclasses import replace
from decimal import Decimal

import pytest

from shared.lists.changes import Delete, Submit, fingerprint
from shared.lists.dedup import HOUR_MS, DedupSettings, Remembered
from shared.lists.replay import ArchivedChange, OutOfOrder, rebuild

NOW = 1_700_000_000_000


def tally(event_id: str, title: str, user: str, xp: int, version: int) -> ArchivedChange:
    return ArchivedChange(Submit(event_id, title, user, "tally", {"xp": Decimal(xp)}, NOW), version, NOW)


def test_one_id_under_two_user_lists_is_two_changes() -> None:
    (stats,) = rebuild(
        [tally("K1", "stats", "alice", 1, 1), tally("K1", "stats", "bob", 2, 2)], NOW, DedupSettings()
    )
    assert {user: slot.user_list.entries for user, slot in stats.slots.items()} == {  # type: ignore[union-attr]
        "alice": {"xp": Decimal(1)},
        "bob": {"xp": Decimal(2)},
    }
    assert stats.aggregate is not None
    assert (stats.aggregate.sums, stats.aggregate.users) == ({"xp": Decimal(3)}, 2)


def test_a_title_whose_changes_come_apart_is_refused_rather_than_split() -> None:
    # What a PAD SPACE collation's ORDER BY gives when it takes 'pad' and 'pad ' as one title.
    interleaved = [tally("a", "pad", "u", 1, 1), tally("b", "pad ", "u", 2, 2), tally("c", "pad", "u", 3, 3)]
    with pytest.raises(OutOfOrder, match="'pad' came after those of 'pad '"):
        list(rebuild(interleaved, NOW, DedupSettings()))


def test_titles_in_the_order_of_their_utf8_bytes_are_in_order() -> None:
    # The archive orders titles by their bytes; the check above must agree with that order.
    titles = sorted(
        ["pad", "pad ", "Pad", "\u00e9t\u00e9", "e\u0301te\u0301", "🎬", "\uffff", "𐀀"], key=str.encode
    )
    rebuilt = rebuild([tally(title, title, "u", 1, 1) for title in titles], NOW, DedupSettings())
    assert [title.title for title in rebuilt] == titles


def test_a_rebuilt_title_remembers_what_each_applied_change_asked_for() -> None:
    """The fingerprint is what refuses an Idempotency-Key reused for another body (a 409): a
    rebuild keeps it for every id it remembers, so the refusal outlives the table."""
    bill = Submit("K1", "stats", "bill", "tally", {"xp": Decimal("1.50"), "hp": Decimal(2)}, NOW)
    gone = Delete("K2", "stats", "bill", NOW + 1)
    old = Submit("K0", "stats", "beth", "tally", {"xp": Decimal(1)}, NOW)
    window = DedupSettings()
    long_ago = NOW - window.window_hours * HOUR_MS - 1
    archived = [ArchivedChange(old, 1, long_ago), ArchivedChange(bill, 2, NOW), ArchivedChange(gone, 3, NOW)]
    (stats,) = rebuild(archived, NOW, window)
    assert stats.decided == {
        ("bill", "K1"): Remembered("applied", "", NOW, fingerprint(bill)),
        ("bill", "K2"): Remembered("applied", "", NOW, fingerprint(gone)),
    }
    assert fingerprint(replace(bill, entries={"xp": Decimal(2)})) != stats.decided[("bill", "K1")].fingerprint
