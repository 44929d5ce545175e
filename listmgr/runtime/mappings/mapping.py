"""Event source mappings: a Kinesis or DynamoDB stream polled, batched and delivered to a function
the way AWS Lambda does it, with only boto3 calls to the stream, so it runs against moto or AWS.

Each concept lives in the module named after it:
- sources.py: the `- stream:` options of serverless.yml, checked as Lambda checks them;
- streams.py, records.py: reading shards, and records in the shape Lambda delivers them;
- shards.py: polling a shard; filters.py: filterPatterns;
- parallelization.py: lanes per shard (parallelizationFactor), each batching and settling;
- batches.py: batchSize, batchWindow, the 6 MB payload limit;
- invocation.py, batch_item_failures.py: one invocation and what its response means;
- retries.py: retries, maximum record age, bisect; destinations.py: the on-failure record;
- windows.py: tumbling windows; checkpoints.py: where each shard resumes after a restart.

This module starts and stops one mapping: a poller per shard, shards created later (resharding,
DynamoDB Streams' shard rollover) picked up as they appear, children after their parents.
"""

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from listmgr.runtime.functions import LocalFunction
from listmgr.runtime.mappings.checkpoints import CheckpointStore
from listmgr.runtime.mappings.counters import Counters, Counts
from listmgr.runtime.mappings.destinations import FailureDestination
from listmgr.runtime.mappings.filters import FilterCriteria
from listmgr.runtime.mappings.invocation import Invoker
from listmgr.runtime.mappings.parallelization import Delivery
from listmgr.runtime.mappings.retries import RetryPolicy
from listmgr.runtime.mappings.shards import ShardPoller
from listmgr.runtime.mappings.sources import StreamSource
from listmgr.runtime.mappings.streams import Position, Shard, StreamReader, reader_for

log = logging.getLogger("listmgr.mapping")
DISCOVERY_INTERVAL = 10.0
"""Seconds between looks for new shards."""
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Activity:
    """What a mapping is doing at one moment, for a drain to tell when nothing moves any more."""

    in_flight: int
    """Records read and not yet checkpointed."""
    checkpointed: int
    """Records checkpointed since the mapping started."""
    read_up_to: float
    """Clock time by which every shard was read to its newest record (infinite with no shards)."""


class EventSourceMapping:
    """Polls every shard of one source and invokes one function."""

    def __init__(
        self,
        source: StreamSource,
        function: LocalFunction,
        clients: Mapping[str, Any],
        region: str,
        checkpoints: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`checkpoints`: the folder keeping where each shard resumes (none: start from
        startingPosition every time); `clock`: epoch seconds, for record ages and windows."""
        self.source = source
        self.function = function
        self.clients = clients
        self.region = region
        self.checkpoint_dir = checkpoints
        self.clock = clock
        self.stopping = threading.Event()
        self.pollers: dict[str, ShardPoller] = {}
        self.store: CheckpointStore | None = None
        self.counters = Counters()
        self._supervisor: threading.Thread | None = None

    def start(self) -> None:
        if not self.source.enabled:
            log.info("%s <- %s: disabled (enabled: false)", self.function.key, self.source.arn)
            return
        reader = reader_for(self.source, self.clients, self.region)
        store = None
        if self.checkpoint_dir is not None:
            store = CheckpointStore(
                self.checkpoint_dir, self.function.name, self.source.arn, reader.identity()
            )
        self.store = store
        saved = store.load() if store else {}
        delivery = self._delivery(reader)
        filters = FilterCriteria(self.source.kind, self.source.filter_patterns)

        def poller(shard: Shard, position: Position) -> ShardPoller:
            return ShardPoller(
                reader, shard.shard_id, position, delivery, filters, store.save if store else _no_checkpoint
            )

        self._start_shards(reader, poller, saved, initial=True)
        self._supervisor = threading.Thread(
            target=self._discover,
            args=(reader, poller, saved),
            daemon=True,
            name=f"shards:{self.function.key}",
        )
        self._supervisor.start()

    @property
    def label(self) -> str:
        return f"{self.function.key} <- {self.source.described}"

    @property
    def function_key(self) -> str:
        return self.function.key

    def counts(self) -> Counts:
        return self.counters.snapshot()

    def activity(self) -> Activity:
        pollers = list(self.pollers.values())
        return Activity(
            in_flight=sum(len(poller.progress) for poller in pollers),
            checkpointed=sum(poller.progress.checkpointed for poller in pollers),
            read_up_to=min((poller.read_up_to for poller in pollers), default=math.inf),
        )

    def stop(self) -> None:
        self.stopping.set()
        deadline = time.monotonic() + STOP_TIMEOUT
        # The shard supervisor first: once it is done, no poller is added behind our back.
        if self._supervisor is not None:
            self._supervisor.join(timeout=STOP_TIMEOUT)
        for poller in self.pollers.values():
            poller.wake()
        for thread in [thread for poller in self.pollers.values() for thread in poller.threads]:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _delivery(self, reader: StreamReader) -> Delivery:
        source = self.source
        retention = reader.retention()
        maximum_age = (
            retention if source.maximum_record_age < 0 else min(source.maximum_record_age, retention)
        )
        return Delivery(
            invoker=Invoker(self.function, source, self.clock, self.counters),
            policy=RetryPolicy(source.maximum_retry_attempts, maximum_age, source.bisect),
            destination=FailureDestination(source.on_failure, self.clients) if source.on_failure else None,
            clock=self.clock,
            stopping=self.stopping,
        )

    def _discover(
        self, reader: StreamReader, poller: Callable[[Shard, Position], ShardPoller], saved: Mapping[str, str]
    ) -> None:
        while not self.stopping.wait(DISCOVERY_INTERVAL):
            try:
                self._start_shards(reader, poller, saved, initial=False)
            except Exception as error:
                log.warning("listing the shards of %s failed: %s", self.source.arn, error)

    def _start_shards(
        self,
        reader: StreamReader,
        poller: Callable[[Shard, Position], ShardPoller],
        saved: Mapping[str, str],
        initial: bool,
    ) -> None:
        shards = reader.shards()
        listed = {shard.shard_id for shard in shards}
        for shard in shards:
            parent = self.pollers.get(shard.parent_id or "")
            waiting_for_parent = shard.parent_id in listed and (parent is None or not parent.finished)
            if shard.shard_id in self.pollers or waiting_for_parent or self.stopping.is_set():
                continue
            started = poller(shard, self._position(shard.shard_id, saved, initial))
            self.pollers[shard.shard_id] = started
            started.start()

    def _position(self, shard_id: str, saved: Mapping[str, str], initial: bool) -> Position:
        """After the checkpoint; else startingPosition for the shards there at the start; else, for
        shards created since, from their beginning, as Lambda reads child shards."""
        if shard_id in saved:
            return Position("AFTER_SEQUENCE_NUMBER", saved[shard_id])
        if not initial:
            return Position("TRIM_HORIZON")
        if self.source.starting_position == "AT_TIMESTAMP":
            return Position("AT_TIMESTAMP", timestamp=self.source.starting_position_timestamp)
        return Position(self.source.starting_position)


def _no_checkpoint(shard_id: str, sequence_number: str) -> None:
    """Without a folder for checkpoints, a restarted mapping starts at startingPosition again."""
