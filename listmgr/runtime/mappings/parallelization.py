"""Parallelization: `parallelizationFactor` batchers ("lanes") per shard, each invoking on its own.

A record goes to the lane its partition key hashes to (for DynamoDB Streams, the item's key), so
the records of one key are batched, retried and delivered in order by one lane, while up to
`parallelizationFactor` batches of the shard are in flight at once. Each lane gathers its own
batches, and with tumbling windows keeps its own window state.
"""

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from listmgr.runtime.mappings.batches import BatchLimits, Buffer
from listmgr.runtime.mappings.checkpoints import ShardProgress
from listmgr.runtime.mappings.destinations import FailureDestination, invocation_record
from listmgr.runtime.mappings.invocation import Invoker
from listmgr.runtime.mappings.records import StreamRecord
from listmgr.runtime.mappings.retries import Discarded, RetryPolicy, settle
from listmgr.runtime.mappings.windows import TumblingWindow

log = logging.getLogger("listmgr.mapping")
IDLE_WAIT = 1.0
"""Seconds a lane with nothing to do sleeps before looking again (it is woken for anything sooner)."""
WINDOW_CHECK = 0.25
"""Seconds between looks at whether an open window can close, once its end has passed."""


def lane_of(partition_key: str, factor: int) -> int:
    """The lane of a partition key: stable across runs, unlike hash()."""
    digest = hashlib.blake2b(partition_key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % factor


@dataclass(frozen=True)
class Delivery:
    """What every lane of a mapping shares."""

    invoker: Invoker
    policy: RetryPolicy
    destination: FailureDestination | None
    clock: Callable[[], float]
    stopping: threading.Event


class Lane:
    """One batcher of a shard: its records in order, batched, invoked and settled one batch at a time."""

    def __init__(
        self, delivery: Delivery, shard_id: str, progress: ShardProgress, read_up_to: Callable[[], float]
    ) -> None:
        source = delivery.invoker.source
        self.delivery = delivery
        self.shard_id = shard_id
        self.progress = progress
        self.read_up_to = read_up_to
        self.buffer = Buffer()
        self.limits = BatchLimits(source.batch_size, source.batch_window)
        self.ended = False
        """Set once the shard has been read to its end: the lane stops when its buffer is empty."""
        self.window = (
            TumblingWindow(
                source.tumbling_window, delivery.invoker, shard_id, delivery.stopping, progress.finish
            )
            if source.tumbling_window
            else None
        )
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"lane:{shard_id}")

    def _run(self) -> None:
        while not self.delivery.stopping.is_set():
            batch = self.buffer.take(
                self.limits,
                self._wait(),
                self.window.of if self.window else None,
                self.window.reserved() if self.window else 0,
            )
            if self.window:
                self._close_window(batch)
            if batch:
                self._settle(batch)
            elif self.ended and not len(self.buffer) and not (self.window and self.window.current):
                return

    def _wait(self) -> float:
        if self.window is None or self.window.current is None:
            return IDLE_WAIT
        return min(IDLE_WAIT, max(WINDOW_CHECK, self.window.current.end - self.delivery.clock()))

    def _close_window(self, batch: Sequence[StreamRecord]) -> None:
        window = self.window
        assert window is not None
        if window.current is None:
            return
        later_window_next = bool(batch) and window.of(batch[0]) != window.current
        if later_window_next or window.due(self.read_up_to(), self.buffer.head()):
            window.close()

    def _settle(self, batch: Sequence[StreamRecord]) -> None:
        delivery = self.delivery
        invoke = self.window.invoke if self.window else partial(delivery.invoker.invoke, self.shard_id)
        done = self.window.hold if self.window else self.progress.finish
        settle(
            batch,
            invoke,
            delivery.policy,
            delivery.clock,
            delivery.stopping,
            done,
            partial(self._discard, done=done),
            retried=lambda: delivery.invoker.counters.add(retries=1),
        )

    def _discard(self, discarded: Discarded, done: Callable[[Sequence[StreamRecord]], None]) -> None:
        records = discarded.records
        self.delivery.invoker.counters.add(discarded=len(records))
        log.warning(
            "%s <- %s: discarded %d records %s..%s (%s after %d invocations)%s",
            self.delivery.invoker.function.key,
            self.shard_id,
            len(records),
            records[0].sequence_number,
            records[-1].sequence_number,
            discarded.condition,
            discarded.invoke_count,
            "" if self.delivery.destination else "; no on-failure destination",
        )
        if self.delivery.destination:
            invoker = self.delivery.invoker
            self.delivery.destination.send(
                invocation_record(discarded, invoker.source, invoker.function.arn, self.delivery.clock())
            )
        done(records)
