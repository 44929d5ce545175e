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
and a transaction made only of Put, Delete and ConditionCheck actions checks every condition
first and writes only when all hold: under the lock nothing can come between the check and the
writes, and nothing needs to be copied or rolled back. Transactions with Update actions keep
moto's own implementation (still under the lock, so they are isolated too).

Kinesis too: moto's Shard.put_record ("not safe for concurrency", it says) numbers a record as the
last sequence number plus one, so two PutRecords at once (the trigger publishing while a client
sends) give two records one number and the second replaces the first: the stream acknowledged a
record it then lost (the soak, tests/e2e/test_soak.py, lost 1,694 of 50,000 that way), and a
GetRecords iterating a shard while a put appends to it fails with "OrderedDict mutated during
iteration".
"""

import functools
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from listmgr.endpoint import Endpoint

_lock = threading.RLock()


def start(host: str, port: int) -> "Endpoint":
    """moto's server app on host:port, over HTTP/1.1 and cleartext HTTP/2 (stop it with `.stop()`).

    The app is the one moto's own ThreadedMotoServer serves; only the HTTP server differs,
    since werkzeug's speaks no HTTP/2 (listmgr/endpoint.py says why that matters)."""
    from moto.moto_server.werkzeug_app import (  # noqa: PLC0415 - heavy; only the local stack needs it
        DomainDispatcherApplication,
        create_backend_app,
    )

    from listmgr.endpoint import serve  # noqa: PLC0415 - imports hypercorn

    serialize_backends()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    return serve(DomainDispatcherApplication(create_backend_app), host, port)


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
                setattr(backend, name, _serialized(member))
        setattr(backend, "_listmgr_serialized", True)  # noqa: B010 - a marker on a foreign class


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*arguments: Any, **keywords: Any) -> Any:
        with _lock:
            return method(*arguments, **keywords)

    return locked


_SIMPLE_ACTIONS = frozenset({"Put", "Delete", "ConditionCheck"})


def _check_then_write(moto_transaction: Callable[..., None]) -> Callable[..., None]:
    from moto.dynamodb.comparisons import get_filter_expression  # noqa: PLC0415
    from moto.dynamodb.exceptions import TransactionCanceledException  # noqa: PLC0415

    @functools.wraps(moto_transaction)
    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        actions = [next(iter(item.items())) for item in transact_items if len(item) == 1]
        keys = [_key(backend, kind, action) for kind, action in actions]
        targets = {
            (action["TableName"], repr(sorted(key.items())))
            for (_, action), key in zip(actions, keys, strict=False)
        }
        if (
            len(actions) != len(transact_items)
            or len(actions) > 100
            or any(kind not in _SIMPLE_ACTIONS for kind, _ in actions)
            or len(targets) != len(actions)
        ):
            moto_transaction(backend, transact_items)  # validation errors and Update actions
            return
        reasons: list[tuple[str | None, str | None, Any]] = []
        for (_, action), key in zip(actions, keys, strict=True):
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
        for (kind, action), key in zip(actions, keys, strict=True):
            if kind == "Put":
                backend.put_item(action["TableName"], action["Item"])
            elif kind == "Delete":
                backend.delete_item(action["TableName"], key)

    return transact_write_items


def _key(backend: Any, kind: str, action: dict[str, Any]) -> dict[str, Any]:
    if kind != "Put":
        return dict(action.get("Key") or {})
    table = backend.get_table(action["TableName"])
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: action["Item"][name] for name in names if name in action["Item"]}
