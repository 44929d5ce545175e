"""A TCP proxy on the loopback interface that a test owns, to cut a server off without touching it.

    with FaultProxy(("127.0.0.1", 3306)) as proxy:   # listens on 127.0.0.1:proxy.port
        proxy.mode = "blackhole"   # connections accepted, every byte dropped both ways: a partition
        proxy.mode = "reset"       # every connection closed with a TCP reset, new ones too
        proxy.mode = "pass"        # new connections reach the server again
        proxy.cut_reply_to(b"\x03COMMIT")  # once: forward it, swallow the server's answer, reset

A connection caught by a blackhole stays dead even after `pass`, as one whose packets were lost
would: its client has to time out and reconnect. Threads, not asyncio, so a test drives it from
plain synchronous code; every loop wakes up at least every POLL seconds and stops with the proxy.
"""

import select
import socket
import struct
import threading
from collections.abc import Callable
from contextlib import suppress
from types import TracebackType
from typing import Literal

Mode = Literal["pass", "blackhole", "reset"]
POLL = 0.05
"""Seconds between checks of the mode and of the stop flag."""


class _Link:
    """One client connection and, unless it was accepted in a blackhole, its upstream one."""

    def __init__(self, client: socket.socket, upstream: socket.socket | None) -> None:
        self.client = client
        self.upstream = upstream
        self.blackholed = upstream is None
        self.closed = threading.Event()
        self.cut_next_reply = False

    def reset(self) -> None:
        for sock in (self.client, self.upstream):
            if sock is not None:
                _close_with_reset(sock)
        self.closed.set()


class FaultProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._mode: Mode = "pass"
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(POLL)
        self.port: int = self._listener.getsockname()[1]
        self._links: list[_Link] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self.accepted = 0
        """Connections accepted so far, whatever the mode."""
        self.resets = 0
        """Connections closed with a reset."""
        self._cut_after: bytes | None = None
        self.cut = 0
        """Replies swallowed by cut_reply_to."""

    @property
    def mode(self) -> Mode:
        return self._mode

    @mode.setter
    def mode(self, mode: Mode) -> None:
        with self._lock:
            self._mode = mode
            if mode == "blackhole":
                for link in self._links:
                    link.blackholed = True
            elif mode == "reset":
                for link in self._links:
                    link.reset()
                self.resets += len(self._links)
                self._links.clear()

    def cut_reply_to(self, request: bytes) -> None:
        """Once: the next client bytes holding `request` reach the server, whose answer is then
        dropped and the connection reset. The server did the work, the client never hears of it:
        the ambiguous outcome of a COMMIT whose reply is lost."""
        with self._lock:
            self._cut_after = request

    def __enter__(self) -> "FaultProxy":
        self._spawn(self._accept)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            for link in self._links:
                link.reset()
            self._links.clear()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _spawn(self, target: Callable[..., None], *arguments: object) -> None:
        thread = threading.Thread(target=target, args=arguments, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            with self._lock:
                mode = self._mode
            if mode == "reset":
                # Counted before the reset: the client may see it and read the count at once.
                with self._lock:
                    self.resets += 1
                _close_with_reset(client)
                continue
            upstream = None if mode == "blackhole" else socket.create_connection(self.upstream, timeout=5)
            link = _Link(client, upstream)
            with self._lock:
                self._links.append(link)
            self._spawn(self._pump, link)

    def _pump(self, link: _Link) -> None:
        """Copies bytes both ways, or reads and drops them once the link is blackholed."""
        ends = [link.client] + ([link.upstream] if link.upstream is not None else [])
        while not self._stopped.is_set() and not link.closed.is_set():
            try:
                readable, _, _ = select.select(ends, [], [], POLL)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        link.reset()
                        break
                    if link.blackholed:
                        continue
                    if sock is link.upstream and link.cut_next_reply:
                        with self._lock:
                            self.cut += 1
                            self.resets += 1
                        link.reset()
                        break
                    if sock is link.client:
                        self._arm(link, data)
                    other = link.upstream if sock is link.client else link.client
                    assert other is not None
                    other.sendall(data)
            except (OSError, ValueError):
                # The other side went away, or reset() closed a socket under select.
                link.reset()
        with self._lock:
            if link in self._links:
                self._links.remove(link)

    def _arm(self, link: _Link, data: bytes) -> None:
        with self._lock:
            if self._cut_after is not None and self._cut_after in data:
                link.cut_next_reply, self._cut_after = True, None


def _close_with_reset(sock: socket.socket) -> None:
    # SO_LINGER with a zero timeout makes close() send RST instead of FIN: the peer sees
    # "connection reset", as when a firewall or a crashed host drops it.
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
