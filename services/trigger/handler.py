"""The trigger: DynamoDB Streams records of the list table out as events on Kinesis.

from_dynamodb(event)  ->  crud(RULES)  ->  batch response
"""

import time
from functools import cache
from typing import Any

from services.trigger.rules import RULES
from shared import bootstrap, logs, tracing
from shared.events.decoders import from_dynamodb
from shared.settings import Settings
from shared.stream.batch import batch_response
from shared.stream.connectors.kinesis import KinesisStream
from shared.stream.flavors.crud import CrudOptions, crud

logs.configure()
tracing.trace_calls(("boto3", "botocore"))  # no MySQL here: pymysql stays unimported


@cache
def _wiring() -> tuple[Settings, KinesisStream]:
    settings = Settings.from_env()
    return settings, bootstrap.event_stream(settings)


def handle(event: Any, context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    # First, so an event that is no batch (NotABatch) says so before anything is connected.
    decoded = from_dynamodb(event)
    settings, stream = _wiring()
    tags: dict[str, str | int] = {
        "source": "trigger",
        "stage": settings.stage,
        "region": settings.region,
        "functionname": getattr(context, "function_name", "trigger"),
    }
    units = crud(RULES, CrudOptions(stream=stream, tags=tags))(decoded)
    for unit in units:
        if unit.fault:
            logs.warn("stream record skipped", reason=unit.fault, sequenceNumber=unit.sequence_number)
    response = batch_response(units)
    logs.log(
        "trigger batch",
        records=len(units),
        published=sum(1 for unit in units if unit.published),
        failedFrom=response["batchItemFailures"],
        ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return response
