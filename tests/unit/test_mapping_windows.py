"""Tumbling windows: state carried between invocations, the final invocation, early termination."""

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from listmgr.runtime.mappings.invocation import Outcome
from listmgr.runtime.mappings.records import StreamRecord
from listmgr.runtime.mappings.windows import STATE_LIMIT, TumblingWindow, Window


def record(number: int, arrival: float) -> StreamRecord:
    return StreamRecord("shard", str(number), arrival, "key", {}, 0)


@dataclass(frozen=True)
class Source:
    arn: str


@dataclass(frozen=True)
class Named:
    key: str


class Function:
    """Stands for an Invoker: answers each invocation with `respond(event)` and keeps the events."""

    def __init__(self, respond: Callable[[dict[str, Any]], Outcome]) -> None:
        self.respond = respond
        self.events: list[dict[str, Any]] = []
        self.source = Source("arn:aws:kinesis:us-east-1:1:stream/s")
        self.function = Named("f")

    def invoke(
        self, shard_id: str, records: Sequence[StreamRecord], extra: Mapping[str, Any] | None = None
    ) -> Outcome:
        event = {"Records": [item.sequence_number for item in records], **(extra or {})}
        self.events.append(event)
        return self.respond(event)


def adds_one(event: dict[str, Any]) -> Outcome:
    if event["isFinalInvokeForWindow"]:
        return Outcome(None)
    return Outcome(None, None, {"state": {"n": event["state"].get("n", 0) + len(event["Records"])}})


def window(function: Function, finished: list[str]) -> TumblingWindow:
    return TumblingWindow(
        60,
        function,
        "shard",
        threading.Event(),
        lambda done: finished.extend(r.sequence_number for r in done),
    )


def test_state_passes_from_one_invocation_to_the_next_and_the_final_one_sees_it() -> None:
    function, finished = Function(adds_one), list[str]()
    open_window = window(function, finished)
    for number in (1, 2, 3):
        open_window.invoke([record(number, 130.0 + number)])
        open_window.hold([record(number, 130.0 + number)])
    assert open_window.current == Window(120.0, 180.0)
    assert finished == [], "records wait for the window to close"
    assert not open_window.due(179.0, None) and open_window.due(180.0, None)
    assert not open_window.due(180.0, record(4, 150.0)), "a record of the window still waits"

    open_window.close()

    final = function.events[-1]
    assert final["Records"] == [] and final["isFinalInvokeForWindow"] and not final["isWindowTerminatedEarly"]
    assert final["state"] == {"n": 3}
    assert final["window"] == {"start": "1970-01-01T00:02:00Z", "end": "1970-01-01T00:03:00Z"}
    assert finished == ["1", "2", "3"] and open_window.current is None and open_window.state == {}


def test_a_response_without_state_is_a_failed_invocation() -> None:
    open_window = window(Function(lambda _: Outcome(None, None, {"batchItemFailures": []})), [])
    assert open_window.invoke([record(1, 1.0)]).failed_from == 0


def test_a_state_over_one_megabyte_ends_the_window_early() -> None:
    def grows(event: dict[str, Any]) -> Outcome:
        return (
            Outcome(None)
            if event["isFinalInvokeForWindow"]
            else Outcome(None, None, {"state": {"x": "y" * STATE_LIMIT}})
        )

    function, finished = Function(grows), list[str]()
    open_window = window(function, finished)
    open_window.invoke([record(1, 1.0)])
    open_window.hold([record(1, 1.0)])
    open_window.invoke([record(2, 2.0)])

    first, final, second = function.events
    assert final["isFinalInvokeForWindow"] and final["isWindowTerminatedEarly"]
    assert len(final["state"]["x"]) == STATE_LIMIT and first["state"] == {}
    assert finished == ["1"], "the records of the ended state are done"
    assert second["state"] == {} and second["window"] == final["window"], "the same window goes on, afresh"


def test_a_failed_final_invocation_is_repeated_until_it_succeeds() -> None:
    answers = iter([Outcome(0, "Unhandled"), Outcome(None)])
    function, finished = Function(lambda event: next(answers)), list[str]()
    open_window = window(function, finished)
    open_window.current = Window(0.0, 60.0)
    open_window.hold([record(1, 1.0)])
    open_window.close()
    assert len(function.events) == 2 and finished == ["1"]
