"""Tumbling windows (`tumblingWindowInSeconds`): state carried from one invocation to the next.

Windows are contiguous, of the configured length, aligned on the epoch, and a record belongs to
the window of its arrival time. Every batch holds records of one window; each invocation gets the
`state` the previous one of the window returned (an empty object at first) and must return
`{"state": ...}` (a response without it is a failed invocation). Once the shard has been read past
the window's end, a final invocation with no records, the last state and
`isFinalInvokeForWindow: true` closes it; it is repeated until it succeeds, and only then are the
window's records checkpointed. A state over 1 MB ends the window early: before the window's next
invocation, a final one with `isWindowTerminatedEarly: true`, then a fresh state for the rest of
the same window.
"""

import json
import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from listmgr.runtime.mappings.invocation import Invokes, Outcome
from listmgr.runtime.mappings.records import StreamRecord
from listmgr.runtime.mappings.retries import retry_delay

log = logging.getLogger("listmgr.mapping")
STATE_LIMIT = 1024 * 1024
WINDOW_FIELDS_SIZE = 512
"""Bytes the window's fields other than the state take in an event, at most."""


@dataclass(frozen=True)
class Window:
    start: float
    end: float


class TumblingWindow:
    """The open window of one batcher of a shard, its state, and the records waiting for it to close."""

    def __init__(
        self,
        seconds: int,
        invoker: Invokes,
        shard_id: str,
        stopping: threading.Event,
        finish: Callable[[Sequence[StreamRecord]], None],
    ) -> None:
        self.seconds = seconds
        self.invoker = invoker
        self.shard_id = shard_id
        self.stopping = stopping
        self.finish = finish
        self.current: Window | None = None
        self.state: Any = {}
        self.held: list[StreamRecord] = []

    def of(self, record: StreamRecord) -> Window:
        start = math.floor(record.arrival / self.seconds) * self.seconds
        return Window(start, start + self.seconds)

    def reserved(self) -> int:
        """Payload bytes the window's fields take from a batch."""
        return len(json.dumps(self.state)) + WINDOW_FIELDS_SIZE

    def invoke(self, records: Sequence[StreamRecord]) -> Outcome:
        """An aggregating invocation of records of the open window (opening it if none is)."""
        self.current = self.current or self.of(records[0])
        if len(json.dumps(self.state)) > STATE_LIMIT:
            self.close(early=True)
        outcome = self.invoker.invoke(self.shard_id, records, self._fields(final=False, early=False))
        if outcome.function_error:
            return outcome
        if not isinstance(outcome.response, Mapping) or "state" not in outcome.response:
            log.warning("%s returned no state for its window: a failed invocation", self.invoker.function.key)
            return Outcome(0, None, outcome.response)
        self.state = outcome.response["state"]
        return outcome

    def hold(self, records: Sequence[StreamRecord]) -> None:
        """Keeps settled records from the checkpoint until the window closes."""
        self.held.extend(records)

    def due(self, read_up_to: float, next_record: StreamRecord | None) -> bool:
        """Whether the open window can close: its shard was read past its end and none of its records wait."""
        return (
            self.current is not None
            and read_up_to >= self.current.end
            and (next_record is None or self.of(next_record) != self.current)
        )

    def close(self, early: bool = False) -> None:
        """The window's final invocation, repeated until it succeeds (unless stopping)."""
        failures = 0
        while not self.stopping.is_set():
            outcome = self.invoker.invoke(self.shard_id, [], self._fields(final=True, early=early))
            if outcome.failed_from is None:
                self.finish(self.held)
                self.held, self.state = [], {}
                self.current = self.current if early else None
                return
            failures += 1
            self.stopping.wait(retry_delay(failures))

    def _fields(self, final: bool, early: bool) -> dict[str, Any]:
        assert self.current is not None
        return {
            "window": {"start": _iso_seconds(self.current.start), "end": _iso_seconds(self.current.end)},
            "state": self.state,
            "shardId": self.shard_id,
            "eventSourceARN": self.invoker.source.arn,
            "isFinalInvokeForWindow": final,
            "isWindowTerminatedEarly": early,
        }


def _iso_seconds(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
