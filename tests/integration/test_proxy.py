"""The fault proxy itself, against an echo server on the loopback interface: each mode does
what the outage tests rely on."""

import socket
import threading
from collections.abc import Iterator
from contextlib import suppress

import pytest

from tests.proxy import FaultProxy


@pytest.fixture
def echo() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    stopped = threading.Event()

    def serve() -> None:
        while not stopped.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    def answer(connection: socket.socket) -> None:
        # The proxy resets its upstream connections too: that ends this one, quietly.
        with connection, suppress(OSError):
            while data := connection.recv(1024):
                connection.sendall(data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stopped.set()
    thread.join(timeout=5)
    server.close()


def client(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=0.5)


def test_pass_blackhole_reset_and_pass_again(echo: int) -> None:
    with FaultProxy(("127.0.0.1", echo)) as proxy:
        kept = client(proxy.port)
        kept.sendall(b"ping")
        assert kept.recv(16) == b"ping"

        proxy.mode = "blackhole"
        kept.sendall(b"lost")
        with pytest.raises(TimeoutError):
            kept.recv(16)
        fresh = client(proxy.port)  # accepted: the connect succeeds, then nothing ever answers
        fresh.sendall(b"lost too")
        with pytest.raises(TimeoutError):
            fresh.recv(16)

        proxy.mode = "reset"
        with pytest.raises(ConnectionResetError):
            kept.sendall(b"x")
            kept.recv(16)
        refused = socket.socket()
        refused.settimeout(0.5)
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            refused.connect(("127.0.0.1", proxy.port))
            refused.sendall(b"x")
            refused.recv(16)
        assert proxy.resets >= 3

        proxy.mode = "pass"
        again = client(proxy.port)
        again.sendall(b"back")
        assert again.recv(16) == b"back"
        for sock in (kept, fresh, refused, again):
            sock.close()
