"""The list store on DynamoDB: the only module that speaks DynamoDB for lists.

The listener reads the titles and user lists a batch names with consistent BatchGetItem calls:
each user-list item holds the outcomes of its recent changes, so an id is looked up in a change
item of its own only when its user list has moved outcomes out within the window. It stores its
writes with TransactWriteItems: each write puts a title's aggregate, conditioned on the version
it was planned from, together with its user lists and the outcomes they keep; the outcomes that
move out of an item are put before, with BatchWriteItem (plain puts cost half a transactional
one). Several titles share one transaction up to DynamoDB's 100 items and 4 MB, so a batch of a
thousand records costs a few dozen requests.
"""

import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.adapters.dynamodb import attributes, layout
from shared.adapters.dynamodb.layout import Key
from shared.adapters.dynamodb.outcomes import NO_OUTCOMES, Outcomes, digest
from shared.lists.aggregate import Aggregate
from shared.lists.coalesce import TitleState, Write
from shared.lists.dedup import DedupSettings, Remembered
from shared.lists.store import (
    CommitResult,
    StoredList,
    StoreUnavailable,
    TitleSummary,
    UserSummary,
    Wanted,
)
from shared.lists.user_list import UserList

MAX_TRANSACTION_ITEMS = 100
MAX_TRANSACTION_BYTES = 4_000_000
MAX_BATCH_GET_KEYS = 100
MAX_BATCH_WRITE_ITEMS = 25
MAX_QUERIES_PER_PAGE = 2


class TableUnavailable(StoreUnavailable):
    """DynamoDB refused or could not serve a request after the SDK's own retries: retry later."""


class Refused(Exception):
    """DynamoDB refused a transaction as invalid: it would refuse it every time."""


class DynamoListStore:
    def __init__(
        self,
        client: Any,
        table_name: str,
        dedup: DedupSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.table_name = table_name
        self._window_hours = (dedup or DedupSettings()).window_hours
        self._sleep = sleep

    # -- the listener's side ---------------------------------------------------------------------

    def load(self, wanted: Wanted) -> dict[str, TitleState]:
        keys: list[Key] = []
        for title, users in wanted.items():
            keys.append(layout.aggregate_key(title))
            keys += [layout.user_list_key(title, user) for user in users]
        found = self.get_many(keys)
        outcomes = {
            (title, user): layout.outcomes_from_item(found.get(layout.user_list_key(title, user)))
            for title, users in wanted.items()
            for user in users
        }
        # Each id's digest once: it finds the outcome in the item, tries the filters and keys
        # the change item.
        digests = {
            (title, user): {event_id: digest(user, event_id) for event_id in ids}
            for title, users in wanted.items()
            for user, ids in users.items()
        }
        moved_out = self.get_many(
            [
                layout.digest_key(title, key)
                for (title, user), by_id in digests.items()
                for key in self._elsewhere(outcomes[(title, user)], by_id.values())
            ]
        )
        states = {}
        for title, users in wanted.items():
            aggregate = found.get(layout.aggregate_key(title))
            slots, known, carried, held = {}, {}, {}, {}
            for user in users:
                item = found.get(layout.user_list_key(title, user))
                kept = outcomes[(title, user)]
                if item is not None:
                    slots[user] = layout.slot_from_item(item)
                    carried[user] = _Loaded(kept, layout.version_of(item))
                    held[user] = layout.outcome_bytes(item)
                for event_id, key in digests[(title, user)].items():
                    outcome = kept.find(key) or _remembered(moved_out.get(layout.digest_key(title, key)))
                    if outcome is not None:
                        known[(user, event_id)] = outcome
            states[title] = TitleState(
                title=title,
                aggregate=layout.aggregate_from_item(aggregate),
                version=layout.version_of(aggregate),
                slots=slots,
                known=known,
                carried=carried,
                held=held,
            )
        return states

    @staticmethod
    def _elsewhere(outcomes: Outcomes, keys: Iterable[bytes]) -> list[bytes]:
        """The digests of ids an item does not hold that may be in change items of their own."""
        if not outcomes.moved_out:
            return []
        return [key for key in keys if outcomes.find(key) is None and outcomes.may_have_moved_out(key)]

    def get_many(self, keys: Sequence[Key]) -> dict[Key, dict[str, Any]]:
        """Items by key, read consistently, 100 keys a request."""
        unique = list(dict.fromkeys(keys))
        found: dict[Key, dict[str, Any]] = {}
        for start in range(0, len(unique), MAX_BATCH_GET_KEYS):
            pending: dict[str, Any] = {
                self.table_name: {
                    "Keys": [
                        attributes.to_attributes(layout.as_key(key))
                        for key in unique[start : start + MAX_BATCH_GET_KEYS]
                    ],
                    "ConsistentRead": True,
                }
            }
            for attempt in range(8):
                response = self._call("batch_get_item", RequestItems=pending)
                for raw in response.get("Responses", {}).get(self.table_name, []):
                    item = attributes.from_attributes(raw)
                    found[layout.key_of(item)] = item
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
                self._sleep(_backoff(attempt))
            else:
                raise TableUnavailable("BatchGetItem kept returning unprocessed keys")
        return found

    def commit(self, writes: Mapping[str, Sequence[Write]], expires_at: int) -> CommitResult:
        """Stores each title's writes in order, packing titles into shared transactions.

        A title whose write is refused (its aggregate or a user list moved on) is reported stale
        and its later writes are not tried; the other titles of that transaction are tried again.
        A write's user lists start from what the previous write of this call left them, or from
        what the load read (the write's `carried`)."""
        result = CommitResult()
        queues = {title: deque(title_writes) for title, title_writes in writes.items() if title_writes}
        kept: dict[tuple[str, str], _Loaded] = {}
        while queues:
            prepared = [self._prepare(queue[0], expires_at, kept) for queue in queues.values()]
            for pack in _packs(prepared):
                for title, outcome in self._transact_titles(pack).items():
                    if outcome is None:
                        result.committed[title] = result.committed.get(title, 0) + 1
                        entry = next(entry for entry in pack if entry.write.title == title)
                        version = entry.write.version
                        kept.update(
                            {
                                (title, user): _Loaded(each, version)
                                for user, each in entry.stored.outcomes.items()
                            }
                        )
                        queues[title].popleft()
                        if queues[title]:
                            continue
                    elif isinstance(outcome, Refused):
                        result.refused[title] = str(outcome)
                    elif isinstance(outcome, Exception):
                        result.failed[title] = outcome
                    elif title in outcome:
                        result.stale.add(title)
                    else:
                        continue
                    del queues[title]
        return result

    def _transact_titles(self, pack: Sequence["_Prepared"]) -> dict[str, set[str] | Exception | None]:
        """The outcome of a pack, title by title. A pack DynamoDB refuses as invalid is sent again
        one title at a time, so only the title that cannot be stored is refused, never the others
        that shared its transaction. The outcomes moving out of the pack's items are put first:
        they are final (decided by writes that committed), so putting them again is harmless."""
        try:
            self._write_many(
                [
                    {"PutRequest": {"Item": attributes.to_attributes(item)}}
                    for e in pack
                    for item in e.stored.moved_out
                ]
            )
        except TableUnavailable as error:
            return {entry.write.title: error for entry in pack}
        outcome = self._transact(pack)
        if isinstance(outcome, Refused) and len(pack) > 1:
            return {entry.write.title: self._transact([entry]) for entry in pack}
        return {entry.write.title: outcome for entry in pack}

    def _prepare(
        self, write: Write, expires_at: int, kept: Mapping[tuple[str, str], "_Loaded"]
    ) -> "_Prepared":
        loaded = {
            user: kept.get((write.title, user)) or _loaded(write.carried.get(user)) for user in write.slots
        }
        earlier = {user: each.outcomes for user, each in loaded.items()}
        stored = layout.stored_write(write, earlier, expires_at, self._window_hours)
        versions = [write.expected_version, *(each.version for each in loaded.values())]
        actions = layout.transact_actions(self.table_name, stored, versions)
        return _Prepared(write, stored, actions, sum(stored.sizes))

    def _transact(self, pack: Sequence["_Prepared"]) -> set[str] | Exception | None:
        """None when stored; the titles whose version moved on when cancelled; Refused when it
        can never be stored; the error when it failed for a cause that may pass."""
        actions: list[dict[str, Any]] = []
        title_at: list[str] = []
        for entry in pack:
            title_at += [entry.write.title] * len(entry.actions)
            actions += entry.actions
        try:
            self.client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "ValidationException":
                # Sent again it would be refused again: the limits should make this impossible,
                # and if they ever do not, its records are faults rather than a retry loop.
                return Refused(f"DynamoDB refused the write: {error.response['Error'].get('Message', '')}")
            if code != "TransactionCanceledException":
                return TableUnavailable(f"TransactWriteItems: {error}")
            reasons = error.response.get("CancellationReasons") or []
            refused = {
                title_at[index]
                for index, reason in enumerate(reasons)
                if index < len(title_at)
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

    # -- reads -----------------------------------------------------------------------------------

    def get(self, key: Key) -> dict[str, Any] | None:
        response = self._call(
            "get_item",
            TableName=self.table_name,
            Key=attributes.to_attributes(layout.as_key(key)),
            ConsistentRead=True,
        )
        return attributes.from_attributes(response["Item"]) if "Item" in response else None

    def aggregate(self, title: str) -> Aggregate | None:
        return layout.aggregate_from_item(self.get(layout.aggregate_key(title)))

    def user_list(self, title: str, user: str) -> UserList | None:
        return layout.user_list_from_item(self.get(layout.user_list_key(title, user)))

    def change(self, title: str, user: str, event_id: str) -> Remembered | None:
        outcomes = layout.outcomes_from_item(self.get(layout.user_list_key(title, user)))
        key = digest(user, event_id)
        if not self._elsewhere(outcomes, [key]):
            return outcomes.find(key)
        return _remembered(self.get(layout.digest_key(title, key)))

    def query_page(
        self, limit: int, start: Mapping[str, Any] | None, **query: Any
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Up to `limit` items of a query after `start`, and the key to go on from (None at the end).

        At most MAX_QUERIES_PER_PAGE queries: where a filter leaves out many items (tombstones:
        deleted lists, or users who only have an outcome kept), a page comes back shorter, with
        the key to go on from, so no one request reads an unbounded number of items."""
        found: list[dict[str, Any]] = []
        last: dict[str, Any] | None = dict(start) if start else None
        for _ in range(MAX_QUERIES_PER_PAGE):
            request = dict(query, TableName=self.table_name, Limit=limit + 1 - len(found))
            if last:
                request["ExclusiveStartKey"] = attributes.to_attributes(last)
            response = self._call("query", **request)
            found += [attributes.from_attributes(raw) for raw in response.get("Items", [])]
            last = (
                attributes.from_attributes(response["LastEvaluatedKey"])
                if "LastEvaluatedKey" in response
                else None
            )
            if last is None or len(found) > limit:
                break
        if len(found) <= limit:
            return found, last
        page = found[:limit]
        key_names = ("pk", "sk", *((query.get("IndexName") and ("gsi1pk", "gsi1sk")) or ()))
        return page, {name: page[-1][name] for name in key_names}

    def titles_page(self, limit: int, after: str | None) -> tuple[list[TitleSummary], str | None]:
        start = None
        if after is not None:
            start = {
                **layout.as_key(layout.aggregate_key(after)),
                "gsi1pk": layout.TITLES_PARTITION,
                "gsi1sk": after,
            }
        found, next_key = self.query_page(
            limit,
            start,
            IndexName=layout.TITLES_INDEX,
            KeyConditionExpression="gsi1pk = :titles",
            ExpressionAttributeValues={":titles": {"S": layout.TITLES_PARTITION}},
            ProjectionExpression="pk, sk, gsi1pk, gsi1sk, #title, #type, #users, #updatedAt",
            ExpressionAttributeNames=_TITLE_SUMMARY,
        )
        page = [
            TitleSummary(item["title"], item["type"], int(item["users"]), int(item["updatedAt"]))
            for item in found
        ]
        return page, None if next_key is None else str(next_key["gsi1sk"])

    def users_page(self, title: str, limit: int, after: str | None) -> tuple[list[UserSummary], str | None]:
        """The live user lists of `title` in user order (title, user, type, updatedAt only)."""
        start = None if after is None else layout.as_key(layout.user_list_key(title, after))
        found, next_key = self.query_page(
            limit,
            start,
            KeyConditionExpression="pk = :title AND begins_with(sk, :users)",
            FilterExpression="attribute_not_exists(deleted)",
            ExpressionAttributeValues={
                ":title": {"S": layout.title_key(title)},
                ":users": {"S": layout.USER_PREFIX},
            },
            ProjectionExpression="pk, sk, #title, #user, #type, #updatedAt",
            ExpressionAttributeNames=_USER_SUMMARY,
        )
        page = [
            UserSummary(item["title"], item["user"], item["type"], int(item["updatedAt"])) for item in found
        ]
        return page, None if next_key is None else str(next_key["sk"]).removeprefix(layout.USER_PREFIX)

    # -- administration --------------------------------------------------------------------------

    def lists(self) -> Iterator[StoredList]:
        for item in self.scan():
            if item.get("kind") == layout.AGGREGATE:
                yield StoredList(item["title"], None, layout.aggregate_from_item(item))
            elif item.get("kind") == layout.USER_LIST:
                yield StoredList(item["title"], item["user"], layout.user_list_from_item(item))

    def put(self, writes: Sequence[Write], expires_at: int) -> int:
        """Stores the writes as they are, each user list keeping the outcomes its item holds (a
        rebuild replaces lists, never what was decided for them). The writes' own outcomes are
        of changes already archived, so what does not fit an item moves out at once: a hot
        list's window of ids would not fit in one."""
        keys = [layout.user_list_key(write.title, user) for write in writes for user in write.slots]
        found = self.get_many(keys)
        stored = [
            layout.stored_write(
                write,
                {
                    user: layout.outcomes_from_item(found.get(layout.user_list_key(write.title, user)))
                    for user in write.slots
                },
                expires_at,
                self._window_hours,
                final=True,
            )
            for write in writes
        ]
        moved_out = [item for each in stored for item in each.moved_out]
        new_items = [item for each in stored for item in each.items]
        self._write_many(
            [{"PutRequest": {"Item": attributes.to_attributes(item)}} for item in moved_out + new_items]
        )
        return len(new_items)

    def remove(self, lists: Sequence[StoredList]) -> None:
        """Removes the lists; a user list whose item keeps outcomes leaves a tombstone that keeps
        them until they expire."""
        keys = [
            layout.aggregate_key(stored.title)
            if stored.user is None
            else layout.user_list_key(stored.title, stored.user)
            for stored in lists
        ]
        kept = [layout.kept_tombstone(item, self._window_hours) for item in self.get_many(keys).values()]
        tombstones = [item for item in kept if item is not None]
        self._write_many([{"PutRequest": {"Item": attributes.to_attributes(item)}} for item in tombstones])
        self._delete_many([key for key in keys if key not in {layout.key_of(item) for item in tombstones}])

    def purge(self) -> int:
        """Removes every list and every remembered change."""
        keys = [
            layout.key_of(item)
            for item in self.scan()
            if item.get("kind") in (*layout.LIST_KINDS, layout.CHANGE)
        ]
        self._delete_many(keys)
        return sum(1 for key in keys if not key[1].startswith(layout.CHANGE_PREFIX))

    def _delete_many(self, keys: Sequence[Key]) -> None:
        self._write_many(
            [{"DeleteRequest": {"Key": attributes.to_attributes(layout.as_key(key))}} for key in keys]
        )

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
            yield from (attributes.from_attributes(raw) for raw in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def describe(self) -> None:
        """Returns when the table answers (GET /health)."""
        self._call("describe_table", TableName=self.table_name)

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
    stored: layout.StoredWrite
    actions: list[dict[str, Any]]
    size: int


def _remembered(change_item: Mapping[str, Any] | None) -> Remembered | None:
    return layout.remembered_from_item(change_item) if change_item is not None else None


@dataclass(frozen=True)
class _Loaded:
    """What a write of a user list starts from beside its slot: the outcomes its item keeps and
    the version it is at (0: no item), which the write's put of it is conditioned on."""

    outcomes: Outcomes
    version: int


def _loaded(carried: object) -> _Loaded:
    """What a load carried for a user list (no item, for one it did not find)."""
    return carried if isinstance(carried, _Loaded) else _Loaded(NO_OUTCOMES, 0)


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
