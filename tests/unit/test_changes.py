"""A change put at its place in the stream is the change with only its time and position new."""

import hashlib
import json
from dataclasses import fields, replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.lists.changes import FINGERPRINT_HEX, Delete, Submit, at_position, fingerprint
from shared.lists.numbers import plain
from shared.lists.user_list import ListType

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


def _fingerprint_as_json_dumps_writes_it(change: Submit | Delete) -> str:
    """The fingerprint as every earlier version computed it, which the outcomes they kept hold."""
    if isinstance(change, Delete):
        content: list[object] = ["delete"]
    else:
        entries = sorted((key, str(plain(value))) for key, value in change.entries.items())
        content = ["submit", change.type, entries]
    encoded = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()[:FINGERPRINT_HEX]


@given(
    st.sampled_from(["tally", "rank"]),
    st.dictionaries(st.text(), st.decimals(allow_nan=False, allow_infinity=False), max_size=8),
)
def test_a_fingerprint_is_the_one_earlier_versions_kept(kind: ListType, entries: dict[str, Decimal]) -> None:
    submit = Submit("id", "t", "u", kind, entries, 1)
    assert fingerprint(submit) == _fingerprint_as_json_dumps_writes_it(submit)
    delete = Delete("id", "t", "u", 1)
    assert fingerprint(delete) == _fingerprint_as_json_dumps_writes_it(delete)
