"""The outcomes a user-list item keeps: what was decided for the changes of that user list within
the dedup window, written by the same transaction that decides them, at no item of their own.

An item keeps its newest outcomes; once they pass the room the item has for them, the oldest
move out to change items of their own (`C#<digest>`, plain puts, removed by TTL), and the item
keeps a filter of those (moved_out.py): an id the item does not hold is looked up in its change
item when the filter says it may have moved out. An outcome decided by a write stays in the item that
write stores (nothing else holds it until that write commits); it can move out only once it is
committed, in a later write.

Pure functions over plain values; each outcome is packed into the item's `outcomes` binary as
- the id's digest (16 bytes: the first 128 bits of the SHA-256 of `[user, id]`, which also keys
  its change item);
- when it was decided, epoch milliseconds (6 bytes);
- its status (1 byte) and fingerprint (8 bytes, zero when not known);
- a rejection's reason: 2 bytes of length, then its UTF-8.
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from json.encoder import encode_basestring

from shared.adapters.dynamodb.moved_out import MovedOut, budget, may_have_moved_out, moving_out
from shared.lists.changes import FINGERPRINT_HEX
from shared.lists.dedup import Remembered, Status

DIGEST_BYTES = 16
_TIME_BYTES = 6
_FINGERPRINT_BYTES = FINGERPRINT_HEX // 2
_REASON_LENGTH_BYTES = 2
_FIXED_BYTES = DIGEST_BYTES + _TIME_BYTES + 1 + _FINGERPRINT_BYTES
_STATUS_CODES: dict[Status, int] = {"applied": 1, "superseded": 2, "rejected": 3}
_STATUSES = {code: status for status, code in _STATUS_CODES.items()}


def digest(user: str, event_id: str) -> bytes:
    """The digest of an id within its title: scoped to its user list, and unambiguous whatever
    the names hold (a JSON array, not a joined string)."""
    # The compact JSON array written out: json.dumps builds an encoder on every call, and this
    # runs twice a record (tests/unit/test_outcomes.py holds it to json.dumps's text).
    scoped = f"[{encode_basestring(user)},{encode_basestring(event_id)}]"
    return hashlib.sha256(scoped.encode()).digest()[:DIGEST_BYTES]


@dataclass(frozen=True)
class Kept:
    """One outcome kept in a user-list item."""

    digest: bytes
    outcome: Remembered

    def size(self) -> int:
        if self.outcome.status == "rejected":
            return _FIXED_BYTES + _REASON_LENGTH_BYTES + len(self.outcome.reason.encode())
        return _FIXED_BYTES


@dataclass(frozen=True)
class Outcomes:
    """What a user-list item remembers of its changes."""

    kept: tuple[Kept, ...] = ()
    """Oldest first."""
    moved_out: MovedOut = ()
    """Filters of the outcomes of the window that moved out to change items of their own."""

    def find(self, key: bytes) -> Remembered | None:
        return self._by_digest.get(key)

    @cached_property
    def _by_digest(self) -> dict[bytes, Remembered]:
        # A hot list's item holds its last write's outcomes, a thousand or more, and a batch
        # looks up as many ids in it: an index, not a scan per id.
        return {each.digest: each.outcome for each in self.kept}

    def may_have_moved_out(self, key: bytes) -> bool:
        """Whether the outcome of an id the item does not hold may be in a change item of its
        own, to be looked up there. (A write drops what left the window; no clock is read here,
        so the store and the listener can never disagree about the time.)"""
        return may_have_moved_out(self.moved_out, key)


NO_OUTCOMES = Outcomes()


def keep(
    outcomes: Outcomes, decided: Iterable[Kept], forgotten_before: int, room: int, final: bool = False
) -> tuple[Outcomes, list[Kept]]:
    """What an item stores after a write that decides `decided`, and the outcomes that move out
    to change items of their own (to be put before the write commits).

    Outcomes decided before `forgotten_before` have left the window and are dropped; the write's
    own are kept whatever their size, unless they are `final` (a rebuild's: their changes are
    stored already, so nothing waits on the write to commit them); earlier ones move out, oldest
    first, while the outcomes would take more than `room` bytes. Final outcomes get the least
    filters: what filters are worth depends on the changes the list's writes will decide, which
    a rebuild does not know, and the least keeps the cost at worst a lookup per id."""
    held = {each.digest for each in outcomes.kept}
    new = [each for each in decided if each.digest not in held]
    earlier = [each for each in outcomes.kept if each.outcome.decided_at >= forgotten_before]
    movable, staying = earlier, new
    if final:
        movable, staying = sorted([*earlier, *new], key=lambda each: each.outcome.decided_at), []
    over = sum(each.size() for each in movable) + sum(each.size() for each in staying) - room
    moving = 0
    while over > 0 and moving < len(movable):
        over -= movable[moving].size()
        moving += 1
    moved = movable[:moving]
    moved_out = moving_out(
        outcomes.moved_out,
        [(each.digest, each.outcome.decided_at) for each in moved],
        forgotten_before,
        budget(0 if final else len(new)),
    )
    return Outcomes((*movable[moving:], *staying), moved_out), moved


def pack(kept: Sequence[Kept]) -> bytes:
    parts = []
    for each in kept:
        outcome = each.outcome
        parts += [
            each.digest,
            outcome.decided_at.to_bytes(_TIME_BYTES, "big"),
            _STATUS_CODES[outcome.status].to_bytes(1, "big"),
            bytes.fromhex(outcome.fingerprint) if outcome.fingerprint else bytes(_FINGERPRINT_BYTES),
        ]
        if outcome.status == "rejected":
            reason = outcome.reason.encode()
            parts += [len(reason).to_bytes(_REASON_LENGTH_BYTES, "big"), reason]
    return b"".join(parts)


def unpack(packed: bytes) -> tuple[Kept, ...]:
    kept = []
    at = 0
    while at < len(packed):
        key = packed[at : at + DIGEST_BYTES]
        at += DIGEST_BYTES
        decided_at = int.from_bytes(packed[at : at + _TIME_BYTES], "big")
        at += _TIME_BYTES
        status = _STATUSES[packed[at]]
        at += 1
        fingerprint = packed[at : at + _FINGERPRINT_BYTES]
        at += _FINGERPRINT_BYTES
        reason = ""
        if status == "rejected":
            length = int.from_bytes(packed[at : at + _REASON_LENGTH_BYTES], "big")
            at += _REASON_LENGTH_BYTES
            reason = packed[at : at + length].decode()
            at += length
        known = fingerprint.hex() if any(fingerprint) else ""
        kept.append(Kept(bytes(key), Remembered(status, reason, decided_at, known)))
    return tuple(kept)
