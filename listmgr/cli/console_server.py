"""The console's local endpoints: what only a running `listmgr up` knows, for the page at /ui/
(services/api/console/): the events published on the stream, each mapping's shards and lanes
and figures, and the on-failure queue with show and re-drive. README "Console".

They are the stack's, not the API's: the stack mounts them beside the API on its own port,
under /local/ (`beside`), so the page reaches them from its own origin. The deployed function
serves none of them, and the page shows these views only where /local/status answers.

Only this machine may use them: a request from another address, or naming another host (a
page elsewhere whose name was made to point at 127.0.0.1), gets 403; a re-drive must be sent
as JSON, which no other site's page can send here without a CORS preflight this app never
grants. The same code as `listmgr dlq` reads and re-drives the queue (listmgr/cli/dlq.py,
services/admin/redrive.py), and the same reading as `listmgr tail` follows the stream.
"""

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any, Protocol

from flask import Flask, Response, request

from listmgr.cli import commands, dlq
from listmgr.cli.progress import FAULTS_METRIC, FunctionTotals
from listmgr.runtime.functions import LocalFunction
from listmgr.runtime.mappings.mapping import EventSourceMapping
from listmgr.runtime.mappings.shards import ShardPoller
from services.admin import redrive
from services.admin.failed_batches import describe, fetch
from services.api.app import SECURITY_HEADERS
from services.api.errors import error_response, json_response

log = logging.getLogger("listmgr.console")
PREFIX = "/local"
KEPT_EVENTS = 1000
"""The newest events the event view keeps; older ones are forgotten (`listmgr tail` has them all)."""
MAX_PAGE = 500
LOOPBACK_ADDRESSES = frozenset({"127.0.0.1", "::1"})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RunningStack(Protocol):
    """What the endpoints read of the running stack (listmgr.cli.up.Stack)."""

    @property
    def mappings(self) -> Sequence[EventSourceMapping]: ...
    @property
    def totals(self) -> FunctionTotals: ...
    @property
    def functions(self) -> Mapping[str, LocalFunction]: ...
    @property
    def description(self) -> Mapping[str, Any]: ...


Records = Callable[[threading.Event], Iterable[Mapping[str, Any]]]
"""The stream's records from its oldest on, until the event is set."""


class EventLog:
    """The events published on the stream, numbered from 1 in the order they were read, the
    newest KEPT_EVENTS kept. One thread reads the stream, started by the first question: a stack
    nobody looks at pays nothing for it."""

    def __init__(self, records: Records) -> None:
        self._records = records
        self._events: deque[tuple[int, dict[str, Any]]] = deque(maxlen=KEPT_EVENTS)
        self._read = 0
        self._error: str | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def since(self, after: int, pattern: str, limit: int) -> dict[str, Any]:
        """The events numbered after `after` whose type matches the glob `pattern`, oldest first,
        at most `limit` (the newest ones); `last` is the number to ask after next time."""
        self._start()
        with self._lock:
            found = [
                {"n": number, "event": event}
                for number, event in self._events
                if number > after and fnmatchcase(str(event.get("type")), pattern)
            ]
            return {"events": found[-limit:], "last": self._read, "error": self._error}

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(target=self._follow, daemon=True, name="console-events")
                self._thread.start()

    def _follow(self) -> None:
        try:
            for record in self._records(self._stopping):
                event = commands.published_event(record["Data"])
                if event is not None:
                    with self._lock:
                        self._read += 1
                        self._events.append((self._read, event))
        except Exception as error:
            # Shown on the page; the stack's own work goes on without the view.
            log.warning("the console's event view stopped: %s", error)
            with self._lock:
                self._error = f"reading the stream failed ({type(error).__name__}: {error})"


def stream_of(stack: RunningStack) -> Records:
    """The stack's event stream read as `listmgr tail` reads it, from its oldest record."""

    def records(stopping: threading.Event) -> Iterator[Mapping[str, Any]]:
        description = stack.description
        kinesis = commands.aws_client(description, "kinesis")
        return commands.stream_records(
            kinesis, description["stream_name"], "TRIM_HORIZON", lambda: not stopping.is_set(), stopping.wait
        )

    return records


def mapping_view(mapping: EventSourceMapping, totals: FunctionTotals) -> dict[str, Any]:
    """One mapping's figures, those `listmgr up` prints (listmgr/cli/progress.py), and its shards."""
    counts = mapping.counts()
    return {
        "label": mapping.label,
        "function": mapping.function_key,
        "source": mapping.source.arn,
        "enabled": mapping.source.enabled,
        "read": counts.read,
        "filteredOut": counts.filtered_out,
        "delivered": counts.delivered,
        "batches": counts.invocations,
        "failedBatches": counts.failed_invocations,
        "retries": counts.retries,
        "discarded": counts.discarded,
        "iteratorAgeMs": counts.iterator_age_ms,
        "faults": totals.of(mapping.function_key).get(FAULTS_METRIC),
        "inFlight": mapping.activity().in_flight,
        "shards": [shard_view(poller) for poller in list(mapping.pollers.values())],
    }


def shard_view(poller: ShardPoller) -> dict[str, Any]:
    position = poller.position
    return {
        "shardId": poller.shard_id,
        "readTo": position.sequence_number if position.kind == "AFTER_SEQUENCE_NUMBER" else None,
        "checkpoint": poller.progress.checkpoint,
        "inFlight": len(poller.progress),
        "lanes": [{"waiting": len(lane.buffer)} for lane in poller.lanes],
    }


def local_app(stack: RunningStack, events: EventLog) -> Flask:
    """The endpoints, as a WSGI app whose paths all start with PREFIX."""
    app = Flask("listmgr.console")
    # One reader of the queue at a time: a look hides every message for a moment, and a
    # re-drive under way would miss the ones hidden by a look the page's polling sent meanwhile.
    queue_lock = threading.Lock()

    def failure_queue() -> dlq.Target:
        # In this process the functions are the stack's own, their lines routed to their files.
        try:
            return dlq.local_target(stack.description, dlq.invoking(lambda: stack.functions))
        except commands.CommandError as error:
            raise _Refused(404, "no_failure_queue", str(error)) from error

    @app.get(f"{PREFIX}/status")
    def status() -> Response:
        return json_response(
            200,
            {
                "stream": stack.description.get("stream_name"),
                "failureQueue": bool(stack.description.get("failure_queue_url")),
            },
        )

    @app.get(f"{PREFIX}/events")
    def published() -> Response:
        after = _integer(request.args.get("after", "0"), "after", 0, 2**63)
        limit = _integer(request.args.get("limit", str(MAX_PAGE)), "limit", 1, MAX_PAGE)
        return json_response(200, events.since(after, request.args.get("type") or "*", limit))

    @app.get(f"{PREFIX}/mappings")
    def mappings() -> Response:
        return json_response(200, {"mappings": [mapping_view(m, stack.totals) for m in stack.mappings]})

    @app.get(f"{PREFIX}/failures")
    def failures() -> Response:
        queue = failure_queue().queue
        with queue_lock:
            batches = sorted(queue.peek(), key=lambda batch: batch.timestamp)
        return json_response(
            200, {"messages": [describe(batch) for batch in batches], "unreadable": queue.unreadable}
        )

    @app.get(f"{PREFIX}/failures/<message_id>")
    def failure(message_id: str) -> Response:
        where = failure_queue()
        with queue_lock:
            batches = where.queue.peek()
        try:
            batch = redrive.select(batches, message_id)
        except LookupError as error:
            raise _Refused(404, "not_found", str(error)) from error
        fetched = fetch(batch, where.clients, where.region)
        return json_response(
            200,
            {
                "message": describe(batch),
                "document": batch.document,
                "records": [dlq.readable(record) for record in fetched.records],
                "missing": fetched.missing,
            },
        )

    @app.post(f"{PREFIX}/failures/redrive")
    def redrive_failures() -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("id"), str | None):
            raise _Refused(400, "invalid_request", 'the body is {"id": <message id>} or {} for every message')
        where = failure_queue()
        try:
            with queue_lock:
                results = redrive.redrive_queue(
                    where.queue, where.clients, where.region, where.invoke, body.get("id")
                )
        except LookupError as error:
            raise _Refused(404, "not_found", str(error)) from error
        return json_response(
            200,
            {
                "results": [
                    {"id": r.message_id, "deleted": r.deleted, "detail": r.detail, "records": r.records}
                    for r in results
                ],
                "unreadable": where.queue.unreadable,
            },
        )

    app.before_request(_only_this_machine)
    app.after_request(_secure)
    app.register_error_handler(
        _Refused, lambda refused: error_response(refused.status, refused.code, refused.message)
    )
    app.register_error_handler(404, lambda _: error_response(404, "not_found", "no such local endpoint"))
    app.register_error_handler(405, lambda _: error_response(405, "method_not_allowed", "not that method"))
    return app


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _only_this_machine() -> Response | None:
    if request.remote_addr not in LOOPBACK_ADDRESSES or _hostname(request.host) not in LOOPBACK_HOSTS:
        return error_response(403, "forbidden", "the stack's local endpoints answer this machine only")
    if request.method == "POST" and request.mimetype != "application/json":
        return error_response(400, "unsupported_media_type", "send JSON (Content-Type: application/json)")
    return None


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.rpartition(":")[0] if ":" in host else host


def _secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _integer(text: str, name: str, lowest: int, highest: int) -> int:
    if not text.isdigit() or not lowest <= int(text) <= highest:
        raise _Refused(400, f"invalid_{name}", f"{name} must be an integer from {lowest} to {highest}")
    return int(text)


def beside(api: WsgiApp, local: WsgiApp) -> WsgiApp:
    """One WSGI app: PREFIX and below to `local`, everything else to the API."""

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        chosen = local if path == PREFIX or path.startswith(PREFIX + "/") else api
        return chosen(environ, start_response)

    return dispatch
