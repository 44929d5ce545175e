"""The partial batch response (ReportBatchItemFailures) of a stream function."""

from collections.abc import Sequence
from typing import Any

from shared.stream.unit_of_work import UnitOfWork


def batch_response(units: Sequence[UnitOfWork]) -> dict[str, Any]:
    """Success, or a failure from the first unit that failed on: the event source mapping then
    retries that record and every one after it, in order. Reporting only the first keeps the
    order of the shard; the records after it that did succeed are idempotent to apply again."""
    for unit in units:
        if unit.failed is not None:
            return {"batchItemFailures": [{"itemIdentifier": unit.sequence_number}]}
    return {"batchItemFailures": []}
