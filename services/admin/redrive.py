"""Re-driving the on-failure queue: the records of each failed batch (services/admin/
failed_batches.py) given to their function again once the cause has passed, in-process by
`listmgr dlq redrive`, through Lambda Invoke by the admin function. A message is deleted only
when every record it names was found and the function took them all (no error, no
batchItemFailures); otherwise it stays, visible again at once.

Re-driving is safe to repeat: the listener applies every change exactly once whatever delivers it.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.admin.failed_batches import (
    FailedBatch,
    Fetched,
    NotAFailureRecord,
    failed_batch,
    fetch,
)

PEEK_VISIBILITY_SECONDS = 30
REDRIVE_VISIBILITY_SECONDS = 900
"""How long a message being re-driven stays hidden from other readers: a function's longest timeout."""


@dataclass(frozen=True)
class Invoked:
    function_error: str | None
    """Why the function failed as a whole (it raised), or None."""
    response: Any = None


Invoke = Callable[[FailedBatch, dict[str, Any]], Invoked]
"""Runs the batch's function with an event: in-process locally, Lambda Invoke in AWS."""


@dataclass(frozen=True)
class Redriven:
    message_id: str
    deleted: bool
    detail: str
    records: int = 0


def redrive_batch(batch: FailedBatch, fetched: Fetched, invoke: Invoke) -> Redriven:
    """Whether `batch` may leave the queue: all its records found and taken by its function."""
    if fetched.missing and not fetched.records:
        return Redriven(batch.message_id, False, f"kept: {fetched.missing}")
    invoked = invoke(batch, fetched.event)
    count = len(fetched.records)

    def kept(why: str) -> Redriven:
        return Redriven(batch.message_id, False, f"kept: {why}", count)

    if invoked.function_error:
        return kept(f"the function failed ({invoked.function_error})")
    failures = invoked.response.get("batchItemFailures") if isinstance(invoked.response, Mapping) else None
    if failures:
        first = failures[0].get("itemIdentifier") if isinstance(failures[0], Mapping) else failures[0]
        return kept(f"the function failed from record {first}")
    if fetched.missing:
        return kept(f"{count} records re-driven, but {fetched.missing}")
    return Redriven(batch.message_id, True, f"re-driven: {count} records, message deleted", count)


@dataclass(frozen=True)
class InFlight:
    """Messages another reader received and has neither deleted nor released: invisible to this
    one until their visibility timeout ends, when they come back on the queue."""

    count: int
    """SQS's ApproximateNumberOfMessagesNotVisible."""
    visibility_timeout: int
    """The queue's VisibilityTimeout, seconds: how long a message received without one of its own
    stays hidden. A reader may ask for longer (a re-drive under way: REDRIVE_VISIBILITY_SECONDS)."""

    def describe(self) -> str:
        return (
            f"{self.count} in flight (received by another reader, not yet deleted): each comes back "
            f"when its visibility timeout ends, {self.visibility_timeout} s after it was received "
            f"unless its reader asked for longer (a re-drive under way: up to "
            f"{REDRIVE_VISIBILITY_SECONDS} s)"
        )


@dataclass
class FailureQueue:
    """The SQS queue of an event source mapping's on-failure destination."""

    sqs: Any
    url: str
    unreadable: list[str] = field(default_factory=list)
    """Messages that are no invocation record, seen by the last read."""

    def peek(self) -> list[FailedBatch]:
        """Every message, left on the queue. Read with a short visibility timeout, then made
        visible again: reads at timeout 0 would bring the same first ten back every time."""
        batches = self.take(visibility=PEEK_VISIBILITY_SECONDS)
        for batch in batches:
            self.release(batch)
        return batches

    def take(self, visibility: int = REDRIVE_VISIBILITY_SECONDS) -> list[FailedBatch]:
        """Every message, hidden from other readers until deleted or released."""
        seen: set[str] = set()
        batches: list[FailedBatch] = []
        others: list[str] = []
        self.unreadable = []
        quiet = 0
        # SQS answers from a sample of its servers: an empty read is not proof of an empty queue.
        while quiet < 2:
            response = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, VisibilityTimeout=visibility, WaitTimeSeconds=0
            )
            fresh = [m for m in response.get("Messages", []) if m["MessageId"] not in seen]
            quiet = 0 if fresh else quiet + 1
            for message in fresh:
                seen.add(message["MessageId"])
                try:
                    batch = failed_batch(message["MessageId"], message["Body"], message["ReceiptHandle"])
                    batches.append(batch)
                except NotAFailureRecord as error:
                    self.unreadable.append(str(error))
                    others.append(message["ReceiptHandle"])
        # Not ours to judge: left on the queue, visible again (once the reads are over, so they
        # are not read again), and named in the output.
        for receipt in others:
            self._visible(receipt)
        return batches

    def in_flight(self) -> InFlight:
        """What other readers hold now (approximate, as SQS counts it)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessagesNotVisible", "VisibilityTimeout"]
        )["Attributes"]
        return InFlight(
            int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
            int(attributes.get("VisibilityTimeout", 30)),
        )

    def delete(self, batch: FailedBatch) -> None:
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=batch.receipt)

    def release(self, batch: FailedBatch) -> None:
        if batch.receipt is not None:
            self._visible(batch.receipt)

    def _visible(self, receipt: str) -> None:
        self.sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=receipt, VisibilityTimeout=0)


def select(batches: Sequence[FailedBatch], message_id: str) -> FailedBatch:
    """The message whose id is `message_id` or begins with it, if exactly one does."""
    matches = [batch for batch in batches if batch.message_id.startswith(message_id)]
    if len(matches) != 1:
        what = "no message" if not matches else f"{len(matches)} messages"
        raise LookupError(f"{what} on the failure queue with an id starting {message_id!r}")
    return matches[0]


def redrive_queue(
    queue: FailureQueue,
    clients: Mapping[str, Any],
    region: str,
    invoke: Invoke,
    message_id: str | None = None,
) -> list[Redriven]:
    """Re-drives every message (or the one `message_id` names), in the order they were reported;
    each message that is not deleted is made visible again at once."""
    taken = sorted(queue.take(), key=lambda batch: batch.timestamp)
    handled: set[str] = set()
    results = []
    try:
        chosen = taken if message_id is None else [select(taken, message_id)]
        for batch in chosen:
            result = redrive_batch(batch, fetch(batch, clients, region), invoke)
            (queue.delete if result.deleted else queue.release)(batch)
            handled.add(batch.message_id)
            results.append(result)
    finally:
        for batch in taken:
            if batch.message_id not in handled:
                queue.release(batch)
    return results


def lambda_invoke(lambda_client: Any) -> Invoke:
    """Invoke through the Lambda API: what the admin function does in AWS."""

    def invoke(batch: FailedBatch, event: dict[str, Any]) -> Invoked:
        response = lambda_client.invoke(
            FunctionName=batch.function_arn, InvocationType="RequestResponse", Payload=json.dumps(event)
        )
        payload = response["Payload"].read()
        body = json.loads(payload) if payload else None
        return Invoked(response.get("FunctionError"), body)

    return invoke
