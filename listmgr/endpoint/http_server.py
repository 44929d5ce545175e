"""The local AWS endpoint's HTTP server: one port speaking HTTP/1.1 and cleartext HTTP/2.

moto's own server (werkzeug's) speaks HTTP/1.1 only, and the JavaScript SDK v3 Kinesis client
opens every connection in HTTP/2, so with its default settings it fails against moto with a
protocol error. hypercorn serves moto's WSGI app over both on one socket: a connection that
starts with the HTTP/2 preface (prior knowledge, what the SDK and `curl --http2-prior-knowledge`
send) or that asks for `Upgrade: h2c` on a request without a body (`curl --http2`) is switched to
HTTP/2; everything else stays HTTP/1.1, as boto3 and the AWS CLI speak it.

The server runs in a thread of its own with its own asyncio loop, so the rest of the stack stays
synchronous. The socket is bound and listening before `serve` returns: a port already taken fails
here, in the caller, and a client that connects at once waits in the backlog instead of being
refused. `stop` closes it, so the port is free again when `stop` returns.

moto is handed each request as werkzeug's server hands it: with the request target as it arrived
(`RAW_URI`, which moto matches S3 keys against, an encoded slash and all) and the original names
of the S3 metadata headers that have underscores. hypercorn's WSGI environ has neither.

Local only: nothing deployed imports this module; `moto_server.start` imports it (and hypercorn,
about 40 ms) when the stack starts its endpoint.
"""

import asyncio
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import hypercorn.protocol
from hypercorn.app_wrappers import _build_environ  # hypercorn's own scope-to-environ translation
from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config
from hypercorn.protocol.h2 import H2Protocol
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, HTTPScope, Scope
from hyperframe.frame import Frame, GoAwayFrame
from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    environ_key_for_header,
    should_preserve_original_header_name,
)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Headers = list[tuple[bytes, bytes]]

# moto's werkzeug server runs every connection in a thread of its own; hypercorn runs WSGI
# calls on its loop's default executor (6 threads on 2 cores). Requests that wait inside moto
# (an SQS ReceiveMessage with WaitTimeSeconds) would then hold the others back, so the pool is
# sized like a thread-per-connection server under the stack's load. Threads start on demand.
_WORKER_THREADS = 64
# moto sets no limit on a request body; this one only keeps a runaway client from exhausting
# memory, far past AWS's own request limits.
_MAX_BODY = 1024 * 1024 * 1024
_IDLE_CONNECTION_TIMEOUT = 600.0
_STOP_TIMEOUT = 10.0


@dataclass
class Endpoint:
    """A running server; `stop()` shuts it down and frees its port."""

    host: str
    port: int
    _loop: asyncio.AbstractEventLoop
    _stopping: asyncio.Event
    _thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(_STOP_TIMEOUT)


def serve(app: WsgiApp, host: str, port: int, *, name: str = "aws-endpoint") -> Endpoint:
    """Serve moto's WSGI `app` on host:port (0 picks a free port) until `.stop()`.

    >>> endpoint = serve(DomainDispatcherApplication(create_backend_app), "127.0.0.1", 0)
    >>> endpoint.url  # 'http://127.0.0.1:43117', HTTP/1.1 and h2c alike
    >>> endpoint.stop()
    """
    listener = socket.create_server((host, port), backlog=128)
    bound_port = int(listener.getsockname()[1])
    # As hypercorn does for the sockets it binds itself (accepted ones inherit it): no Nagle
    # delay between a response's frames.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    config = Config()
    # hypercorn adopts the socket through its file descriptor and closes it when it stops.
    config.bind = [f"fd://{listener.detach()}"]
    config.accesslog = None
    log = config.errorlog = _quiet_logger(name)
    config.include_server_header = False
    # werkzeug's server never closed an idle connection; hypercorn would after 5 s, and a boto3
    # client that reuses a pooled connection just as it closes gets a connection error that
    # botocore retries, which can put a Kinesis record twice.
    config.keep_alive_timeout = _IDLE_CONNECTION_TIMEOUT
    adapter = _MotoAdapter(app, _MAX_BODY)
    # hypercorn picks its HTTP/2 protocol class by this name for every connection it switches
    # to HTTP/2 (prior knowledge or h2c upgrade); only the local stack runs hypercorn.
    setattr(hypercorn.protocol, "H2Protocol", _H2Protocol)  # noqa: B010

    loop = asyncio.new_event_loop()
    loop.set_default_executor(ThreadPoolExecutor(_WORKER_THREADS, thread_name_prefix=name))
    stopping = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            # hypercorn.asyncio.serve(app, config, mode="wsgi"), with _MotoAdapter in place of
            # hypercorn's own WSGI adapter.
            loop.run_until_complete(worker_serve(adapter, config, shutdown_trigger=stopping.wait))
        except Exception:
            log.exception("the AWS endpoint stopped")
            raise
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    thread = threading.Thread(target=run, daemon=True, name=name)
    thread.start()
    return Endpoint(host, bound_port, loop, stopping, thread)


class _H2Protocol(H2Protocol):
    """hypercorn's HTTP/2 connection, finishing the responses a client's GOAWAY leaves open.

    A GOAWAY from a client says it opens no more streams; the responses to the ones it opened
    still arrive (RFC 9113, 6.8). The JavaScript SDK sends one the moment a response's headers
    arrive (it opens a session per request), but h2 sends nothing more once it has read a GOAWAY
    and hypercorn then closes the connection: a response larger than the client's flow-control
    window (a GetRecords of more than 64 KiB) never arrived whole. Here a GOAWAY without an
    error, while streams are open, is left unread; the client closes the connection itself once
    it has its responses (or the idle timeout does)."""

    def __init__(self, *arguments: Any, **keywords: Any) -> None:
        super().__init__(*arguments, **keywords)
        self.connection._frame_dispatch_table[GoAwayFrame] = self._receive_goaway

    def _receive_goaway(self, frame: GoAwayFrame) -> tuple[list[Frame], list[Any]]:
        # h2 counts a stream the client opened in the same read as its GOAWAY; hypercorn's own
        # table only once that read's events are handled.
        if frame.error_code == 0 and (self.streams or self.connection.open_inbound_streams):
            return [], []
        return self.connection._receive_goaway_frame(frame)


class _MotoAdapter:
    """What hypercorn calls for each request (its AppWrapper protocol, as its own WSGI adapter
    is): the request body read whole, the WSGI app run on a worker thread, and its response
    handed back whole, headers, body and end in one step on the loop.

    hypercorn's own adapter instead starts the response when the app starts it and sends each
    body chunk from the worker thread, one round trip to the loop each: slower, and it never
    starts a response whose body is empty (werkzeug's for every HEAD, 204 and 304), which then
    ends as a 500. Sent in one step, no frame of a response waits on the worker thread once its
    headers are out (the JavaScript SDK closes its session as soon as they arrive, see
    _H2Protocol). moto builds every response in memory, so holding it whole costs nothing more."""

    def __init__(self, app: WsgiApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(
        self,
        scope: Scope,
        receive: ASGIReceiveCallable,
        send: ASGISendCallable,
        sync_spawn: Callable[..., Any],
        call_soon: Callable[..., Any],
    ) -> None:
        if scope["type"] == "lifespan":
            return  # moto has no startup or shutdown of its own
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1000, "reason": None})
            return
        body = bytearray()
        while True:
            message = await receive()
            chunk = message.get("body")  # absent from an http.disconnect
            if isinstance(chunk, bytes | bytearray):
                body += chunk
            if len(body) > self.max_body:
                await _respond_with(send, 413, [], b"")
                return
            if not message.get("more_body"):
                break
        environ = _build_environ(scope, bytes(body))
        environ.update(_werkzeug_environ(scope))
        status, headers, content = await sync_spawn(_run, self.app, environ)
        await _respond_with(send, status, headers, content)


async def _respond_with(send: ASGISendCallable, status: int, headers: Headers, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers, "trailers": False})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _run(app: WsgiApp, environ: dict[str, Any]) -> tuple[int, Headers, bytes]:
    """The WSGI app run to the end of its response: status, headers and the whole body."""
    started: list[tuple[str, list[tuple[str, str]]]] = []
    chunks: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: object = None
    ) -> Callable[[bytes], None]:
        started[:] = [(status, headers)]
        return chunks.append  # WSGI's write() callable

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not started:
        raise RuntimeError("the WSGI app returned without calling start_response")
    status, headers = started[0]
    encoded = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
    return int(status.split(" ", 1)[0]), encoded, b"".join(chunks)


def _werkzeug_environ(scope: HTTPScope) -> dict[str, Any]:
    target = scope["raw_path"] + (b"?" + scope["query_string"] if scope["query_string"] else b"")
    raw = target.decode("latin-1")
    names: dict[str, str] = {}
    for raw_name, _ in scope["headers"]:
        name = raw_name.decode("latin-1")
        if should_preserve_original_header_name(name):
            names.setdefault(environ_key_for_header(name), name)
    return {"RAW_URI": raw, "REQUEST_URI": raw, PRESERVED_HEADER_NAMES_ENVIRON_KEY: names}


def _quiet_logger(name: str) -> logging.Logger:
    """hypercorn's error log, without its "Running on ... (CTRL + C to quit)" line: the stack
    prints its own banner, and Ctrl-C goes to the stack, not to this server."""
    logger = logging.getLogger(f"listmgr.{name}")
    logger.setLevel(logging.WARNING)
    return logger
