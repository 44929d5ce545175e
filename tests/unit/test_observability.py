"""What the functions write to their logs: JSON lines with the invocation's context, and metrics in
CloudWatch's embedded metric format, read back the way CloudWatch reads them."""

import io
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from services.listener import function as listener_function
from services.trigger import function as trigger_function
from shared import logs
from shared.bootstrap import Handler, Ports, stream_handler
from shared.events.testing import dynamodb_record, kinesis_event, kinesis_record
from shared.lists.memory import MemoryArchive, MemoryListStore
from shared.settings import Settings
from shared.stream.decoders import from_kinesis
from shared.stream.memory import MemoryStream
from tests.api_fakes import ADMIN_KEY, World, bearer
from tests.faults.layer import Faults, FaultyArchive
from tests.samples import WORKED_EXAMPLE
from tests.support.images import KEYS_BILL, user_list

ARRIVAL = 1_700_000_000.0
NOW = ARRIVAL + 12.5
"""The clock while a handler runs: 12.5 s after the test records reached their stream."""
BATCH_METRICS = {
    "RecordsReceived": "Count",
    "RecordsApplied": "Count",
    "RecordsSuperseded": "Count",
    "RecordsDuplicate": "Count",
    "RecordsFaulted": "Count",
    "RecordsFailed": "Count",
    "EventsPublished": "Count",
    "BatchDurationMs": "Milliseconds",
    "IteratorAgeMs": "Milliseconds",
}


@dataclass(frozen=True)
class Context:
    aws_request_id: str = "request-1"
    function_name: str = "list-manager-test-listener"


class Lines:
    """The function logger's lines, as CloudWatch Logs would receive them."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.buffer.getvalue().splitlines()]

    def metrics(self) -> list[dict[str, Any]]:
        return [line for line in self.all() if "_aws" in line]

    def logs(self) -> list[dict[str, Any]]:
        return [line for line in self.all() if "_aws" not in line]


@pytest.fixture
def lines() -> Iterator[Lines]:
    captured = Lines()
    handler = logging.StreamHandler(captured.buffer)
    handler.setFormatter(logs.JsonLines())
    logger = logging.getLogger(logs.LOGGER_NAME)
    level = logger.level
    logger.addHandler(handler)
    logs.set_level("INFO")
    yield captured
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: NOW)


@dataclass
class Listener:
    """The listener's handler on the in-memory ports; its archive is down while `down` is
    enabled (off at first)."""

    down: Faults
    handle: Handler
    ports: Ports


@pytest.fixture
def listener() -> Listener:
    down = Faults(seed=0, rate=1.0, enabled=False)
    archive = FaultyArchive(MemoryArchive(), down)
    ports = Ports(
        Settings(stage="test"),
        store=MemoryListStore(),
        archive=archive,
        stream=MemoryStream(),
        sleep=lambda _: None,
    )
    return Listener(down, listener_function.handler(ports), ports)


def directive(document: dict[str, Any]) -> dict[str, Any]:
    (only,) = document["_aws"]["CloudWatchMetrics"]
    assert isinstance(only, dict)
    return only


def values(document: dict[str, Any]) -> dict[str, Any]:
    return {metric["Name"]: document[metric["Name"]] for metric in directive(document)["Metrics"]}


def worked_example_and_garbage() -> dict[str, Any]:
    event = kinesis_event(WORKED_EXAMPLE, first_sequence=1, arrival=ARRIVAL)
    event["Records"].append(kinesis_record(b"not json", 5, arrival=ARRIVAL))
    return event


@pytest.mark.usefixtures("clock")
def test_a_listener_batch_writes_one_emf_document_with_every_metric(lines: Lines, listener: Listener) -> None:
    listener.handle(worked_example_and_garbage(), Context())
    (document,) = lines.metrics()
    assert document["_aws"]["Timestamp"] == int(NOW * 1000)
    assert directive(document)["Namespace"] == "ListManager"
    assert directive(document)["Dimensions"] == [["function", "stage"]]
    assert {m["Name"]: m["Unit"] for m in directive(document)["Metrics"]} == BATCH_METRICS
    assert document["function"] == "listener" and document["stage"] == "test"
    measured = values(document)
    assert isinstance(measured.pop("BatchDurationMs"), int | float)
    assert measured == {
        "RecordsReceived": 5,
        "RecordsApplied": 4,
        "RecordsSuperseded": 0,
        "RecordsDuplicate": 0,
        "RecordsFaulted": 1,
        "RecordsFailed": 0,
        "EventsPublished": 1,
        "IteratorAgeMs": 12_500,
    }


@pytest.mark.usefixtures("clock")
def test_a_redelivered_batch_counts_duplicates_and_a_down_archive_failed_records(
    lines: Lines, listener: Listener
) -> None:
    listener.handle(worked_example_and_garbage(), Context())
    listener.handle(worked_example_and_garbage(), Context())
    listener.down.enabled = True
    fresh = kinesis_event([{**WORKED_EXAMPLE[1], "user": "zoe"}], first_sequence=6, arrival=ARRIVAL)
    response = listener.handle(fresh, Context())
    assert response == {"batchItemFailures": [{"itemIdentifier": "6"}]}
    _, again, down = (values(document) for document in lines.metrics())
    assert (again["RecordsDuplicate"], again["RecordsApplied"], again["RecordsFaulted"]) == (4, 0, 1)
    assert (down["RecordsFailed"], down["RecordsApplied"], down["EventsPublished"]) == (1, 0, 0)


@pytest.mark.usefixtures("clock")
def test_a_fault_after_a_failed_record_counts_once_when_its_redelivery_sets_it_aside(
    lines: Lines, listener: Listener
) -> None:
    listener.down.enabled = True
    event = kinesis_event([{**WORKED_EXAMPLE[1], "user": "zoe"}], first_sequence=6, arrival=ARRIVAL)
    event["Records"].append(kinesis_record(b"not json", 7, arrival=ARRIVAL))
    assert listener.handle(event, Context()) == {"batchItemFailures": [{"itemIdentifier": "6"}]}
    listener.down.enabled = False
    assert listener.handle(event, Context()) == {"batchItemFailures": []}
    down, back = (values(document) for document in lines.metrics())
    assert (down["RecordsFaulted"], down["RecordsFailed"]) == (0, 2)
    assert (back["RecordsFaulted"], back["RecordsFailed"], back["RecordsApplied"]) == (1, 0, 1)


@pytest.mark.usefixtures("clock")
def test_every_log_line_names_the_function_request_shard_and_sequence_range(
    lines: Lines, listener: Listener
) -> None:
    listener.handle(worked_example_and_garbage(), Context())
    written = lines.logs()
    assert {line["message"] for line in written} == {"records set aside as faults", "listener batch"}
    for line in written + lines.metrics():
        assert line["function"] == "listener" and line["requestId"] == "request-1"
        assert line["shard"] == "shardId-000000000000"
        assert (line["firstSequenceNumber"], line["lastSequenceNumber"]) == ("1", "5")
    (faults,) = (line for line in written if line["level"] == "WARNING")
    assert faults["records"] == [
        {
            "sequenceNumber": "5",
            "eventId": "shardId-000000000000:5",
            "reason": faults["records"][0]["reason"],
        }
    ]
    assert faults["records"][0]["reason"].startswith("not valid JSON")


@pytest.mark.usefixtures("clock")
def test_lines_outside_an_invocation_carry_none_of_its_context(lines: Lines, listener: Listener) -> None:
    listener.handle(worked_example_and_garbage(), Context())
    logs.log("after")
    assert "requestId" not in lines.logs()[-1] and "shard" not in lines.logs()[-1]


@pytest.mark.usefixtures("clock")
def test_below_the_level_lines_go_but_metrics_stay(lines: Lines, listener: Listener) -> None:
    logs.set_level("ERROR")
    listener.handle(worked_example_and_garbage(), Context())
    assert lines.logs() == [] and len(lines.metrics()) == 1
    logs.set_level("DEBUG")
    listener.handle(kinesis_event(WORKED_EXAMPLE[:2], arrival=ARRIVAL), Context())
    (received,) = (line for line in lines.logs() if line["message"] == "batch received")
    assert received["level"] == "DEBUG"
    assert received["eventIds"] == ["shardId-000000000000:1", "shardId-000000000000:2"]


@pytest.mark.usefixtures("clock")
def test_a_batch_that_raises_counts_every_record_failed_and_logs_the_exception(
    lines: Lines, listener: Listener
) -> None:
    def crashing(*_: Any) -> Any:
        def step(units: Any) -> Any:
            raise ZeroDivisionError("a bug")

        return step

    handle = stream_handler(listener.ports, listener_function.OBSERVED, from_kinesis, crashing)
    with pytest.raises(ZeroDivisionError):
        handle(worked_example_and_garbage(), Context())
    (document,) = lines.metrics()
    measured = values(document)
    assert (measured["RecordsReceived"], measured["RecordsFailed"], measured["RecordsApplied"]) == (5, 5, 0)
    (error,) = lines.logs()
    assert error["level"] == "ERROR" and error["requestId"] == "request-1"
    assert "ZeroDivisionError: a bug" in error["exception"]


def test_the_level_is_read_once_into_settings() -> None:
    assert Settings.from_env({"LISTMGR_LOG_LEVEL": "warning"}).log_level == "WARNING"
    assert Settings.from_env({}).log_level == "INFO"


def test_a_line_about_many_huge_records_stays_far_below_the_cloudwatch_limit(lines: Lines) -> None:
    # One string of a million characters for all 10,000 records: the logger sees 10,000 huge
    # reasons, and the test does not build 10 GB of them.
    reason = "x" * 1_000_000
    logs.warn("records", records=[{"reason": reason, "id": n} for n in range(10_000)])
    (line,) = lines.buffer.getvalue().splitlines()
    assert len(line.encode()) <= logs.MAX_LINE_BYTES
    document = json.loads(line)
    assert len(document["records"]) == logs.MAX_LOGGED_ITEMS + 1
    assert document["records"][-1] == f"... {10_000 - logs.MAX_LOGGED_ITEMS} more"
    assert document["records"][0]["reason"].endswith(f"({1_000_000 - logs.MAX_LOGGED_CHARS} more characters)")


@pytest.mark.usefixtures("clock")
def test_a_trigger_batch_counts_published_events_and_its_iterator_age(lines: Lines) -> None:
    stream = MemoryStream()
    handle = trigger_function.handler(Ports(Settings(stage="test"), stream=stream))
    records = [
        dynamodb_record(
            "INSERT", KEYS_BILL, new=user_list(1, {"xp": 25}), sequence_number=1, created=ARRIVAL - 1
        ),
        dynamodb_record(
            "INSERT", KEYS_BILL, new=user_list(2, {"xp": 30}), sequence_number=2, created=ARRIVAL
        ),
        {"eventID": "broken"},
    ]
    handle({"Records": records}, Context(function_name="list-manager-test-trigger"))
    (document,) = lines.metrics()
    assert document["function"] == "trigger"
    measured = values(document)
    assert (measured["RecordsReceived"], measured["RecordsFaulted"], measured["RecordsFailed"]) == (3, 1, 0)
    assert measured["EventsPublished"] == len(stream.records) == 2
    assert measured["IteratorAgeMs"] == 12_500


def request_metrics(lines: Lines) -> list[tuple[str, dict[str, Any]]]:
    """(status class, the WaitMs of the request or None) for each request's EMF document."""
    found = []
    for document in lines.metrics():
        by_status, *others = document["_aws"]["CloudWatchMetrics"]
        assert by_status["Dimensions"] == [["function", "stage", "statusClass"]]
        assert [(m["Name"], m["Unit"]) for m in by_status["Metrics"]] == [
            ("Requests", "Count"),
            ("RequestDurationMs", "Milliseconds"),
        ]
        assert document["Requests"] == 1 and document["function"] == "api"
        waited = {}
        for other in others:
            assert other["Dimensions"] == [["function", "stage"]]
            assert other["Metrics"] == [{"Name": "WaitMs", "Unit": "Milliseconds"}]
            waited["WaitMs"] = document["WaitMs"]
        found.append((document["statusClass"], waited))
    return found


def test_the_api_counts_requests_by_status_class_and_times_waits(lines: Lines) -> None:
    world = World()
    world.listening = False
    submission = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 83}}
    assert world.client.post("/lists", json=submission).status_code == 401
    waited = world.client.post("/lists", json=submission, headers={**bearer(ADMIN_KEY), "Prefer": "wait=3"})
    assert waited.status_code == 202
    assert world.client.get("/lists/unknown").status_code == 404
    world.listening = True
    applied = world.client.post(
        "/lists", json={**submission, "user": "beth"}, headers={**bearer(ADMIN_KEY), "Prefer": "wait=3"}
    )
    assert applied.status_code == 200
    # The waiter's clock moves only when it sleeps: the first wait slept its whole 3 s, the
    # second once, its first poll's 50 ms, before the listener applied the change.
    assert request_metrics(lines) == [
        ("4xx", {}),
        ("2xx", {"WaitMs": 3000}),
        ("4xx", {}),
        ("2xx", {"WaitMs": 50}),
    ]
    request_lines = [line for line in lines.logs() if line["message"] == "request"]
    assert [(line["method"], line["route"], line["status"]) for line in request_lines] == [
        ("POST", "/lists", 401),
        ("POST", "/lists", 202),
        ("GET", "/lists/<title>", 404),
        ("POST", "/lists", 200),
    ]
