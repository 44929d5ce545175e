"""The trigger: DynamoDB Streams records of the list table out as events on Kinesis.

from_dynamodb(event)  ->  crud(RULES)  ->  batch response
"""

import time
from functools import cache
from typing import Any

from services.trigger.rules import RULES
from shared import bootstrap, logs, tracing
from shared.adapters.kinesis import KinesisStream
from shared.settings import Settings
from shared.stream import observe
from shared.stream.decoders import from_dynamodb
from shared.stream.flavors.crud import CrudOptions, crud
from shared.stream.unit_of_work import UnitOfWork

logs.configure()
tracing.trace_calls(("boto3", "botocore"))  # no MySQL here: pymysql stays unimported


@cache
def _wiring() -> tuple[Settings, KinesisStream]:
    settings = Settings.from_env()
    logs.set_level(settings.log_level)
    return settings, bootstrap.event_stream(settings)


def handle(event: Any, context: Any) -> dict[str, Any]:
    started, received_ms = time.perf_counter(), time.time() * 1000
    # First, so an event that is no batch (NotABatch) says so before anything is connected.
    decoded = from_dynamodb(event)
    settings, stream = _wiring()
    tags: dict[str, str | int] = {
        "source": "trigger",
        "stage": settings.stage,
        "region": settings.region,
        "functionname": getattr(context, "function_name", "trigger"),
    }
    step = crud(RULES, CrudOptions(stream=stream, tags=tags))
    return observe.run_batch(OBSERVED, settings.stage, context, decoded, step, started, received_ms)


def summary(units: list[UnitOfWork]) -> dict[str, int]:
    """Records of the batch, those set aside (faults) and those failed for a cause that may pass."""
    failed = sum(1 for unit in units if unit.failed is not None)
    faults = sum(1 for unit in units if unit.fault is not None and unit.failed is None)
    return {"records": len(units), "faults": faults, "failed": failed}


OBSERVED = observe.Observed("trigger", "published", summary)
