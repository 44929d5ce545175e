"""The local stack's log files: each function's lines in .listmgr/logs/<function>.jsonl, and
`listmgr logs FUNCTION [--follow]` printing them."""

import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from listmgr.cli import main as cli
from listmgr.runtime import logbook
from listmgr.runtime.functions import LocalFunction
from shared import logs

HANDLERS = """
from shared import logs, metrics


def handle(event, context):
    with logs.invocation(event["function"], context, shard="shardId-000000000000"):
        logs.log("handled", n=event["n"])
        metrics.emit([metrics.batch_metrics(event["function"], "test", {"records": 1}, 0, 1.0, None)], 0)
    return {"n": event["n"]}
"""


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "logbook_handlers.py").write_text(HANDLERS)
    uninstall = logbook.install(tmp_path / ".listmgr" / "logs")
    logs.set_level("INFO")
    yield tmp_path / ".listmgr"
    uninstall()


def function(root: Path, key: str) -> LocalFunction:
    return LocalFunction(f"svc-test-{key}", key, "logbook_handlers.handle", root, "us-east-1")


def read(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_function_logs_to_its_own_file_even_when_invoked_at_once(state: Path) -> None:
    root = state.parent / "project"
    listener, trigger = function(root, "listener"), function(root, "trigger")
    threads = [
        threading.Thread(target=each.invoke, args=({"function": each.key, "n": n},))
        for n in range(10)
        for each in (listener, trigger)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for key in ("listener", "trigger"):
        lines = read(state / "logs" / f"{key}.jsonl")
        assert len(lines) == 20 and {line["function"] for line in lines} == {key}
        handled = [line for line in lines if line.get("message") == "handled"]
        assert sorted(int(str(line["n"])) for line in handled) == list(range(10))
        assert all(line["shard"] == "shardId-000000000000" for line in lines)
        (emf,) = {json.dumps(line["_aws"]) for line in lines if "_aws" in line}
        assert json.loads(emf)["CloudWatchMetrics"][0]["Namespace"] == "ListManager"


def test_listmgr_logs_prints_the_lines_by_key_or_deployed_name(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    function(state.parent / "project", "listener").invoke({"function": "listener", "n": 1})
    (state / "stack.json").write_text(json.dumps({"functions": {"listener": "svc-test-listener"}}))
    for name in ("listener", "svc-test-listener"):
        assert cli.main(["--state-dir", str(state), "logs", name]) == 0
        printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert printed == read(state / "logs" / "listener.jsonl")


def test_listmgr_logs_names_the_functions_it_has_logs_of(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    function(state.parent / "project", "trigger").invoke({"function": "trigger", "n": 1})
    assert cli.main(["--state-dir", str(state), "logs", "nobody"]) == 2
    err = capsys.readouterr().err
    assert "no logs of 'nobody'" in err and "there are: trigger" in err


def test_follow_prints_lines_as_they_are_added_and_never_half_a_line(tmp_path: Path) -> None:
    path = tmp_path / "listener.jsonl"
    path.write_text('{"n":1}\n{"n":')
    out = io.StringIO()
    appended: list[str] = ['2}\n{"n":3}\n', ""]

    def sleep(_: float) -> None:
        with path.open("a") as file:
            file.write(appended.pop(0))

    logbook.follow(path, out, keep_going=lambda: bool(appended), sleep=sleep)
    assert out.getvalue() == '{"n":1}\n{"n":2}\n{"n":3}\n'
