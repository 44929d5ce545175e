"""Counting what a DynamoDB client asks for: requests per operation, and the write and read units
they cost (shared.adapters.dynamodb.capacity), from the requests and responses themselves, so the
figures hold whatever endpoint serves them (moto does not report consumed capacity).

The rules DynamoDB bills by (on-demand: write and read request units; docs/benchmarks.md cites
AWS's pages for each):
- a write costs one unit per KB of item, rounded up; inside TransactWriteItems, twice that; an
  item that replaces another is billed at the larger of the two (the meter knows the old size
  from the reads and writes it saw: every side here reads an item before it writes it again);
- a read costs one unit per 4 KB, rounded up, for a strongly consistent read and half that for an
  eventually consistent one; a key that finds no item still costs the minimum (one unit, or half);
  BatchGetItem rounds each item on its own; a Query rounds the sum of the items it returns;
- UpdateItem is counted from what it sets (the key and the values of its expression): exact for
  the small idempotency records Powertools updates, an underestimate for a big item.
"""

import math
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from shared.adapters.dynamodb.capacity import KB, item_size, write_units

READ_UNIT = 4096


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    return float(units) if consistent else units / 2


class DynamoMeter:
    def __init__(self, client: Any) -> None:
        self.requests: Counter[str] = Counter()
        self.write_units = 0
        self.read_units = 0.0
        self._consistent: dict[str, bool] = {}
        self._table = ""
        """The table of the last GetItem, Query or Scan (its response does not name it)."""
        self._sizes: dict[tuple[str, str], int] = {}
        """(table, item key) -> the item's size as last seen read or written."""
        self.cpu_seconds = 0.0
        """The CPU time the meter itself took (sizing every item): the bench takes it out of the
        side's own, which it would otherwise inflate."""
        client.meta.events.register("before-parameter-build.dynamodb", self._timed(self._count))
        client.meta.events.register("after-call.dynamodb", self._timed(self._count_reads))

    def _timed(self, handler: Callable[..., None]) -> Callable[..., None]:
        def timed(**arguments: Any) -> None:
            started = time.thread_time()
            try:
                handler(**arguments)
            finally:
                self.cpu_seconds += time.thread_time() - started

        return timed

    def _count(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        operation = model.name
        self.requests[operation] += 1
        if operation == "PutItem":
            self.write_units += self._put(params["TableName"], params["Item"])
        elif operation == "UpdateItem":
            written = {**params["Key"], **params.get("ExpressionAttributeValues", {})}
            self.write_units += write_units(written)
        elif operation == "DeleteItem":
            self.write_units += 1
        elif operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                if "Put" in action:
                    put = action["Put"]
                    self.write_units += self._put(put["TableName"], put["Item"], transactional=True)
                else:
                    self.write_units += 2
        elif operation == "BatchWriteItem":
            self.write_units += sum(
                self._put(table, request["PutRequest"]["Item"]) if "PutRequest" in request else 1
                for table, requests in params["RequestItems"].items()
                for request in requests
            )
        elif operation == "BatchGetItem":
            # Keys that find nothing cost the minimum too: count them all, then add the excess
            # of the items found once the response is in.
            for keys in params["RequestItems"].values():
                consistent = bool(keys.get("ConsistentRead"))
                self.read_units += len(keys["Keys"]) * read_units(0, consistent)
                self._consistent["BatchGetItem"] = consistent
        elif operation in ("GetItem", "Query", "Scan"):
            self._consistent[operation] = bool(params.get("ConsistentRead"))
            self._table = params["TableName"]

    def _put(self, table: str, item: dict[str, Any], transactional: bool = False) -> int:
        """The units of a put: the larger of the item and the one it replaces."""
        key = (table, _key_of(item))
        size = item_size(item)
        old, self._sizes[key] = self._sizes.get(key, 0), size
        units = max(1, math.ceil(max(size, old) / KB))
        return units * 2 if transactional else units

    def _count_reads(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        operation = model.name
        consistent = self._consistent.get(operation, False)
        if operation == "GetItem":
            if "Item" in parsed:
                self._sizes[(self._table, _key_of(parsed["Item"]))] = item_size(parsed["Item"])
            self.read_units += read_units(item_size(parsed.get("Item", {})), consistent)
        elif operation == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                for item in items:
                    self._sizes[(table, _key_of(item))] = item_size(item)
                    self.read_units += read_units(item_size(item), consistent) - read_units(0, consistent)
        elif operation in ("Query", "Scan"):
            size = sum(item_size(item) for item in parsed.get("Items", []))
            self.read_units += read_units(size, consistent)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def reset(self) -> None:
        self.requests.clear()
        self.write_units = 0
        self.read_units = 0.0


def _key_of(item: dict[str, Any]) -> str:
    """An item's identity, whatever the table's key attributes: the sides' tables key by `pk` and
    `sk`, Powertools' idempotency table by `id`."""
    return repr([item.get(name) for name in ("pk", "sk", "id")])
