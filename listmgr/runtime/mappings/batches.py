"""Batching: records wait in a buffer until a batch is due, as Lambda gathers them.

A batch is due when `batchSize` records are waiting, when the next record would take the event
past the 6 MB payload limit of a synchronous invocation, when the oldest waiting record has waited
`batchWindow` seconds, or (with tumbling windows) when the next record belongs to a later window.
"""

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from listmgr.runtime.mappings.records import StreamRecord

PAYLOAD_LIMIT = 6 * 1024 * 1024
EVENT_OVERHEAD = len('{"Records":[]}')


@dataclass(frozen=True)
class BatchLimits:
    size: int
    window: float
    """Seconds the oldest record may wait for more (MaximumBatchingWindowInSeconds)."""
    payload: int = PAYLOAD_LIMIT


class Buffer:
    """One lane's records, in shard order, waiting to be batched."""

    def __init__(self) -> None:
        self._waiting: deque[tuple[StreamRecord, float]] = deque()
        self._changed = threading.Condition()
        self._woken = False

    def __len__(self) -> int:
        return len(self._waiting)

    def put(self, records: list[StreamRecord]) -> None:
        now = time.monotonic()
        with self._changed:
            self._waiting.extend((record, now) for record in records)
            self._changed.notify_all()

    def head(self) -> StreamRecord | None:
        with self._changed:
            return self._waiting[0][0] if self._waiting else None

    def wake(self) -> None:
        """Makes a waiting `take` return at once (to stop, or to close a window)."""
        with self._changed:
            self._woken = True
            self._changed.notify_all()

    def take(
        self,
        limits: BatchLimits,
        timeout: float,
        group: Callable[[StreamRecord], Hashable] | None = None,
        reserved: int = 0,
    ) -> list[StreamRecord]:
        """The next due batch, or [] if none is due within `timeout` seconds (or on `wake`).

        `group` keeps a batch to records of one group (a tumbling window); `reserved` bytes of
        the payload are taken by other event fields (a window's state)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                count, full = self._ready(limits, group, limits.payload - reserved)
                waited = time.monotonic() - self._waiting[0][1] if self._waiting else 0.0
                if count and (full or waited >= limits.window):
                    return [self._waiting.popleft()[0] for _ in range(count)]
                remaining = deadline - time.monotonic()
                if self._waiting:
                    remaining = min(remaining, limits.window - waited)
                if self._woken or remaining <= 0:
                    self._woken = False
                    return []
                self._changed.wait(remaining)

    def _ready(
        self, limits: BatchLimits, group: Callable[[StreamRecord], Hashable] | None, payload: int
    ) -> tuple[int, bool]:
        """How many waiting records the next batch holds, and whether it is full already."""
        size = EVENT_OVERHEAD
        first = group(self._waiting[0][0]) if group and self._waiting else None
        for count, (record, _) in enumerate(self._waiting):
            if count == limits.size:
                return count, True
            if group is not None and group(record) != first:
                return count, True
            size += record.size + 1
            if count and size > payload:
                return count, True
        return len(self._waiting), False
