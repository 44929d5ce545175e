"""Rebuilding titles from archived changes, without a database."""

from decimal import Decimal

import pytest

from shared.lists.changes import Submit
from shared.lists.dedup import DedupSettings
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
