"""The local AWS endpoint's HTTP server: one port speaking HTTP/1.1 and cleartext HTTP/2.

moto's own server (werkzeug's) speaks HTTP/1.1 only, and the JavaScript SDK v3 Kinesis client
opens every connection in HTTP/2, so with its default settings it fails against moto with a
protocol error. hypercorn serves a WSGI app over both on one socket: an HTTP/1.1 connection that
starts with the HTTP/2 preface (prior knowledge, what the SDK and `curl --http2-prior-knowledge`
send) or that asks for `Upgrade: h2c` on a request without a body (`curl --http2`) is switched to
HTTP/2; everything else stays HTTP/1.1, as boto3 and the AWS CLI speak it.

The server runs in a thread of its own with its own asyncio loop, so the rest of the stack stays
synchronous. The socket is bound and listening before `serve` returns: a port already taken fails
here, in the caller, and a client that connects at once waits in the backlog instead of being
refused. `stop` closes it, so the port is free again when `stop` returns.

Local only: nothing deployed imports this module, and hypercorn is imported when the server starts.
"""

import asyncio
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# moto's werkzeug server runs every connection in a thread of its own; hypercorn runs WSGI
# calls on its loop's default executor (6 threads on 2 cores). Requests that wait inside moto
# (an SQS ReceiveMessage with WaitTimeSeconds) would then hold the others back, so the pool is
# sized like a thread-per-connection server under the stack's load. Threads start on demand.
_WORKER_THREADS = 64
# moto sets no limit on a request body; hypercorn's default (16 MiB) would answer a bare 400 to
# a larger one (an S3 upload, a big BatchWriteItem), so the limit is lifted far past AWS's.
_MAX_BODY = 1024 * 1024 * 1024
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
    """Serve the WSGI `app` on host:port (0 picks a free port) until `.stop()`.

    >>> endpoint = serve(my_wsgi_app, "127.0.0.1", 0)
    >>> endpoint.url  # 'http://127.0.0.1:43117', HTTP/1.1 and h2c alike
    >>> endpoint.stop()
    """
    from hypercorn.asyncio import serve as hypercorn_serve  # noqa: PLC0415 - local stack only
    from hypercorn.config import Config  # noqa: PLC0415

    listener = socket.create_server((host, port), backlog=128)
    bound_port = int(listener.getsockname()[1])
    config = Config()
    # hypercorn adopts the socket through its file descriptor and closes it when it stops.
    config.bind = [f"fd://{listener.detach()}"]
    config.accesslog = None
    log = config.errorlog = _quiet_logger(name)
    config.wsgi_max_body_size = _MAX_BODY
    config.include_server_header = False

    loop = asyncio.new_event_loop()
    loop.set_default_executor(ThreadPoolExecutor(_WORKER_THREADS, thread_name_prefix=name))
    stopping = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(hypercorn_serve(app, config, shutdown_trigger=stopping.wait, mode="wsgi"))
        except Exception:
            log.exception("the AWS endpoint stopped")
            raise
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    thread = threading.Thread(target=run, daemon=True, name=name)
    thread.start()
    return Endpoint(host, bound_port, loop, stopping, thread)


def _quiet_logger(name: str) -> logging.Logger:
    """hypercorn's error log, without its "Running on ... (CTRL + C to quit)" line: the stack
    prints its own banner, and Ctrl-C goes to the stack, not to this server."""
    logger = logging.getLogger(f"listmgr.{name}")
    logger.setLevel(logging.WARNING)
    return logger
