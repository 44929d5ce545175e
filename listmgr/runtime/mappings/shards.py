"""Polling one shard: reading it in order and handing each record to its lane, or checkpointing it
at once when the filter criteria leave it out.

The shard is read again at once while it has more records; once it is caught up, after
FIRST_POLL_INTERVAL, doubling while it stays idle up to the rate Lambda polls that kind of
stream (Kinesis once a second, DynamoDB Streams four times), so an idle stack costs little CPU
and a busy one little latency. Reading pauses while the lanes hold a few batches' worth of
records, so a slow function does not make the mapping read the whole stream into memory.
"""

import logging
import math
import threading
from collections.abc import Callable

from listmgr.runtime.mappings.checkpoints import ShardProgress
from listmgr.runtime.mappings.filters import FilterCriteria
from listmgr.runtime.mappings.parallelization import Delivery, Lane, lane_of
from listmgr.runtime.mappings.records import StreamRecord
from listmgr.runtime.mappings.streams import Page, Position, StreamReader

log = logging.getLogger("listmgr.mapping")
FIRST_POLL_INTERVAL = 0.25
"""Seconds before reading a caught-up shard again, right after records came."""
ROOM_CHECK = 0.05
ERROR_PAUSE = 1.0


class ShardPoller:
    def __init__(
        self,
        reader: StreamReader,
        shard_id: str,
        position: Position,
        delivery: Delivery,
        filters: FilterCriteria,
        checkpoint: Callable[[str, str], None],
    ) -> None:
        self.reader = reader
        self.shard_id = shard_id
        self.position = position
        self.delivery = delivery
        self.filters = filters
        self.progress = ShardProgress(shard_id, checkpoint)
        self.read_up_to = -math.inf
        """Clock time by which every record that had arrived was read (infinite once the shard ended)."""
        factor = delivery.invoker.source.parallelization_factor
        self.lanes = [Lane(delivery, shard_id, self.progress, lambda: self.read_up_to) for _ in range(factor)]
        self.room = max(2 * delivery.invoker.source.batch_size * factor, reader.limit)
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"poll:{shard_id}")

    def start(self) -> None:
        for lane in self.lanes:
            lane.thread.start()
        self.thread.start()

    def wake(self) -> None:
        for lane in self.lanes:
            lane.buffer.wake()

    @property
    def threads(self) -> list[threading.Thread]:
        return [self.thread, *(lane.thread for lane in self.lanes)]

    @property
    def finished(self) -> bool:
        """The shard was read to its end and every record of it is done."""
        return not any(thread.is_alive() for thread in self.threads) and not self.delivery.stopping.is_set()

    def _run(self) -> None:
        stopping = self.delivery.stopping
        iterator: str | None = None
        interval = FIRST_POLL_INTERVAL
        while not stopping.is_set():
            self._wait_for_room()
            asked_at = self.delivery.clock()
            try:
                iterator = iterator or self.reader.iterator(self.shard_id, self.position)
                page = self.reader.read(self.shard_id, iterator)
            except Exception as error:
                log.warning(
                    "reading %s failed (%s: %s); retrying", self.shard_id, type(error).__name__, error
                )
                iterator = None
                stopping.wait(ERROR_PAUSE)
                continue
            self._dispatch(page)
            if page.next_iterator is None:
                self._end()
                return
            iterator = page.next_iterator
            if page.caught_up:
                self.read_up_to = asked_at
                interval = (
                    FIRST_POLL_INTERVAL if page.records else min(2 * interval, self.reader.poll_interval)
                )
                stopping.wait(interval)

    def _wait_for_room(self) -> None:
        while sum(len(lane.buffer) for lane in self.lanes) >= self.room:
            if self.delivery.stopping.wait(ROOM_CHECK):
                return

    def _dispatch(self, page: Page) -> None:
        if not page.records:
            return
        # If reading fails from here on, the next iterator starts after what was handed over.
        self.position = Position("AFTER_SEQUENCE_NUMBER", page.records[-1].sequence_number)
        self.progress.read(page.records)
        routed: list[list[StreamRecord]] = [[] for _ in self.lanes]
        filtered_out = []
        for record in page.records:
            if self.filters.accepts(record):
                routed[lane_of(record.partition_key, len(self.lanes))].append(record)
            else:
                filtered_out.append(record)
        for lane, records in zip(self.lanes, routed, strict=True):
            if records:
                lane.buffer.put(records)
        self.delivery.invoker.counters.add(read=len(page.records), filtered_out=len(filtered_out))
        self.progress.finish(filtered_out)

    def _end(self) -> None:
        log.info("%s: read to its end", self.shard_id)
        self.read_up_to = math.inf
        for lane in self.lanes:
            lane.ended = True
        self.wake()
