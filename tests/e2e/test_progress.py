"""`listmgr up` shows what each mapping does: as periodic log lines when its output is a file, in
place on a terminal (a pseudo-terminal here), and on through the drain."""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.stack import (
    LISTMGR,
    RunningStack,
    stack_environment,
    start_stack,
    stop_stack,
    up_command,
    wait_for,
)

POISON = '{"title": "progress", "user": "u", "type": "tally", "entries": {"x": "one"}}'
LISTENER_LINE = re.compile(r"listener <- kinesis [^:]+: (\d+) records processed.*?(\d+) faults?")


def send_lines(stack: RunningStack, lines: list[str]) -> None:
    path = stack.folder / "progress.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    result = stack.listmgr("send", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def quiet_for(log: Path, seconds: float) -> Callable[[], bool]:
    """A probe: True once `log` got no progress line for `seconds`."""

    def quiet() -> bool:
        before = log.read_text().count(" <- ")
        time.sleep(seconds)
        return log.read_text().count(" <- ") == before

    return quiet


@pytest.fixture
def stack_logging_often(tmp_path: Path) -> Iterator[RunningStack]:
    running = start_stack(tmp_path, ("--progress-every", "0.5"))
    yield running
    if running.process.poll() is None:
        stop_stack(running)


def test_without_a_terminal_each_mapping_is_a_log_line_while_it_moves_and_through_the_drain(
    stack_logging_often: RunningStack,
) -> None:
    stack = stack_logging_often
    log = stack.folder / "up.log"
    good = [
        f'{{"title": "progress", "user": "u{n}", "type": "tally", "entries": {{"x": 1}}}}' for n in range(9)
    ]
    send_lines(stack, [*good, POISON])

    def listener_figures() -> tuple[int, int] | None:
        found = LISTENER_LINE.findall(log.read_text())
        return (int(found[-1][0]), int(found[-1][1])) if found else None

    # The listener reads the trigger's events from the same stream too: at least the 10 sent.
    wait_for(lambda: (figures := listener_figures()) is not None and figures[0] >= 10 and figures[1] == 1)
    assert re.search(r"trigger <- dynamodb [^:]+: \d+ records processed", log.read_text())
    # Quiet once nothing moves: four periods and more with no new line.
    wait_for(quiet_for(log, seconds=2))
    delivered, faults = listener_figures() or (0, 0)
    assert faults == 1

    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(timeout=120) == 0
    text = log.read_text()
    assert re.search(
        rf"draining: listener <- kinesis [^:]+: {delivered} records processed( \([\d,]+/s\))?, "
        "1 fault, 0 retries, 0 discarded",
        text,
    )
    assert "listmgr: drained: nothing is left to deliver" in text
    assert "iterator age" in text


def test_on_a_terminal_the_lines_are_redrawn_in_place(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    environment = {**stack_environment(), "TERM": "xterm"}
    process = subprocess.Popen(
        up_command(),
        cwd=tmp_path,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=environment,
    )
    os.close(terminal)
    seen = bytearray()

    def read_for(seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                try:
                    seen.extend(os.read(controller, 65536))
                except OSError:
                    break
        return seen.decode(errors="replace")

    try:
        wait_for(lambda: "ready" in read_for(0.5), timeout=90)
        output = read_for(3)
        after_ready = output[output.index("ready") :]
        # Two mappings: each refresh goes up two lines, erases, and draws both again.
        assert after_ready.count("\x1b[2F\x1b[J") >= 2
        idle = r"listmgr: listener <- kinesis [^:]+: 0 records processed \(0/s\), 0 retries"
        assert re.search(idle, after_ready)
        (tmp_path / "one.jsonl").write_text(
            '{"title": "live", "user": "u", "type": "tally", "entries": {"x": 1}}\n'
        )
        sent = subprocess.run(
            [LISTMGR, "send", "one.jsonl"],
            check=False,
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
        )
        assert sent.returncode == 0, sent.stdout + sent.stderr
        # The same two lines, redrawn with what the listener did (its first metric brings faults).
        wait_for(
            lambda: re.search(
                r"\x1b\[2F\x1b\[Jlistmgr: listener <- kinesis [^:]+: "
                r"[1-9][\d,]* records? processed \([\d,]+/s\), 0 faults",
                read_for(0.5),
            )
        )
        process.send_signal(signal.SIGINT)
        output = read_for(10)
        assert "draining: listener <- kinesis" in output
        assert process.wait(timeout=60) == 0
        assert "listmgr: stopped" in read_for(1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
