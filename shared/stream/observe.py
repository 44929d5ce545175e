"""What a stream function says about each batch: its log lines and its metrics.

One call at the end of a handler (`report_batch`) writes, inside the invocation's log context
(`batch_context`: shard and sequence range):
- at DEBUG, the batch's event ids;
- at WARNING, the records set aside as faults and the first failed record, with their ids;
- at INFO, the batch's summary;
- always, the EMF document of shared/metrics.py.
A handler that raises reports with `report_raised` before it re-raises: the whole batch counts as
failed, so the failed-records alarm sees a crashing function too.
"""

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared import logs, metrics
from shared.stream.batch import batch_response, first_failed
from shared.stream.unit_of_work import UnitOfWork


def iterator_age_ms(units: Sequence[UnitOfWork], received_ms: float) -> float | None:
    """Lambda's IteratorAge: from when the batch's last record reached the stream to when the
    function received the batch. None for a batch with no readable arrival time."""
    arrivals = [unit.arrival_ms for unit in units if unit.arrival_ms is not None]
    return max(0.0, round(received_ms - arrivals[-1])) if arrivals else None


def published_count(units: Sequence[UnitOfWork], publishes: str) -> int:
    """Events published for the batch: units with `publishes` set (`published` for the trigger's
    events, `fault` for the listener's fault events) before the first failed unit, from which
    on everything is retried and counted again."""
    return sum(1 for unit in units[: first_failed(units)] if getattr(unit, publishes) is not None)


def batch_context(units: Sequence[UnitOfWork]) -> dict[str, Any]:
    """The shard and the sequence range of a batch, for every line of its invocation. For a
    DynamoDB Streams batch the shard is the table stream's ARN: its records name no shard."""
    numbered = [unit for unit in units if unit.sequence_number]
    return {
        "shard": next((unit.shard for unit in units if unit.shard), None),
        "firstSequenceNumber": numbered[0].sequence_number if numbered else None,
        "lastSequenceNumber": numbered[-1].sequence_number if numbered else None,
        "batchSize": len(units),
    }


def record_id(unit: UnitOfWork) -> str | None:
    """The event id when the record decoded, else the stream's own record id (eventID)."""
    if unit.event_id is not None:
        return str(unit.event_id)
    event_id = unit.record.get("eventID")
    return event_id if isinstance(event_id, str) else None


def report_batch(
    name: str,
    stage: str,
    units: Sequence[UnitOfWork],
    outcomes: Mapping[str, int],
    published: int,
    duration_ms: float,
    received_ms: float,
    response: Mapping[str, Any],
) -> dict[str, Any]:
    """Logs the batch and emits its metrics; returns the metric document."""
    logs.debug("batch received", eventIds=[record_id(unit) for unit in units])
    faults = [unit for unit in units if unit.fault is not None and unit.failed is None]
    if faults:
        logs.warn(
            "records set aside as faults",
            count=len(faults),
            records=[
                {"sequenceNumber": unit.sequence_number, "eventId": record_id(unit), "reason": unit.fault}
                for unit in faults
            ],
        )
    first = first_failed(units)
    if first < len(units):
        failed = units[first]
        logs.warn(
            "batch failed from a record; it and every record after it are retried",
            sequenceNumber=failed.sequence_number,
            eventId=record_id(failed),
            reason=failed.failed,
            retried=len(units) - first,
        )
    logs.log(
        f"{name} batch",
        **outcomes,
        published=published,
        failedFrom=response.get("batchItemFailures"),
        ms=round(duration_ms, 1),
    )
    metric_set = metrics.batch_metrics(
        name, stage, outcomes, published, duration_ms, iterator_age_ms(units, received_ms)
    )
    return metrics.emit([metric_set], round(received_ms))


def report_raised(
    name: str, stage: str, units: Sequence[UnitOfWork], duration_ms: float, received_ms: float
) -> dict[str, Any]:
    """Logs the exception (inside an `except`) and emits the batch's metrics, every record failed:
    Lambda retries the whole batch when its function raises."""
    logs.error(f"{name} batch raised; the whole batch is retried", exc_info=True)
    outcomes = {"records": len(units), "failed": len(units)}
    metric_set = metrics.batch_metrics(
        name, stage, outcomes, 0, duration_ms, iterator_age_ms(units, received_ms)
    )
    return metrics.emit([metric_set], round(received_ms))


@dataclass(frozen=True)
class Observed:
    """How one stream function reports its batches."""

    name: str
    """The function's short name: log lines, the metrics' `function` dimension."""
    published: str
    """What its units carry when they put an event on the stream (`fault`, `published`)."""
    summary: Callable[[list[UnitOfWork]], Mapping[str, int]]
    """The batch's outcomes, counted."""


def settled_outcomes(
    summary: Callable[[list[UnitOfWork]], Mapping[str, int]], units: list[UnitOfWork]
) -> dict[str, int]:
    """The batch's outcomes as its metrics count them. The mapping delivers every record from the
    first failed one on again: a fault among them is set aside again then, so it counts as failed
    now and as a fault once, when its delivery is the last. (A change applied among them counts
    now; delivered again, it is a duplicate.)"""
    outcomes = dict(summary(units))
    again = sum(1 for unit in units[first_failed(units) :] if unit.fault is not None and unit.failed is None)
    outcomes["faults"] = outcomes.get("faults", 0) - again
    outcomes["failed"] = outcomes.get("failed", 0) + again
    return outcomes


def run_batch(
    observed: Observed,
    stage: str,
    context: Any,
    units: list[UnitOfWork],
    step: Callable[[list[UnitOfWork]], list[UnitOfWork]],
    started: float,
    received_ms: float,
) -> dict[str, Any]:
    """The handler's body: `step` over the batch inside its log context, reported, and the batch
    response; a step that raises is reported as a whole failed batch before it re-raises."""
    with logs.invocation(observed.name, context, **batch_context(units)):
        try:
            done = step(units)
        except Exception:
            report_raised(observed.name, stage, units, (time.perf_counter() - started) * 1000, received_ms)
            raise
        response = batch_response(done)
        report_batch(
            observed.name,
            stage,
            done,
            settled_outcomes(observed.summary, done),
            published_count(done, observed.published),
            (time.perf_counter() - started) * 1000,
            received_ms,
            response,
        )
    return response
