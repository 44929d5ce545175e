"""Publishing events to Kinesis in order, within its limits, retrying only what failed.

PutRecords takes at most 500 records and 5 MiB a call and may store some records of a call and
refuse others (throttling). Retrying only the refused ones is cheap, but if a refused record and a
later one of the same partition key share a call, the later one would be stored first. So each
round sends at most the next record of every partition key: records of different keys travel
together, records of one key one after the other, and order within a key always holds. Rounds that
hit failures back off with full jitter; once the attempts run out, what is left is reported
unpublished so the caller can fail from the first of them.
"""

import random
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.events.codec import dumps

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024
"""Kinesis's limits on PutRecords: records a call, bytes a call and bytes a record (data and
partition key counted together)."""


class StreamUnavailable(RuntimeError):
    """The stream could not take the records (after the SDK's own retries): retry later."""


class Stream(Protocol):
    """The event stream: the port the API, the trigger and the listener's faults publish through
    (Kinesis in AWS and locally, memory in unit tests)."""

    def put_records(self, records: Sequence[tuple[str, bytes]]) -> list[str | None]:
        """Puts (partition key, data) records in one call, each after the earlier ones of its
        key; per record, None if it was stored or the error code it was refused with (a
        throttled shard refuses some records of a call). A call over MAX_RECORDS_PER_CALL,
        MAX_BYTES_PER_CALL or MAX_RECORD_BYTES stores nothing and raises StreamUnavailable."""
        ...


@dataclass(frozen=True)
class PublishOptions:
    max_attempts: int = 8
    """Rounds with failures before giving up on what is left."""
    base_delay: float = 0.1
    max_delay: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


@dataclass(frozen=True)
class Outgoing:
    ref: int
    """The caller's reference for the record, reported back when it could not be published."""
    partition_key: str
    data: bytes


def encode(event: Mapping[str, Any], ref: int) -> Outgoing:
    """The Kinesis record of an event envelope."""
    return Outgoing(ref=ref, partition_key=str(event["partitionKey"]), data=dumps(event).encode())


def publish(stream: Stream, records: Sequence[Outgoing], options: PublishOptions) -> list[int]:
    """Publishes `records` (in the order given, per partition key); returns the refs of those not
    published once the attempts ran out, or an empty list."""
    queues: dict[str, deque[Outgoing]] = {}
    for record in records:
        queues.setdefault(record.partition_key, deque()).append(record)
    failures = 0
    while queues:
        heads = [queue[0] for queue in queues.values()]
        refused = False
        for call in _calls(heads):
            try:
                errors: Sequence[str | None] = stream.put_records([(r.partition_key, r.data) for r in call])
            except StreamUnavailable:
                errors = ["StreamUnavailable"] * len(call)
            for record, error in zip(call, errors, strict=True):
                if error is None:
                    queue = queues[record.partition_key]
                    queue.popleft()
                    if not queue:
                        del queues[record.partition_key]
                else:
                    refused = True
        if refused:
            failures += 1
            if failures >= options.max_attempts:
                break
            options.sleep(random.uniform(0, min(options.max_delay, options.base_delay * 2**failures)))
    return sorted(record.ref for queue in queues.values() for record in queue)


def _calls(records: Sequence[Outgoing]) -> Iterator[list[Outgoing]]:
    call: list[Outgoing] = []
    size = 0
    for record in records:
        record_size = len(record.data) + len(record.partition_key.encode())
        if call and (len(call) >= MAX_RECORDS_PER_CALL or size + record_size > MAX_BYTES_PER_CALL):
            yield call
            call, size = [], 0
        call.append(record)
        size += record_size
    if call:
        yield call
