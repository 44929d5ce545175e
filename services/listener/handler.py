"""The listener: Kinesis records in, lists materialized in DynamoDB and archived, exactly once.

from_kinesis(event)  ->  materialize(RULES)  ->  publish_faults  ->  batch response
"""

import time
from functools import cache
from typing import Any

from services.listener.rules import RULES
from shared import bootstrap, logs, tracing
from shared.settings import Settings
from shared.stream import observe
from shared.stream.decoders import from_kinesis
from shared.stream.faults import publish_faults
from shared.stream.flavors.materialize import MaterializeOptions, materialize
from shared.stream.pipeline import Step, pipeline
from shared.stream.publish import PublishOptions, Stream
from shared.stream.unit_of_work import UnitOfWork

logs.configure()
tracing.trace_calls()


@cache
def _wiring() -> tuple[Settings, MaterializeOptions, Stream]:
    settings = Settings.from_env()
    logs.set_level(settings.log_level)
    options = MaterializeOptions(
        store=bootstrap.list_store(settings), archive=bootstrap.archive(settings), dedup=settings.dedup
    )
    return settings, options, bootstrap.event_stream(settings)


def listener(options: MaterializeOptions, stream: Stream, tags: dict[str, str | int]) -> Step:
    return pipeline(
        materialize(RULES, options),
        publish_faults(stream, {**tags, "pipeline": "faults"}, PublishOptions()),
    )


def handle(event: Any, context: Any) -> dict[str, Any]:
    started, received_ms = time.perf_counter(), time.time() * 1000
    # First, so an event that is no batch (NotABatch) says so before anything is connected.
    decoded = from_kinesis(event)
    settings, options, stream = _wiring()
    tags: dict[str, str | int] = {
        "source": "listener",
        "stage": settings.stage,
        "region": settings.region,
        "functionname": getattr(context, "function_name", "listener"),
    }
    step = listener(options, stream, tags)
    return observe.run_batch(OBSERVED, settings.stage, context, decoded, step, started, received_ms)


def summary(units: list[UnitOfWork]) -> dict[str, int]:
    """How many records of the batch had each outcome; a record set aside before it became a
    change (unreadable, a schema violation) counts as a fault, and records of other services'
    types as ignored."""
    counts = dict.fromkeys(("applied", "superseded", "duplicate", "faults", "failed", "ignored"), 0)
    for unit in units:
        if unit.failed is not None:
            counts["failed"] += 1
        elif unit.fault is not None:
            counts["faults"] += 1
        elif unit.outcome in counts:
            counts[unit.outcome] += 1
        else:
            counts["ignored"] += 1
    return {"records": len(units), **counts}


OBSERVED = observe.Observed("listener", "fault", summary)
