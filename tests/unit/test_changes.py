"""A change put at its place in the stream is the change with only its time and position new."""

from dataclasses import fields, replace
from decimal import Decimal
from typing import Any

import pytest

from shared.lists.changes import Delete, Submit, at_position

EVERY_FIELD: dict[str, Any] = {
    "event_id": "e-1",
    "title": "stats",
    "user": "bill",
    "type": "rank",
    "entries": {"xp": Decimal("1.5")},
    "timestamp": 1_700_000_000_000,
    "shard": "shardId-000000000001",
    "sequence": 41,
}
"""A value for each field of either change, none its default: a field added to a change and
forgotten by at_position fails this test (KeyError here, or a difference below)."""


@pytest.mark.parametrize("kind", [Submit, Delete])
def test_at_position_is_replace_of_the_time_and_position(kind: type[Submit] | type[Delete]) -> None:
    change = kind(**{each.name: EVERY_FIELD[each.name] for each in fields(kind)})
    placed = at_position(change, 1_600_000_000_000, "shardId-000000000002", 7)
    assert placed == replace(change, timestamp=1_600_000_000_000, shard="shardId-000000000002", sequence=7)
    assert type(placed) is kind
