"""The Kinesis connector: the event stream (shared.stream.publish's Stream), PutRecords and nothing
else."""

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.stream.publish import StreamUnavailable


class KinesisStream:
    def __init__(self, client: Any, stream_name: str) -> None:
        self.client = client
        self.stream_name = stream_name

    def put_records(self, records: Sequence[tuple[str, bytes]]) -> list[str | None]:
        """Puts (partition key, data) records in one call; per record, None if it was stored or
        the error code Kinesis gave it (ProvisionedThroughputExceededException, InternalFailure)."""
        try:
            response = self.client.put_records(
                StreamName=self.stream_name,
                Records=[{"PartitionKey": key, "Data": data} for key, data in records],
            )
        except (ClientError, BotoCoreError) as error:
            raise StreamUnavailable(f"PutRecords: {error}") from error
        return [entry.get("ErrorCode") for entry in response["Records"]]
