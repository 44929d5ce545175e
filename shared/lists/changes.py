"""The two changes a list can undergo, as the listener applies them, and the order they keep.

A change's place in time is its order key: its effective time (the envelope's timestamp capped at
the record's arrival), then the shard and sequence number it arrived at, then its id. Rank
submissions and deletes of a rank list are last-writer-wins by that key, whatever the lane they
arrived in, so every delivery order converges to the same lists.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from json.encoder import encode_basestring

from shared.lists.numbers import plain
from shared.lists.user_list import ListType

FINGERPRINT_HEX = 16
"""64 bits: enough to tell a reused id's other body from a retry (a producer who forged a
collision would only fool their own retry), and small enough to keep with every outcome."""

OrderKey = tuple[int, str, int, str]
"""(effective time in epoch ms, shard id, sequence number as an integer, event id)."""


@dataclass(frozen=True)
class Submit:
    """A submission: tally entries to add, or a ranking to replace the user's."""

    event_id: str
    title: str
    user: str
    type: ListType
    entries: Mapping[str, Decimal]
    timestamp: int
    """The effective time, epoch milliseconds."""
    shard: str = ""
    sequence: int = 0


@dataclass(frozen=True)
class Delete:
    """The removal of a user's list, which takes its contribution out of the aggregate."""

    event_id: str
    title: str
    user: str
    timestamp: int
    shard: str = ""
    sequence: int = 0


Change = Submit | Delete


def at_position(change: Change, timestamp: int, shard: str, sequence: int) -> Change:
    """`change` at its effective time and place in the stream (as dataclasses.replace would make
    it, in a third of its time: it runs once a record)."""
    if isinstance(change, Delete):
        return Delete(change.event_id, change.title, change.user, timestamp, shard, sequence)
    return Submit(
        change.event_id, change.title, change.user, change.type, change.entries, timestamp, shard, sequence
    )


def order_key(change: Change) -> OrderKey:
    return (change.timestamp, change.shard, change.sequence, change.event_id)


def fingerprint(change: Change) -> str:
    """What the change asks for, as a digest: two changes sent under one id with different
    contents are told apart (an Idempotency-Key reused for another body). Numbers count by value
    (1.50 and 1.5 are the same), entries by key whatever their order."""
    # The compact JSON of ["submit", type, [[key, number as text], ...]] (keys in order), or of
    # ["delete"], written out: an encoder's setup costs more than the text, once a change. The
    # number's text needs no escaping. (tests/unit/test_changes.py holds it to json.dumps's, so
    # the fingerprints kept by earlier versions still match.)
    if isinstance(change, Delete):
        encoded = '["delete"]'
    else:
        entries = change.entries
        listed = ",".join(f'[{encode_basestring(key)},"{plain(entries[key])}"]' for key in sorted(entries))
        encoded = f'["submit",{encode_basestring(change.type)},[{listed}]]'
    return hashlib.sha256(encoded.encode()).hexdigest()[:FINGERPRINT_HEX]
