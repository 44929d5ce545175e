"""The unit of work: one stream record and what the steps of a pipeline learn about it.

Steps never mutate a unit of work; each returns a new one with what it adds (`unit._replace`,
a named tuple's, which costs a microsecond where `dataclasses.replace` costs ten: a batch of
a thousand records makes a few thousand of them).
A unit that cannot be processed carries its `fault` instead of raising, so one bad record never
takes its batch down.
"""

from collections.abc import Mapping
from typing import Any, NamedTuple


class UnitOfWork(NamedTuple):
    record: Mapping[str, Any]
    """The Lambda event record, untouched. The decoder reads it once, into the typed fields
    below; after it, only a fault event quotes the record."""
    sequence_number: str
    """The record's position in its shard: what batchItemFailures report."""
    shard: str | None = None
    event: Mapping[str, Any] | None = None
    """The decoded event envelope, or for a DynamoDB Streams record the plain change."""
    outcome: str | None = None
    """What became of the record's change: applied, superseded, duplicate or rejected."""
    fault: str | None = None
    """Why this record can never be processed."""
    published: Mapping[str, Any] | None = None
    """The event a trigger rule maps the record to."""
    failed: str | None = None
    """Why processing failed for a cause that may pass: this record and all after it are retried."""
    arrival_ms: int | None = None
    """When the record reached its stream, in epoch milliseconds (rounded): a Kinesis record's
    ApproximateArrivalTimestamp, a DynamoDB Streams record's ApproximateCreationDateTime. None
    when the record carries no finite number there."""
    partition_key: str | None = None
    """A Kinesis record's partition key."""
    data: str | None = None
    """A Kinesis record's data, base64-decoded, as UTF-8 text: what the archive keeps. The
    record's own `data` stays as delivered, for its fault event to quote."""

    @property
    def event_id(self) -> str | None:
        return self.event.get("id") if self.event else None

    @property
    def event_type(self) -> str | None:
        return self.event.get("type") if self.event else None
