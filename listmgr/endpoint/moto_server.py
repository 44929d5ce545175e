"""moto in server mode, in this process, with DynamoDB transactions that behave like AWS's.

moto's TransactWriteItems deep-copies every table it touches before each transaction and, when
the transaction is cancelled, puts the copy back. That has two consequences AWS does not have:
- it is not isolated: the restored copy undoes every write other threads committed meanwhile
  (and copying a table while another thread writes it can fail outright). AWS serializes
  transactions per item; the listener relies on that when a parallelization factor above 1
  sends concurrent batches at one aggregate;
- it costs time and memory in proportion to the whole table, so a local stack slows down and
  grows by gigabytes as its tables fill.
So here every operation of moto's DynamoDB and DynamoDB Streams backends runs under one lock,
and every transaction is validated as a whole first, as DynamoDB does (the number of actions,
key schemas, item and request sizes, one action per item), so a request DynamoDB would refuse
writes nothing. One made only of Put, Delete and ConditionCheck actions then checks every
condition and writes only when all hold: under the lock nothing can come between the check
and the writes, and nothing needs to be copied or rolled back. Transactions with Update actions
keep moto's own implementation (still under the lock, so they are isolated too).

Kinesis too: moto's Shard.put_record ("not safe for concurrency", it says) numbers a record as the
last sequence number plus one, so two PutRecords at once (the trigger publishing while a client
sends) give two records one number and the second replaces the first: the stream acknowledged a
record it then lost (the soak, tests/e2e/test_soak.py, lost 1,694 of 50,000 that way), and a
GetRecords iterating a shard while a put appends to it fails with "OrderedDict mutated during
iteration".

And moto's Kinesis shard looks for records from its first one on every call: GetRecords walks the
whole shard in Python to find the records after an iterator, and every put lists every sequence
number to find the last. A read or a put costs time in proportion to the stream, so a local stack
slows down the longer it runs (the soak's 100,000 records ran at half the rate of its first
10,000). `fast_kinesis_shards` answers both from an index of the shard's sequence numbers.
"""

import base64
import bisect
import datetime
import functools
import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from listmgr.endpoint.http_server import Endpoint

from listmgr.endpoint import fan_out, sequence_numbers
from shared.adapters.dynamodb.capacity import item_size

dynamodb_lock = threading.RLock()
"""Held by every call of moto's DynamoDB and DynamoDB Streams backends (`serialize_backends`);
whatever reads or writes their tables directly holds it too (listmgr.endpoint.moto_tables)."""
_kinesis = threading.RLock()


def start(host: str, port: int) -> "Endpoint":
    """moto's server app on host:port, over HTTP/1.1 and cleartext HTTP/2 (stop it with `.stop()`).

    The app is the one moto's own ThreadedMotoServer serves; only the HTTP server differs,
    since werkzeug's speaks no HTTP/2 (listmgr/endpoint/http_server.py says why that matters)."""
    from moto.moto_server.werkzeug_app import (  # noqa: PLC0415 - heavy; only the local stack needs it
        DomainDispatcherApplication,
        create_backend_app,
    )

    from listmgr.endpoint.http_server import serve  # noqa: PLC0415 - imports hypercorn

    patch_backends()
    fast_stream_records()
    fast_kinesis_shards()
    fan_out.refuse_subscribe_to_shard()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    return serve(DomainDispatcherApplication(create_backend_app), host, port)


def patch_backends() -> None:
    """Everything moto's backends need here to behave like AWS; whatever serves them calls it first."""
    serialize_backends()
    sequence_numbers.grow_across_restarts()


def serialize_backends() -> None:
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend  # noqa: PLC0415
    from moto.kinesis.models import KinesisBackend  # noqa: PLC0415

    for backend in (DynamoDBBackend, DynamoDBStreamsBackend, KinesisBackend):
        if getattr(backend, "_listmgr_serialized", False):
            continue
        if backend is DynamoDBBackend:
            setattr(backend, "transact_write_items", _check_then_write(backend.transact_write_items))  # noqa: B010
        for name, member in list(vars(backend).items()):
            if callable(member) and not name.startswith("_"):
                # A lock of Kinesis's own: its calls need not wait for DynamoDB's.
                lock = _kinesis if backend is KinesisBackend else dynamodb_lock
                setattr(backend, name, _serialized(member, lock))
        setattr(backend, "_listmgr_serialized", True)  # noqa: B010 - a marker on a foreign class


def fast_stream_records() -> None:
    """DynamoDB Streams GetRecords answered with json.dumps of what moto's backend returns.

    moto keeps each stream record in the wire format already (AttributeValue images, only the
    creation time a datetime), yet its model-driven response serializer walks every attribute of
    every image: under `make bench`'s 10,000-record load that was a third of the whole stack's CPU
    (py-spy), and it shares one GIL with the functions."""
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler  # noqa: PLC0415

    if getattr(DynamoDBStreamsHandler, "_listmgr_fast", False):
        return

    def get_records(handler: Any) -> str:
        limit = handler._get_param("Limit")
        result = handler.backend.get_records(
            handler._get_param("ShardIterator"), 1000 if limit is None else limit
        )
        return json.dumps(result, default=_wire_value)

    setattr(DynamoDBStreamsHandler, "get_records", get_records)  # noqa: B010 - a foreign class
    setattr(DynamoDBStreamsHandler, "_listmgr_fast", True)  # noqa: B010


def fast_kinesis_shards() -> None:
    """moto's Kinesis Shard reading and numbering its records through a sorted index of their numbers.

    A shard's `records` is an insertion-ordered dict whose keys only grow: every record is
    appended with a larger number than the last, and resharding replaces the dict as a whole.
    So the index is the list of its keys, extended with the newest keys when the dict has grown
    (reading them from its end) and rebuilt when the dict was replaced. The backend's calls run
    under one lock (`serialize_backends`), which covers the index too."""
    from moto.kinesis.models import Shard  # noqa: PLC0415

    if getattr(Shard, "_listmgr_indexed", False):
        return

    def numbers(shard: Any) -> list[int]:
        records = shard.records
        indexed = getattr(shard, "_listmgr_index", None)
        if indexed is None or indexed[0] is not records:
            indexed = (records, list(records))
            shard._listmgr_index = indexed
        keys: list[int] = indexed[1]
        missing = len(records) - len(keys)
        if missing > 0:
            newest = reversed(records)
            keys.extend(reversed([next(newest) for _ in range(missing)]))
        return keys

    def get_records(shard: Any, last_sequence_id: str, limit: int | None) -> tuple[list[Any], int, int]:
        keys = numbers(shard)
        start = bisect.bisect_right(keys, int(last_sequence_id))
        chosen = keys[start:] if limit is None else keys[start : start + limit]
        if not chosen:
            return [], int(last_sequence_id), 0
        records = [shard.records[number] for number in chosen]
        behind = shard.records[keys[-1]].created_at - records[-1].created_at
        return records, chosen[-1], int(behind * 1000)

    def get_min_sequence_number(shard: Any) -> int:
        keys = numbers(shard)
        return keys[0] if keys else 0

    def get_max_sequence_number(shard: Any) -> int:
        keys = numbers(shard)
        return keys[-1] if keys else 0

    setattr(Shard, "get_records", get_records)  # noqa: B010 - a foreign class
    setattr(Shard, "get_min_sequence_number", get_min_sequence_number)  # noqa: B010
    setattr(Shard, "get_max_sequence_number", get_max_sequence_number)  # noqa: B010
    setattr(Shard, "_listmgr_indexed", True)  # noqa: B010


def _wire_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        # Epoch seconds to the millisecond, as moto's own serializer writes a timestamp; its
        # datetimes are naive UTC.
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        return int(moment.timestamp() * 1000) / 1000
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _serialized(method: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*arguments: Any, **keywords: Any) -> Any:
        with lock:
            return method(*arguments, **keywords)

    return locked


_SIMPLE_ACTIONS = frozenset({"Put", "Delete", "ConditionCheck"})
_ACTIONS = _SIMPLE_ACTIONS | {"Update"}
MAX_ACTIONS = 100
MAX_ITEM_SIZE = 400 * 1024
MAX_TRANSACTION_SIZE = 4 * 1024 * 1024


def _check_then_write(moto_transaction: Callable[..., None]) -> Callable[..., None]:
    from moto.dynamodb.comparisons import get_filter_expression  # noqa: PLC0415
    from moto.dynamodb.exceptions import TransactionCanceledException  # noqa: PLC0415

    @functools.wraps(moto_transaction)
    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        actions = _validated(backend, transact_items)
        if any(kind not in _SIMPLE_ACTIONS for kind, _, _ in actions):
            moto_transaction(backend, transact_items)  # Update actions
            return
        reasons: list[tuple[str | None, str | None, Any]] = []
        for _, action, key in actions:
            condition = action.get("ConditionExpression")
            current = backend.get_item(action["TableName"], key) if condition else None
            if condition is None or get_filter_expression(
                condition, action.get("ExpressionAttributeNames"), action.get("ExpressionAttributeValues")
            ).expr(current):
                reasons.append((None, None, None))
                continue
            old = (
                current.to_json()["Attributes"]
                if current and action.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
                else None
            )
            reasons.append(("ConditionalCheckFailed", "The conditional request failed", old))
        if any(code is not None for code, _, _ in reasons):
            raise TransactionCanceledException(reasons)
        for kind, action, key in actions:
            if kind == "Put":
                backend.put_item(action["TableName"], action["Item"])
            elif kind == "Delete":
                backend.delete_item(action["TableName"], key)

    return transact_write_items


def _validated(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], Any]]:
    """Each action as (kind, action, key), once the whole request passed what DynamoDB checks
    before it writes anything: the number of actions, one operation per action on an existing
    table, keys that match the table's schema, item sizes (400 KB each, 4 MB in all) and no item
    named twice. A request that fails any of them is refused as a whole."""
    from moto.dynamodb.exceptions import (  # noqa: PLC0415
        ItemSizeTooLarge,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > MAX_ACTIONS:
        raise TooManyTransactionsException()
    actions: list[tuple[str, dict[str, Any], Any]] = []
    targets: set[tuple[str, str]] = set()
    total = 0
    for item in transact_items:
        if len(item) != 1:
            raise TransactWriteSingleOpException()
        ((kind, action),) = item.items()
        if kind not in _ACTIONS:
            raise MockValidationException(f"Unsupported transaction operation {kind}")
        table = backend.get_table(action["TableName"])
        attributes = action["Item"] if kind == "Put" else action.get("Key") or {}
        key = _schema_key(table, attributes, whole_key=kind != "Put")
        if kind == "Put":
            table._validate_item_types(attributes)  # moto's own checks of numbers and types
            if item_size(attributes) > MAX_ITEM_SIZE:
                raise ItemSizeTooLarge()
        table._validate_key_sizes(attributes)
        target = (table.name, repr(sorted(key.items())))
        if target in targets:
            raise MultipleTransactionsException()
        targets.add(target)
        total += item_size(attributes)
        actions.append((kind, action, key))
    if total > MAX_TRANSACTION_SIZE:
        raise MockValidationException("Transaction request cannot be larger than 4 MB")
    return actions


def _schema_key(table: Any, attributes: dict[str, Any], whole_key: bool) -> dict[str, Any]:
    """The item's key under the table's schema, refused as DynamoDB refuses it: a key attribute
    missing or of the wrong type, or (for a Key) attributes that are not the key's."""
    from moto.dynamodb.exceptions import InvalidAttributeTypeError, MockValidationException  # noqa: PLC0415

    schema = [(table.hash_key_attr, table.hash_key_type)]
    if table.range_key_attr:
        schema.append((table.range_key_attr, table.range_key_type))
    if whole_key and set(attributes) != {name for name, _ in schema}:
        raise MockValidationException("The provided key element does not match the schema")
    key = {}
    for name, expected in schema:
        if name not in attributes:
            raise MockValidationException(
                f"One or more parameter values were invalid: Missing the key {name} in the item"
            )
        ((actual, _),) = attributes[name].items()
        if actual != expected:
            raise InvalidAttributeTypeError(name, expected_type=expected, actual_type=actual)
        key[name] = attributes[name]
    return key
