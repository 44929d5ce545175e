"""The original sample's algorithm, as the baseline: for every record, read the user's list and
the aggregate, change them in memory, write both back unconditionally, and insert the record in
the archive on its own. Same semantics as ours when nothing goes wrong; four DynamoDB requests,
two item writes and one archive round trip per record (and lost updates, double counts and a
blocked shard when something does, which is why it is only a baseline)."""

import base64
import json
from decimal import Decimal
from typing import Any

from bench.boto3_items import from_attributes, to_attributes
from shared.adapters.dynamodb.layout import (
    Key,
    aggregate_from_item,
    aggregate_item,
    aggregate_key,
    as_key,
    user_list_from_item,
    user_list_item,
    user_list_key,
)
from shared.lists.aggregate import Aggregate, join, swap
from shared.lists.coalesce import Slot
from shared.lists.user_list import submit


class SampleListener:
    def __init__(self, client: Any, table_name: str, archive_insert: Any = None) -> None:
        self.client = client
        self.table_name = table_name
        self.archive_insert = archive_insert

    def handle(self, event: dict[str, Any]) -> None:
        for record in event["Records"]:
            document = json.loads(base64.b64decode(record["kinesis"]["data"]), parse_float=Decimal)
            self.apply(document, record)

    def apply(self, document: dict[str, Any], record: dict[str, Any]) -> None:
        title, user = document["title"], document["user"]
        entries = {key: Decimal(value) for key, value in document["entries"].items()}
        current = user_list_from_item(self._get(user_list_key(title, user)))
        updated = submit(current, title, user, document["type"], entries, 0)
        aggregate: Aggregate | None = aggregate_from_item(self._get(aggregate_key(title)))
        aggregate = (
            join(aggregate, updated)
            if current is None or aggregate is None
            else swap(aggregate, current, updated)
        )
        self._put(user_list_item(title, user, Slot(updated), 0, 0))
        self._put(aggregate_item(title, aggregate, 0))
        if self.archive_insert is not None:
            self.archive_insert(record)

    def _get(self, key: Key) -> dict[str, Any] | None:
        response = self.client.get_item(TableName=self.table_name, Key=to_attributes(as_key(key)))
        return from_attributes(response["Item"]) if "Item" in response else None

    def _put(self, item: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.table_name, Item=to_attributes(item))
