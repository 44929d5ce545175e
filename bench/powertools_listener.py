"""The Powertools baseline: the listener as a careful team would write it with Powertools for AWS
Lambda (Python), one record at a time.

- `BatchProcessor` (ReportBatchItemFailures) hands each record to `apply_record` and reports the
  ones that raised;
- the records are parsed by its Kinesis parser models, the data validated as our `Submission`
  (`Json[Submission]` on the payload, the pattern its documentation shows);
- its idempotency utility, on a DynamoDB persistence table of its own, keys each change by
  `[title, user, id]` and remembers it for 25 hours (more than the stream's retention);
- the user list and the aggregate are read consistently and written back in one transaction,
  each put conditioned on the version it was read at, and re-read and retried on a conflict: no
  lost updates, no half-applied change;
- the record is inserted in the archive on its own (INSERT OR IGNORE on its id).

Items use the adapter's layout (shared.adapters.dynamodb.layout), so both sides fill the
same single table the same way. Written against Powertools' public API only.
"""

import json
import random
import time
import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.parser.models import (
    KinesisDataStreamRecord,
    KinesisDataStreamRecordPayload,
)
from botocore.exceptions import ClientError
from pydantic import Json

from bench.boto3_items import from_attributes, to_attributes
from shared.adapters.dynamodb.layout import (
    aggregate_from_item,
    aggregate_item,
    aggregate_key,
    as_key,
    user_list_from_item,
    user_list_item,
    user_list_key,
    version_of,
)
from shared.events.submission import Submission
from shared.lists.aggregate import Aggregate, join, swap
from shared.lists.coalesce import Slot
from shared.lists.user_list import submit

WINDOW_SECONDS = 25 * 3600
# Outside Lambda there is no context to register, so the in-progress expiry falls back to the
# record's own expiry; Powertools warns about it once per record.
warnings.filterwarnings("ignore", message="Couldn't determine the remaining time left")
MAX_ATTEMPTS = 6


class SubmissionPayload(KinesisDataStreamRecordPayload):
    data: Json[Submission]  # the parent's base64 validator runs first, then this parses JSON


class SubmissionRecord(KinesisDataStreamRecord):
    kinesis: SubmissionPayload


class Conflict(RuntimeError):
    """Another writer moved the user list or the aggregate on between our read and our write."""


class PowertoolsListener:
    def __init__(
        self,
        client: Any,
        table_name: str,
        idempotency_table: str,
        archive_insert: Callable[[str, bytes], None],
    ) -> None:
        self.client = client
        self.table_name = table_name
        self.archive_insert = archive_insert
        self.processor = BatchProcessor(event_type=EventType.KinesisDataStreams, model=SubmissionRecord)
        persistence = DynamoDBPersistenceLayer(table_name=idempotency_table, boto3_client=client)
        config = IdempotencyConfig(
            event_key_jmespath="[title, user, id]", expires_after_seconds=WINDOW_SECONDS
        )
        self._apply_once = idempotent_function(
            self._apply, data_keyword_argument="change", persistence_store=persistence, config=config
        )

    def handle(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        response: dict[str, Any] = process_partial_response(  # type: ignore[assignment]
            event=event, record_handler=self.apply_record, processor=self.processor, context=context
        )
        return response

    def apply_record(self, record: SubmissionRecord) -> None:
        submission = record.kinesis.data
        change = {
            "id": record.eventID,
            "title": submission.title,
            "user": submission.user,
            "type": submission.type,
            # Idempotency hashes the change as JSON: numbers as strings keep them exact.
            "entries": {key: str(value) for key, value in submission.entries.items()},
            "arrival": int(record.kinesis.approximateArrivalTimestamp * 1000),
        }
        self._apply_once(change=change)

    def _apply(self, change: dict[str, Any]) -> None:
        for attempt in range(MAX_ATTEMPTS):
            try:
                self._write(change)
                break
            except Conflict:
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
        else:
            raise Conflict(f"{change['title']!r} kept moving under {MAX_ATTEMPTS} attempts")
        self.archive_insert(change["id"], json.dumps(change, sort_keys=True).encode())

    def _write(self, change: dict[str, Any]) -> None:
        title, user = change["title"], change["user"]
        user_item = self._get(user_list_key(title, user))
        aggregate_stored = self._get(aggregate_key(title))
        current = user_list_from_item(user_item)
        entries = {key: Decimal(value) for key, value in change["entries"].items()}
        updated = submit(current, title, user, change["type"], entries, change["arrival"])
        previous: Aggregate | None = aggregate_from_item(aggregate_stored)
        aggregate = (
            join(previous, updated)
            if current is None or previous is None
            else swap(previous, current, updated)
        )
        user_version, aggregate_version = version_of(user_item), version_of(aggregate_stored)
        try:
            self.client.transact_write_items(
                TransactItems=[
                    self._put(user_list_item(title, user, Slot(updated), user_version + 1, 0), user_version),
                    self._put(aggregate_item(title, aggregate, aggregate_version + 1), aggregate_version),
                ]
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise Conflict(str(error)) from error
            raise

    def _get(self, key: tuple[str, str]) -> dict[str, Any] | None:
        response = self.client.get_item(
            TableName=self.table_name, Key=to_attributes(as_key(key)), ConsistentRead=True
        )
        return from_attributes(response["Item"]) if "Item" in response else None

    def _put(self, item: dict[str, Any], read_version: int) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self.table_name, "Item": to_attributes(item)}
        if read_version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#version = :read"
            put["ExpressionAttributeNames"] = {"#version": "version"}
            put["ExpressionAttributeValues"] = {":read": {"N": str(read_version)}}
        return {"Put": put}
