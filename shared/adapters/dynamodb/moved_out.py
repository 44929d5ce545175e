"""What a user-list item knows of its outcomes that moved out to change items of their own: Bloom
filters of their ids' digests, so an id the item does not hold is looked up only when a filter
says it may have moved out (for an id that never did, a few times in a hundred at worst while
the filters have room), not every time.

The filters come in generations: each holds the outcomes moved out while it had room, notes when
the newest of them was decided, and is dropped once that left the window. A new generation is
twice the size of the one before, from 16 bytes up, so a list that moves out a few outcomes pays a
few bytes. What the filters may take in all grows with how many changes the list's writes
decide (`budget`): a byte of filter costs every write of the item, a needless lookup one read of
the next batch's. Past its budget the newest generation takes every outcome that moves out and
fills up, and lookups simply become more frequent: the cost of a hot list stays bounded (at
worst one lookup per id the item does not hold), and no outcome is ever missed (a Bloom filter
never says no to an id it holds).

Packed into the item's `movedOut` binary, generation after generation: the newest decision time
(epoch ms, 6 bytes), how many outcomes it holds (4 bytes), its size (2 bytes), its bits.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

FIRST_BYTES = 16
BYTES_PER_CHANGE = 100
"""What the filters may take for each change a write decides for the list: one lookup saved by
the next batch (a read unit) pays for about that much of a transactional write (two write units
a KB, and on demand a write unit costs five read units)."""
MIN_BYTES = 256
MAX_BYTES = 64 * 1024
BITS_PER_OUTCOME = 12
"""Bits a generation gives each outcome it holds while it has room: with eight hashes, 0.3 % of
the ids that never moved out pass a generation all the same (2 % with the six generations the
bound allows), and are looked up for nothing."""
HASHES = 8

_TIME_BYTES, _COUNT_BYTES, _SIZE_BYTES = 6, 4, 2


@dataclass(frozen=True)
class Generation:
    newest: int
    """When the newest outcome it holds was decided (epoch ms)."""
    count: int
    bits: bytes

    @property
    def full(self) -> bool:
        return self.count * BITS_PER_OUTCOME >= len(self.bits) * 8

    def until_full(self) -> int:
        """How many more outcomes it takes before it is full."""
        return max(0, math.ceil(len(self.bits) * 8 / BITS_PER_OUTCOME) - self.count)

    def may_hold(self, hashed: "Hashed") -> bool:
        return all(self.bits[at // 8] >> (at % 8) & 1 for at in hashed.positions(len(self.bits) * 8))

    def with_digests(self, hashed: list["Hashed"], newest: int) -> "Generation":
        bits = bytearray(self.bits)
        for each in hashed:
            for at in each.positions(len(bits) * 8):
                bits[at // 8] |= 1 << (at % 8)
        return Generation(max(self.newest, newest), self.count + len(hashed), bytes(bits))


@dataclass(frozen=True)
class Hashed:
    """A digest as the filters hash it (itself uniform: SHA-256), by double hashing: read once,
    whatever the number of generations it is tried against."""

    first: int
    step: int

    @classmethod
    def of(cls, digest: bytes) -> "Hashed":
        return cls(int.from_bytes(digest[:8], "big"), int.from_bytes(digest[8:16], "big") | 1)

    def positions(self, size: int) -> list[int]:
        return [(self.first + n * self.step) % size for n in range(HASHES)]


MovedOut = tuple[Generation, ...]


def may_have_moved_out(moved_out: MovedOut, digest: bytes) -> bool:
    hashed = Hashed.of(digest)
    return any(generation.may_hold(hashed) for generation in moved_out)


def budget(changes: int) -> int:
    """What the filters of a list whose write decides `changes` changes may take in all."""
    return min(MAX_BYTES, max(MIN_BYTES, changes * BYTES_PER_CHANGE))


def moving_out(
    moved_out: MovedOut, moved: Iterable[tuple[bytes, int]], forgotten_before: int, max_bytes: int = MAX_BYTES
) -> MovedOut:
    """The filters after outcomes (digest, decision time) move out, new generations only while
    they stay within `max_bytes`; generations whose newest outcome was decided before
    `forgotten_before` are dropped."""
    live = [generation for generation in moved_out if generation.newest >= forgotten_before]
    pending = [(Hashed.of(digest), decided_at) for digest, decided_at in moved]
    while pending:
        may_grow = bool(live) and _size(live) + 2 * len(live[-1].bits) <= max_bytes
        if not live or (live[-1].full and may_grow):
            live.append(Generation(0, 0, bytes(2 * len(live[-1].bits) if live else FIRST_BYTES)))
            may_grow = _size(live) + 2 * len(live[-1].bits) <= max_bytes
        # The newest generation takes outcomes until it is full and a next one may follow; past
        # the budget it takes every one that is left.
        taken = max(1, live[-1].until_full()) if may_grow else len(pending)
        chunk, pending = pending[:taken], pending[taken:]
        live[-1] = live[-1].with_digests([hashed for hashed, _ in chunk], max(at for _, at in chunk))
    return tuple(live)


def _size(generations: list[Generation]) -> int:
    return sum(len(generation.bits) for generation in generations)


def packed_size(moved_out: MovedOut) -> int:
    return sum(_TIME_BYTES + _COUNT_BYTES + _SIZE_BYTES + len(generation.bits) for generation in moved_out)


def pack(moved_out: MovedOut) -> bytes:
    return b"".join(
        generation.newest.to_bytes(_TIME_BYTES, "big")
        + generation.count.to_bytes(_COUNT_BYTES, "big")
        + len(generation.bits).to_bytes(_SIZE_BYTES, "big")
        + generation.bits
        for generation in moved_out
    )


def unpack(packed: bytes) -> MovedOut:
    generations = []
    at = 0
    while at < len(packed):
        newest = int.from_bytes(packed[at : at + _TIME_BYTES], "big")
        at += _TIME_BYTES
        count = int.from_bytes(packed[at : at + _COUNT_BYTES], "big")
        at += _COUNT_BYTES
        size = int.from_bytes(packed[at : at + _SIZE_BYTES], "big")
        at += _SIZE_BYTES
        generations.append(Generation(newest, count, bytes(packed[at : at + size])))
        at += size
    return tuple(generations)
