"""On-failure destinations: where Lambda reports a batch it discarded, and what it sends.

The invocation record names the batch (shard, first and last sequence numbers, arrival times,
size, stream) without its records, exactly as AWS sends it to an SQS queue or SNS topic.
"""

import json
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from listmgr.runtime.mappings.records import KINESIS
from listmgr.runtime.mappings.retries import Discarded
from listmgr.runtime.mappings.sources import StreamSource

log = logging.getLogger("listmgr.mapping")


def invocation_record(
    discarded: Discarded, source: StreamSource, function_arn: str, now: float
) -> dict[str, Any]:
    first, last = discarded.records[0], discarded.records[-1]
    response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if discarded.function_error:
        response_context["functionError"] = discarded.function_error
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": discarded.condition,
            "approximateInvokeCount": discarded.invoke_count,
        },
        "responseContext": response_context,
        "version": "1.0",
        "timestamp": iso_time(now),
        "KinesisBatchInfo" if source.kind == KINESIS else "DDBStreamBatchInfo": {
            "shardId": first.shard_id,
            "startSequenceNumber": first.sequence_number,
            "endSequenceNumber": last.sequence_number,
            "approximateArrivalOfFirstRecord": iso_time(first.arrival),
            "approximateArrivalOfLastRecord": iso_time(last.arrival),
            "batchSize": len(discarded.records),
            "streamArn": source.arn,
        },
    }


def iso_time(epoch: float) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as Lambda writes times."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class FailureDestination:
    """An SQS queue or SNS topic, named by its ARN."""

    def __init__(self, arn: str, clients: Mapping[str, Any]) -> None:
        self.arn = arn
        self.clients = clients

    @cached_property
    def _queue_url(self) -> str:
        # arn:aws:sqs:region:account:name
        _, _, _, _, account, name = self.arn.split(":", 5)
        url: str = self.clients["sqs"].get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)[
            "QueueUrl"
        ]
        return url

    def send(self, document: Mapping[str, Any]) -> None:
        body = json.dumps(document)
        try:
            if self.arn.startswith("arn:aws:sns:"):
                self.clients["sns"].publish(TopicArn=self.arn, Message=body)
            else:
                self.clients["sqs"].send_message(QueueUrl=self._queue_url, MessageBody=body)
        except Exception:
            # The batch is discarded all the same; the log keeps its invocation record.
            log.exception("could not send the invocation record to %s: %s", self.arn, body)
