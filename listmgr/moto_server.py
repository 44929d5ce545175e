"""moto in server mode, in this process, made safe for concurrent writers.

moto's TransactWriteItems is not isolated: it deep-copies the whole table before a transaction
and, when the transaction is cancelled, puts that copy back, which undoes every write other
threads committed in the meantime (and the copy itself can fail with "dictionary changed size
during iteration"). AWS serializes transactions per item; the listener relies on that when a
parallelization factor above 1 sends concurrent batches at one aggregate. So every operation of
moto's DynamoDB and DynamoDB Streams backends runs under one lock here: slower under
concurrency, but what a transaction sees and does is what AWS would let it see and do.
"""

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.RLock()


def start(host: str, port: int) -> Any:
    """A started ThreadedMotoServer on host:port (stop it with `.stop()`)."""
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - heavy; only the local stack needs it

    serialize_dynamodb()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    return server


def serialize_dynamodb() -> None:
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend  # noqa: PLC0415

    for backend in (DynamoDBBackend, DynamoDBStreamsBackend):
        if getattr(backend, "_listmgr_serialized", False):
            continue
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
