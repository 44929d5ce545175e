"""Stopping the local stack loses nothing it accepted: Ctrl-C (or SIGTERM) drains, a second
Ctrl-C stops at once and the next start puts back what was left; and a second `listmgr up` in
the same folder leaves the running one alone."""

import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.support.stack import RunningStack, stack_environment, start_stack, stop_stack, up_command, wait_for

THIRTY = 30
ONE = {"title": "drained", "user": "u", "type": "tally", "entries": {"x": 1}}


def post_thirty(stack: RunningStack) -> None:
    for _ in range(THIRTY):
        assert stack.request("POST", "/lists", ONE, key=stack.key).status == 202


def assert_all_thirty_applied(folder: Path) -> None:
    again = start_stack(folder)
    try:

        def entries() -> object:
            response = again.request("GET", "/lists/drained/users/u")
            return response.body["entries"] if response.status == 200 else None

        wait_for(lambda: entries() == {"x": THIRTY})
        verify = again.listmgr("replay", "--verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        assert stop_stack(again) == 0


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_right_after_the_writes_drains_them(tmp_path: Path, stop_signal: signal.Signals) -> None:
    first = start_stack(tmp_path)
    post_thirty(first)
    first.process.send_signal(stop_signal)
    assert first.process.wait(timeout=120) == 0
    log = (tmp_path / "up.log").read_text()
    assert "listmgr: drained: nothing is left to deliver" in log
    assert not (tmp_path / ".listmgr" / "unapplied.jsonl").exists()
    assert_all_thirty_applied(tmp_path)


def test_a_second_ctrl_c_stops_at_once_and_the_next_start_puts_back_what_was_left(tmp_path: Path) -> None:
    first = start_stack(tmp_path)
    post_thirty(first)
    # Two signals at once (a repeated SIGINT may merge into one): the second forces the stop
    # before the drain can have made sure of anything.
    first.process.send_signal(signal.SIGINT)
    first.process.send_signal(signal.SIGTERM)
    assert first.process.wait(timeout=120) == 0
    log = (tmp_path / "up.log").read_text()
    assert "listmgr: stopping at once" in log
    assert ("records were left unapplied and" in log) == (tmp_path / ".listmgr" / "unapplied.jsonl").exists()
    assert_all_thirty_applied(tmp_path)
    assert not (tmp_path / ".listmgr" / "unapplied.jsonl").exists()


def test_a_second_up_in_the_same_folder_refuses_and_touches_nothing(stack: RunningStack) -> None:
    description = stack.folder / ".listmgr" / "stack.json"
    before = description.read_text()
    second = subprocess.run(
        up_command(),
        cwd=stack.folder,
        capture_output=True,
        text=True,
        timeout=120,
        env=stack_environment(),
        check=False,
    )
    assert second.returncode != 0
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "another `listmgr up`" in lines[0], second.stderr
    assert str(stack.process.pid) in lines[0]
    assert description.read_text() == before
    assert stack.listmgr("replay", "--verify").returncode == 0
    assert stack.process.poll() is None


def test_ctrl_c_while_it_starts_stops_what_had_started_and_frees_the_folder(tmp_path: Path) -> None:
    log = tmp_path / "up.log"
    # An AWS endpoint that takes connections and never answers holds the start where it creates
    # the resources, for as long as the test needs.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        process = subprocess.Popen(
            up_command("--endpoint-url", endpoint),
            cwd=tmp_path,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            env=stack_environment(),
        )
        try:
            wait_for(lambda: "creating the resources" in log.read_text(), timeout=90)
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=60) == 130
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert "listmgr: interrupted while starting; stopping what had started" in log.read_text()
    assert "Traceback" not in log.read_text()
    assert not (tmp_path / ".listmgr" / "stack.json").exists()
    # The lock is released: the next start in the same folder runs.
    again = start_stack(tmp_path)
    assert stop_stack(again) == 0
