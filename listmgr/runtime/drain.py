"""Draining the local stack on Ctrl-C: no new writes, then every mapping runs until nothing moves.

Writes stop first (the API answers 503, see WriteGate), so the only records still to come are
the ones the functions themselves write (the listener's table changes, the trigger's events).
The stack is drained once, after a moment at which no mapping had a record in flight, every
mapping has read each of its shards to the newest record with a read asked after that moment,
and none checkpointed anything since. A function writes only while its records are in flight,
so such a read sees everything it wrote; if none of them found anything, nothing is left.
While it waits, `listmgr up` goes on showing what each mapping does (listmgr/cli/progress.py).
"""

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from listmgr.runtime.functions import whole_response
from listmgr.runtime.mappings.mapping import Activity

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOK_EVERY = 0.2
"""Seconds between looks at the mappings while draining."""


class Drainable(Protocol):
    """What the drain watches of an event source mapping."""

    def activity(self) -> Activity: ...
    def clock(self) -> float: ...


class WriteGate:
    """WSGI middleware: writes pass until `close`, then get 503 `draining`; reads always pass."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self._closed = threading.Event()
        self._writing = 0
        self._idle = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD", "GET").upper() not in WRITE_METHODS:
            return self.app(environ, start_response)
        with self._idle:
            if self._closed.is_set():
                return _draining(start_response)
            self._writing += 1
        try:
            # The write is done (published) once the whole response is made, so make it here.
            return whole_response(self.app, environ, start_response)
        finally:
            with self._idle:
                self._writing -= 1
                self._idle.notify_all()

    def close(self, timeout: float) -> bool:
        """Refuses writes from now on; waits up to `timeout` seconds for the ones under way."""
        with self._idle:
            self._closed.set()
            return self._idle.wait_for(lambda: self._writing == 0, timeout)


def _draining(start_response: Callable[..., Any]) -> list[bytes]:
    body = json.dumps(
        {
            "error": {
                "code": "draining",
                "message": "the local stack is stopping and accepts no writes; send it again once it runs",
            }
        }
    ).encode()
    start_response(
        "503 Service Unavailable",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Retry-After", "5")],
    )
    return [body]


@dataclass(frozen=True)
class _Quiet:
    """A moment at which no mapping had a record in flight."""

    checkpointed: tuple[int, ...]
    clocks: tuple[float, ...]


def drain(mappings: Sequence[Drainable], forced: threading.Event) -> bool:
    """Waits until nothing moves any more (True) or until `forced` is set (False)."""
    quiet: _Quiet | None = None
    while True:
        activity = [mapping.activity() for mapping in mappings]
        if forced.is_set():
            return False
        if any(item.in_flight for item in activity):
            quiet = None
        else:
            checkpointed = tuple(item.checkpointed for item in activity)
            if quiet is not None and quiet.checkpointed == checkpointed and _read_since(activity, quiet):
                return True
            if quiet is None or quiet.checkpointed != checkpointed:
                quiet = _Quiet(checkpointed, tuple(mapping.clock() for mapping in mappings))
        forced.wait(LOOK_EVERY)


def _read_since(activity: Sequence[Activity], quiet: _Quiet) -> bool:
    return all(item.read_up_to >= moment for item, moment in zip(activity, quiet.clocks, strict=True))
