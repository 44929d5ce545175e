"""ReportBatchItemFailures: what a function's response says about the batch it was given.

Lambda's rules (seed 004, "Success and failure conditions"):
- complete success: a null response, an empty response, or a null or empty `batchItemFailures`;
- complete failure: an item whose `itemIdentifier` is empty, null, missing (a bad key name) or not
  the sequence number of a record in the batch;
- otherwise the batch failed from the lowest reported record on: the records before it succeeded.
"""

from collections.abc import Mapping, Sequence
from typing import Any


def first_failure(response: Any, sequence_numbers: Sequence[str]) -> int | None:
    """The position in the batch of the first record to retry, or None when the whole batch succeeded."""
    failures = response.get("batchItemFailures") if isinstance(response, Mapping) else None
    if not failures:
        return None
    if not isinstance(failures, list):
        return 0
    positions = {int(number): position for position, number in enumerate(sequence_numbers)}
    reported = [_position(failure, positions) for failure in failures]
    return 0 if None in reported else min(position for position in reported if position is not None)


def _position(failure: Any, positions: Mapping[int, int]) -> int | None:
    identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
    try:
        # Sequence numbers are compared as numbers: "007" and "7" name the same record.
        return positions.get(int(str(identifier)))
    except ValueError:
        return None
