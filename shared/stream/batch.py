"""The partial batch response (ReportBatchItemFailures) of a stream function."""

from collections.abc import Sequence
from typing import Any

from shared.stream.unit_of_work import UnitOfWork


def first_failed(units: Sequence[UnitOfWork]) -> int:
    """The position of the first unit that failed, from which on the event source mapping delivers
    every record again; the batch's length when none failed."""
    return next((index for index, unit in enumerate(units) if unit.failed is not None), len(units))


def batch_response(units: Sequence[UnitOfWork]) -> dict[str, Any]:
    """Success, or a failure from the first unit that failed on: the event source mapping then
    retries that record and every one after it, in order. Reporting only the first keeps the
    order of the shard; the records after it that did succeed are idempotent to apply again."""
    first = first_failed(units)
    if first == len(units):
        return {"batchItemFailures": []}
    return {"batchItemFailures": [{"itemIdentifier": units[first].sequence_number}]}
