"""The leaderboard notifier: aggregate events in, a notification out when a title's leader changes.

It depends on nothing of list manager's code, only on its published events (docs/events.md):
an envelope whose `list` is an aggregate. Delivery is at least once and ordered per title, so
the stored leader only moves forward in event time, and a repeated event changes nothing.
"""

import base64
import json
import os
from decimal import Decimal
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# One call gives up within the function's 30 s timeout: 2 attempts of 2 + 5 s and one backoff of
# at most 1 + 5 s (botocore's defaults, a 60 s read timeout and more attempts, would not).
_CLIENTS = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 2})
_dynamodb = boto3.client("dynamodb", config=_CLIENTS)
_sqs = boto3.client("sqs", config=_CLIENTS)
_queue_url: str | None = None


def leader(aggregate: dict[str, Any]) -> str | None:
    """The top of a ranking, or the key with the biggest tally (ties: the first key by name)."""
    if aggregate["type"] == "rank":
        ranking = aggregate.get("ranking") or []
        return ranking[0] if ranking else None
    entries = aggregate["entries"]
    return min(entries, key=lambda key: (-entries[key], key)) if entries else None


def notify(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event["Records"]:
        try:
            envelope = json.loads(base64.b64decode(record["kinesis"]["data"]), parse_float=Decimal)
            record_leader(envelope)
        except ClientError:
            # Retried from this record on, in order; what came before it is done.
            return {"batchItemFailures": [{"itemIdentifier": record["kinesis"]["sequenceNumber"]}]}
    return {"batchItemFailures": []}


def record_leader(envelope: dict[str, Any]) -> None:
    aggregate = envelope["list"]
    title, new_leader = aggregate["title"], leader(aggregate)
    try:
        previous = _dynamodb.update_item(
            TableName=os.environ["LEADERS_TABLE"],
            Key={"title": {"S": title}},
            UpdateExpression="SET leader = :leader, changedAt = :at, eventId = :id",
            ConditionExpression="attribute_not_exists(title) OR changedAt < :at",
            ExpressionAttributeValues={
                ":leader": {"S": new_leader or ""},
                ":at": {"N": str(envelope["timestamp"])},
                ":id": {"S": envelope["id"]},
            },
            ReturnValues="ALL_OLD",
        ).get("Attributes", {})
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return  # an event already seen, or older than the leader stored
        raise
    before = previous.get("leader", {}).get("S") or None
    if before != new_leader:
        _sqs.send_message(
            QueueUrl=queue_url(),
            MessageBody=json.dumps(
                {"title": title, "leader": new_leader, "previous": before, "eventId": envelope["id"]}
            ),
        )


def queue_url() -> str:
    global _queue_url  # noqa: PLW0603 - resolved once per container
    if _queue_url is None:
        _queue_url = _sqs.get_queue_url(QueueName=os.environ["NOTIFICATIONS_QUEUE"])["QueueUrl"]
    return _queue_url
