"""Operating the local stack: each function's log lines and metrics in its own file, printed by
`listmgr logs`, and the failure queue read by `listmgr dlq`."""

from typing import Any

from shared.events.codec import loads
from tests.support.stack import RunningStack, wait_for

SUBMISSION = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 83}}


def logged(stack: RunningStack, function: str) -> list[dict[str, Any]]:
    result = stack.listmgr("logs", function)
    assert result.returncode == 0, result.stderr
    return [loads(line) for line in result.stdout.splitlines()]


def metric_documents(stack: RunningStack, function: str, name: str) -> list[dict[str, Any]] | None:
    found = [line for line in logged(stack, function) if "_aws" in line and name in line]
    return found or None


def test_each_function_logs_its_lines_and_metrics_to_its_own_file(stack: RunningStack) -> None:
    written = stack.request("POST", "/lists", SUBMISSION, {"Prefer": "wait=10"}, key=stack.key)
    assert written.status == 200 and written.body["status"] == "applied"

    listener = wait_for(lambda: metric_documents(stack, "listener", "RecordsApplied"))
    assert sum(document["RecordsApplied"] for document in listener) == 1
    assert {document["function"] for document in logged(stack, "listener")} == {"listener"}
    assert all(document["stage"] == "dev" for document in listener)

    (api,) = [line for line in metric_documents(stack, "api", "WaitMs") or [] if line["statusClass"] == "2xx"]
    assert api["Requests"] == 1 and api["WaitMs"] >= 0
    requests = [line for line in logged(stack, "api") if line.get("message") == "request"]
    assert [(line["method"], line["route"], line["status"]) for line in requests] == [("POST", "/lists", 200)]

    trigger = wait_for(lambda: metric_documents(stack, "trigger", "EventsPublished"))
    assert all(document["function"] == "trigger" for document in trigger)

    assert stack.listmgr("dlq", "list").stdout == "the failure queue is empty\n"
