"""The stack's local endpoints for the console (listmgr/cli/console_server.py), without a stack:
who may call them, the event view's numbering and filter, and the mount beside the API. The
browser tests (tests/e2e/test_console.py) use them against a running `listmgr up`."""

import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient

from listmgr.cli import console_server
from listmgr.cli.console_server import EventLog, beside, local_app
from listmgr.cli.progress import FunctionTotals
from listmgr.runtime.functions import LocalFunction
from listmgr.runtime.mappings.mapping import EventSourceMapping


@dataclass
class StackWithout:
    """A running stack with no mappings and, unless given, no failure queue."""

    mappings: Sequence[EventSourceMapping] = ()
    totals: FunctionTotals = field(default_factory=FunctionTotals)
    functions: Mapping[str, LocalFunction] = field(default_factory=dict)
    description: Mapping[str, Any] = field(default_factory=lambda: {"stream_name": "events"})


def envelope(number: int, event_type: str) -> dict[str, Any]:
    return {"Data": json.dumps({"id": str(number), "type": event_type, "timestamp": number}).encode()}


RECORDS = [
    envelope(1, "user-list-created"),
    {"Data": b'{"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 1}}'},  # a submission
    {"Data": b"not json"},
    envelope(2, "aggregate-list-created"),
    envelope(3, "fault"),
    envelope(4, "aggregate-list-updated"),
]


def replay(records: list[dict[str, Any]]) -> console_server.Records:
    def read(stopping: threading.Event) -> Iterator[dict[str, Any]]:
        yield from records
        stopping.wait()

    return read


def events_read(log: EventLog, count: int) -> dict[str, Any]:
    """What the log answers once its reader has read `count` events (it reads in a thread)."""
    deadline = time.monotonic() + 30
    while (answer := log.since(0, "*", 100))["last"] < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return answer


@pytest.fixture
def log() -> Iterator[EventLog]:
    events = EventLog(replay(RECORDS))
    yield events
    events.stop()


def client(stack: StackWithout, log: EventLog, address: str = "127.0.0.1") -> FlaskClient:
    local = local_app(stack, log).test_client()
    local.environ_base["REMOTE_ADDR"] = address
    return local


def test_the_event_view_numbers_the_published_events_and_filters_them_by_type(log: EventLog) -> None:
    everything = events_read(log, 4)
    assert [(item["n"], item["event"]["type"]) for item in everything["events"]] == [
        (1, "user-list-created"),
        (2, "aggregate-list-created"),
        (3, "fault"),
        (4, "aggregate-list-updated"),
    ]
    assert everything["last"] == 4 and everything["error"] is None
    assert [item["n"] for item in log.since(0, "aggregate-list-*", 100)["events"]] == [2, 4]
    assert [item["n"] for item in log.since(2, "*", 100)["events"]] == [3, 4]
    assert [item["n"] for item in log.since(0, "*", 2)["events"]] == [3, 4]  # the newest


def test_the_event_view_keeps_the_newest_events_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_server, "KEPT_EVENTS", 3)
    log = EventLog(replay([envelope(n, "fault") for n in range(1, 8)]))
    try:
        assert [item["n"] for item in events_read(log, 7)["events"]] == [5, 6, 7]
    finally:
        log.stop()


def test_a_stream_that_cannot_be_read_is_said_on_the_page() -> None:
    def broken(stopping: threading.Event) -> Iterator[dict[str, Any]]:
        raise ConnectionError("endpoint gone")
        yield {}  # a generator, as the real reader is

    log = EventLog(broken)
    deadline = time.monotonic() + 30
    while log.since(0, "*", 10)["error"] is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert log.since(0, "*", 10)["error"] == "reading the stream failed (ConnectionError: endpoint gone)"


@pytest.mark.parametrize(
    ("address", "host"),
    [("192.0.2.7", "127.0.0.1:8000"), ("127.0.0.1", "evil.example"), ("127.0.0.1", "evil.example:8000")],
)
def test_only_this_machine_naming_this_machine_may_call_them(log: EventLog, address: str, host: str) -> None:
    answer = client(StackWithout(), log, address).get("/local/status", headers={"Host": host})
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "localhost"])
def test_the_names_of_this_machine_may(log: EventLog, host: str) -> None:
    answer = client(StackWithout(), log).get("/local/status", headers={"Host": host})
    assert answer.status_code == 200 and answer.get_json() == {"stream": "events", "failureQueue": False}


def test_a_redrive_must_be_sent_as_json_which_another_sites_page_cannot(log: EventLog) -> None:
    local = client(StackWithout(), log)
    form = local.post(
        "/local/failures/redrive", data="id=x", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 400 and form.get_json()["error"]["code"] == "unsupported_media_type"
    assert local.post("/local/failures/redrive", json=[]).status_code == 400


def test_a_stack_without_a_failure_queue_says_so(log: EventLog) -> None:
    local = client(StackWithout(), log)
    for answer in (local.get("/local/failures"), local.post("/local/failures/redrive", json={})):
        assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "no_failure_queue"


def test_bad_event_queries_are_400s_and_unknown_paths_404s(log: EventLog) -> None:
    local = client(StackWithout(), log)
    assert local.get("/local/events?after=-1").get_json()["error"]["code"] == "invalid_after"
    assert local.get("/local/events?limit=0").get_json()["error"]["code"] == "invalid_limit"
    assert local.get("/local/nothing").status_code == 404
    assert local.get("/local/mappings").get_json() == {"mappings": []}


def test_the_local_endpoints_sit_beside_the_api_under_their_prefix() -> None:
    def named(name: bytes) -> console_server.WsgiApp:
        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            start_response("200 OK", [])
            return [name]

        return app

    both = beside(named(b"api"), named(b"local"))
    for path, chosen in [
        ("/local", b"local"),
        ("/local/events", b"local"),
        ("/localx", b"api"),
        ("/lists", b"api"),
    ]:
        assert both({"PATH_INFO": path}, lambda *_: None) == [chosen], path
