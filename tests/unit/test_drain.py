"""Draining: the write gate in front of the API, and when the mappings count as drained."""

import json
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from listmgr.runtime.drain import WriteGate, drain
from listmgr.runtime.mappings.mapping import Activity


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("202 Accepted", [("Content-Type", "application/json")])
    return [b'{"status": "accepted"}']


def call(gate: WriteGate, method: str) -> tuple[str, dict[str, str], bytes]:
    answered: list[Any] = []
    body = b"".join(
        gate({"REQUEST_METHOD": method}, lambda status, headers: answered.append((status, headers)))
    )
    status, headers = answered[0]
    return status, dict(headers), body


def test_a_closed_gate_refuses_writes_with_503_draining_and_lets_reads_through() -> None:
    gate = WriteGate(app)
    assert call(gate, "POST")[0] == "202 Accepted"
    assert gate.close(timeout=1)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        status, headers, body = call(gate, method)
        assert (status, headers["Content-Type"]) == ("503 Service Unavailable", "application/json")
        assert json.loads(body)["error"]["code"] == "draining"
    assert call(gate, "GET")[0] == "202 Accepted"


def test_closing_waits_for_the_writes_under_way() -> None:
    entered, release = threading.Event(), threading.Event()

    def slow(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        entered.set()
        release.wait()
        return app(environ, start_response)

    gate = WriteGate(slow)
    writer = threading.Thread(target=call, args=(gate, "POST"))
    writer.start()
    entered.wait()
    assert not gate.close(timeout=0)
    release.set()
    writer.join()
    assert gate.close(timeout=0)


@dataclass
class Scripted:
    """A mapping whose activity follows a script, one entry per look, the last one repeated."""

    script: list[Activity]
    now: float = 0.0
    looks: int = 0

    def activity(self) -> Activity:
        self.looks += 1
        self.now += 1
        return self.script[min(self.looks, len(self.script)) - 1]

    def clock(self) -> float:
        return self.now


def test_drained_only_once_a_read_after_the_last_work_found_nothing() -> None:
    mapping = Scripted(
        [
            Activity(in_flight=3, checkpointed=0, read_up_to=0),
            Activity(in_flight=0, checkpointed=3, read_up_to=1),  # quiet from here, but read before
            Activity(in_flight=0, checkpointed=3, read_up_to=1),
            Activity(in_flight=0, checkpointed=3, read_up_to=100),  # a read asked after: drained
        ]
    )
    assert drain([mapping], threading.Event()) is True
    assert mapping.looks == 4


def test_work_done_since_the_quiet_moment_starts_the_wait_over() -> None:
    mapping = Scripted(
        [
            Activity(in_flight=0, checkpointed=3, read_up_to=0),
            Activity(in_flight=0, checkpointed=5, read_up_to=math.inf),  # moved meanwhile
            Activity(in_flight=0, checkpointed=5, read_up_to=math.inf),
        ]
    )
    assert drain([mapping], threading.Event()) is True
    assert mapping.looks == 3


def test_a_forced_stop_ends_the_drain() -> None:
    forced = threading.Event()
    forced.set()
    mapping = Scripted([Activity(in_flight=7, checkpointed=0, read_up_to=0)])
    assert drain([mapping], forced) is False
