"""The list table connector: the only module that speaks DynamoDB for lists.

The listener reads the state of the titles and user lists a batch names with consistent
BatchGetItem calls, and stores its writes with TransactWriteItems: each write puts a title's
aggregate, conditioned on the version it was planned from, together with the user lists changed
with it. Several titles share one transaction up to DynamoDB's 100 items and 4 MB, so a batch of a
thousand records typically costs a handful of requests.
"""

import random
import time
from collections import deque
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from shared.lists import items
from shared.lists.coalesce import TitleState, Write
from shared.stream.connectors.capacity import item_size

MAX_TRANSACTION_ITEMS = 100
MAX_TRANSACTION_BYTES = 4_000_000
MAX_BATCH_GET_KEYS = 100
MAX_BATCH_WRITE_ITEMS = 25
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class TableUnavailable(RuntimeError):
    """DynamoDB refused or could not serve a request after the SDK's own retries: retry later."""


def to_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}


def from_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


@dataclass
class CommitResult:
    committed: dict[str, int] = field(default_factory=dict)
    """Title -> how many of its writes are stored."""
    stale: set[str] = field(default_factory=set)
    """Titles whose next write was refused because another writer got there first."""
    failed: dict[str, Exception] = field(default_factory=dict)
    """Titles whose next write failed for a reason that may pass."""


class ListTable:
    def __init__(self, client: Any, table_name: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.table_name = table_name
        self._sleep = sleep

    # -- the listener's side -------------------------------------------------------------------

    def load(self, wanted: Mapping[str, Collection[str]]) -> dict[str, TitleState]:
        """The stored state of each title in `wanted` and of the users named with it."""
        keys = [items.aggregate_key(title) for title in wanted]
        keys += [items.user_list_key(title, user) for title, users in wanted.items() for user in users]
        found = self.get_many(keys)
        return {
            title: items.title_state(
                title,
                found.get((items.title_key(title), items.AGGREGATE_SORT_KEY)),
                {
                    user: item
                    for user in users
                    if (item := found.get((items.title_key(title), items.user_key(user)))) is not None
                },
            )
            for title, users in wanted.items()
        }

    def get_many(self, keys: Sequence[Mapping[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Items by (pk, sk), read consistently, 100 keys a request."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for start in range(0, len(keys), MAX_BATCH_GET_KEYS):
            pending: dict[str, Any] = {
                self.table_name: {
                    "Keys": [to_attributes(key) for key in keys[start : start + MAX_BATCH_GET_KEYS]],
                    "ConsistentRead": True,
                }
            }
            for attempt in range(8):
                response = self._call("batch_get_item", RequestItems=pending)
                for raw in response.get("Responses", {}).get(self.table_name, []):
                    item = from_attributes(raw)
                    found[(item["pk"], item["sk"])] = item
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
                self._sleep(_backoff(attempt))
            else:
                raise TableUnavailable("BatchGetItem kept returning unprocessed keys")
        return found

    def commit(self, writes: Mapping[str, Sequence[Write]], expires_at: int) -> CommitResult:
        """Stores each title's writes in order, packing titles into shared transactions.

        A title whose write is refused (its aggregate moved on) is reported stale and its later
        writes are not tried; the other titles of that transaction are tried again."""
        result = CommitResult()
        queues = {title: deque(title_writes) for title, title_writes in writes.items() if title_writes}
        while queues:
            prepared = [self._prepare(queue[0], expires_at) for queue in queues.values()]
            for pack in _packs(prepared):
                outcome = self._transact(pack)
                for title in (entry.write.title for entry in pack):
                    if outcome is None:
                        result.committed[title] = result.committed.get(title, 0) + 1
                        queues[title].popleft()
                        if queues[title]:
                            continue
                    elif isinstance(outcome, Exception):
                        result.failed[title] = outcome
                    elif title in outcome:
                        result.stale.add(title)
                    else:
                        continue
                    del queues[title]
        return result

    def _prepare(self, write: Write, expires_at: int) -> "_Prepared":
        actions = [{"Put": self._aggregate_put(write)}]
        for user, slot in write.slots.items():
            item = items.user_list_item(write.title, user, slot, write.version, expires_at)
            actions.append({"Put": {"TableName": self.table_name, "Item": to_attributes(item)}})
        return _Prepared(write, actions, sum(item_size(action["Put"]["Item"]) for action in actions))

    def _transact(self, pack: Sequence["_Prepared"]) -> set[str] | Exception | None:
        """None when stored; the refused titles when cancelled; the error when it failed."""
        actions: list[dict[str, Any]] = []
        aggregate_at: dict[int, str] = {}
        for entry in pack:
            aggregate_at[len(actions)] = entry.write.title
            actions += entry.actions
        try:
            self.client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                return TableUnavailable(f"TransactWriteItems: {error}")
            reasons = error.response.get("CancellationReasons") or []
            refused = {
                aggregate_at[index]
                for index, reason in enumerate(reasons)
                if index in aggregate_at
                and reason.get("Code") in ("ConditionalCheckFailed", "TransactionConflict")
            }
            if not refused and any(reason.get("Code") not in (None, "None") for reason in reasons):
                return TableUnavailable(f"TransactWriteItems cancelled: {reasons}")
            # A cancelled transaction stored nothing for any title in it; the titles that were
            # not refused are simply tried again in the next round.
            return refused or {entry.write.title for entry in pack}
        except BotoCoreError as error:
            return TableUnavailable(f"TransactWriteItems: {error}")
        return None

    def _aggregate_put(self, write: Write) -> dict[str, Any]:
        item = items.aggregate_item(write.title, write.aggregate, write.version)
        put: dict[str, Any] = {"TableName": self.table_name, "Item": to_attributes(item)}
        if write.expected_version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#version = :expected"
            put["ExpressionAttributeNames"] = {"#version": "version"}
            put["ExpressionAttributeValues"] = {":expected": {"N": str(write.expected_version)}}
        return put

    # -- the read side -------------------------------------------------------------------------

    def get(self, key: Mapping[str, str]) -> dict[str, Any] | None:
        response = self._call(
            "get_item", TableName=self.table_name, Key=to_attributes(key), ConsistentRead=True
        )
        return from_attributes(response["Item"]) if "Item" in response else None

    def query_page(
        self, limit: int, start: Mapping[str, Any] | None, **query: Any
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Up to `limit` items of a query after `start`, and the key to go on from (None at the end)."""
        found: list[dict[str, Any]] = []
        last: dict[str, Any] | None = dict(start) if start else None
        while len(found) <= limit:
            request = dict(query, TableName=self.table_name, Limit=limit + 1 - len(found))
            if last:
                request["ExclusiveStartKey"] = to_attributes(last)
            response = self._call("query", **request)
            found += [from_attributes(raw) for raw in response.get("Items", [])]
            last = from_attributes(response["LastEvaluatedKey"]) if "LastEvaluatedKey" in response else None
            if last is None:
                break
        if len(found) <= limit:
            return found, None
        page = found[:limit]
        key_names = ("pk", "sk", *((query.get("IndexName") and ("gsi1pk", "gsi1sk")) or ()))
        return page, {name: page[-1][name] for name in key_names}

    def titles_page(self, limit: int, after: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """Live aggregates in title order after the title `after` (title, type, users, updatedAt
        only), and the page's last title when more follow."""
        start = None
        if after is not None:
            start = {**items.aggregate_key(after), "gsi1pk": items.TITLES_PARTITION, "gsi1sk": after}
        found, next_key = self.query_page(
            limit,
            start,
            IndexName=items.TITLES_INDEX,
            KeyConditionExpression="gsi1pk = :titles",
            ExpressionAttributeValues={":titles": {"S": items.TITLES_PARTITION}},
            ProjectionExpression="pk, sk, gsi1pk, gsi1sk, #title, #type, #users, #updatedAt",
            ExpressionAttributeNames=_TITLE_SUMMARY,
        )
        return found, None if next_key is None else str(next_key["gsi1sk"])

    def users_page(
        self, title: str, limit: int, after: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The live user lists of `title` in user order after the user `after` (title, user, type,
        updatedAt only: the dedup window stays behind), and the page's last user when more follow."""
        start = None if after is None else items.user_list_key(title, after)
        found, next_key = self.query_page(
            limit,
            start,
            KeyConditionExpression="pk = :title AND begins_with(sk, :users)",
            FilterExpression="attribute_not_exists(deleted)",
            ExpressionAttributeValues={
                ":title": {"S": items.title_key(title)},
                ":users": {"S": items.user_key("")},
            },
            ProjectionExpression="pk, sk, #title, #user, #type, #updatedAt",
            ExpressionAttributeNames=_USER_SUMMARY,
        )
        return found, None if next_key is None else str(next_key["sk"]).removeprefix(items.user_key(""))

    def put_many(self, new_items: Sequence[Mapping[str, Any]]) -> None:
        """Puts items unconditionally, 25 a request: for rebuilding the table, never for changes."""
        self._write_many([{"PutRequest": {"Item": to_attributes(item)}} for item in new_items])

    def delete_many(self, keys: Sequence[Mapping[str, Any]]) -> None:
        self._write_many([{"DeleteRequest": {"Key": to_attributes(key)}} for key in keys])

    def _write_many(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), MAX_BATCH_WRITE_ITEMS):
            pending = {self.table_name: requests[start : start + MAX_BATCH_WRITE_ITEMS]}
            for attempt in range(8):
                pending = self._call("batch_write_item", RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
                self._sleep(_backoff(attempt))
            else:
                raise TableUnavailable("BatchWriteItem kept returning unprocessed items")

    def scan(self) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {"TableName": self.table_name}
        while True:
            response = self._call("scan", **request)
            yield from (from_attributes(raw) for raw in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _call(self, operation: str, **request: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self.client, operation)(**request)
        except (ClientError, BotoCoreError) as error:
            raise TableUnavailable(f"{operation}: {error}") from error
        return response


# The attributes of list summaries, named through placeholders: some are DynamoDB reserved words.
_TITLE_SUMMARY = {"#title": "title", "#type": "type", "#users": "users", "#updatedAt": "updatedAt"}
_USER_SUMMARY = {"#title": "title", "#user": "user", "#type": "type", "#updatedAt": "updatedAt"}


@dataclass(frozen=True)
class _Prepared:
    write: Write
    actions: list[dict[str, Any]]
    size: int


def _packs(prepared: Sequence[_Prepared]) -> Iterator[list[_Prepared]]:
    pack: list[_Prepared] = []
    count = size = 0
    for entry in prepared:
        if pack and (
            count + len(entry.actions) > MAX_TRANSACTION_ITEMS or size + entry.size > MAX_TRANSACTION_BYTES
        ):
            yield pack
            pack, count, size = [], 0, 0
        pack.append(entry)
        count += len(entry.actions)
        size += entry.size
    if pack:
        yield pack


def _backoff(attempt: int) -> float:
    return random.uniform(0, min(2.0, 0.05 * 2**attempt))
