"""One invocation of a function with a batch: the event in Lambda's shape, the function's verdict,
counted (listmgr/runtime/mappings/counters.py) and told in a debug line (records, outcome, duration,
IteratorAge): `listmgr up` shows the counts, `listmgr up --verbose` every line."""

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from listmgr.runtime.functions import LocalFunction
from listmgr.runtime.mappings.batch_item_failures import first_failure
from listmgr.runtime.mappings.counters import Counters
from listmgr.runtime.mappings.records import StreamRecord
from listmgr.runtime.mappings.sources import StreamSource

log = logging.getLogger("listmgr.mapping")


@dataclass(frozen=True)
class Outcome:
    failed_from: int | None
    """Position of the first record to retry; None when the whole batch succeeded."""
    function_error: str | None = None
    """`Unhandled` when the function raised, as Lambda reports it."""
    response: Any = None


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


class _Sourced(Protocol):
    @property
    def arn(self) -> str: ...


class Invokes(Protocol):
    """What a window needs of its invoker: the function it invokes, the source it reads."""

    @property
    def function(self) -> _Keyed: ...
    @property
    def source(self) -> _Sourced: ...
    def invoke(
        self, shard_id: str, records: Sequence[StreamRecord], extra: Mapping[str, Any] | None = None
    ) -> Outcome: ...


@dataclass(frozen=True)
class Invoker:
    function: LocalFunction
    source: StreamSource
    clock: Callable[[], float]
    counters: Counters = field(default_factory=Counters)

    def invoke(
        self, shard_id: str, records: Sequence[StreamRecord], extra: Mapping[str, Any] | None = None
    ) -> Outcome:
        """Invokes with `records` (and `extra` event fields, for windows) and logs the result."""
        started = time.perf_counter()
        # Through JSON, as Lambda delivers it: the function gets its own copy, retries get a clean one.
        event = json.loads(
            json.dumps({"Records": [record.event_record for record in records], **(extra or {})})
        )
        try:
            response = self.function.invoke(event)
        except Exception as error:
            self._done(shard_id, records, 0, f"raised {type(error).__name__}: {error}", started)
            return Outcome(0, "Unhandled")
        failed_from = None
        if self.source.report_batch_item_failures:
            failed_from = first_failure(response, [record.sequence_number for record in records])
        result = "ok" if failed_from is None else "failed"
        if failed_from is not None and records:
            result = f"failed from {records[failed_from].sequence_number}"
        self._done(shard_id, records, len(records) if failed_from is None else failed_from, result, started)
        return Outcome(failed_from, None, response)

    def _done(
        self, shard_id: str, records: Sequence[StreamRecord], delivered: int, result: str, started: float
    ) -> None:
        seconds = time.perf_counter() - started
        age = iterator_age(records, self.clock()) if records else None
        self.counters.invoked(len(records), delivered, delivered < len(records), age)
        span = f" {records[0].sequence_number}..{records[-1].sequence_number}" if records else ""
        log.debug(
            "%s <- %s: %d records%s, %s in %.0f ms%s",
            self.function.key,
            shard_id,
            len(records),
            span,
            result,
            seconds * 1000,
            "" if age is None else f", iterator age {age} ms",
        )


def iterator_age(records: Sequence[StreamRecord], now: float) -> int:
    """Lambda's IteratorAge: how old the batch's last record is once the batch is done, in ms."""
    return max(0, round((now - records[-1].arrival) * 1000))
