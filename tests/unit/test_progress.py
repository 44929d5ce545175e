"""What `listmgr up` shows of each mapping (listmgr/cli/progress.py): the line's figures, the function's
faults from its metric documents, in place on a terminal and as log lines otherwise."""

import fcntl
import io
import logging
import math
import os
import pty
import struct
import termios
import threading
from dataclasses import dataclass, field

import pytest

from listmgr.cli.main import build_parser
from listmgr.cli.progress import FunctionTotals, Progress, Row, describe, terminal_columns
from listmgr.runtime.mappings.counters import Counters, Counts
from listmgr.runtime.mappings.mapping import Activity
from shared import metrics
from tests.support.stack import wait_for


@dataclass
class Mapping:
    label: str = "listener <- kinesis updates"
    function_key: str = "listener"
    counters: Counters = field(default_factory=Counters)
    in_flight: int = 0

    def counts(self) -> Counts:
        return self.counters.snapshot()

    def activity(self) -> Activity:
        return Activity(self.in_flight, 0, math.inf)


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def batch_document(faults: int, records: int) -> dict[str, object]:
    metric_set = metrics.batch_metrics("listener", "dev", {"records": records, "faults": faults}, 0, 12.5, 40)
    return metrics.emf_document([metric_set], 0)


def test_a_line_has_every_figure_and_the_rate_since_the_last_look() -> None:
    before = Row("listener <- kinesis updates", Counts(delivered=100, invocations=4), 0, 0)
    now = Row(
        "listener <- kinesis updates",
        Counts(delivered=350, invocations=9, retries=1, discarded=2, filtered_out=7, iterator_age_ms=1234),
        5,
        3,
    )
    assert describe(now, before, 2.0, draining=False) == (
        "listener <- kinesis updates: 350 records processed (125/s), 7 filtered out, 3 faults, 1 retry, "
        "2 discarded, iterator age 1,234 ms, 5 in flight"
    )


def test_a_mapping_that_did_not_invoke_since_the_last_look_is_idle_and_draining_says_so() -> None:
    row = Row("trigger <- dynamodb table", Counts(delivered=10, invocations=2, iterator_age_ms=50), 0, None)
    assert describe(row, row, 1.0, draining=True) == (
        "draining: trigger <- dynamodb table: 10 records processed (0/s), 0 retries, 0 discarded, idle, "
        "0 in flight"
    )
    waiting = Row(row.label, row.counts, 4, None)
    assert "waiting, 4 in flight" in describe(waiting, row, 1.0, draining=False)


def test_faults_are_the_sum_of_the_function_s_recordsfaulted_metric() -> None:
    totals = FunctionTotals()
    totals.add("listener", batch_document(faults=2, records=10))
    totals.add("listener", batch_document(faults=3, records=5))
    totals.add("trigger", batch_document(faults=1, records=1))
    totals.add("listener", {"level": "INFO", "message": "not a metric document"})
    listener = totals.of("listener")
    assert (listener["RecordsFaulted"], listener["RecordsReceived"]) == (5, 15)
    assert "BatchDurationMs" not in listener  # milliseconds do not add up
    assert totals.of("api") == {}


def test_in_place_the_block_is_redrawn_over_itself_and_lines_said_go_above_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out, clock, mapping = io.StringIO(), Clock(), Mapping()
    shown = Progress(
        [mapping, Mapping("trigger <- dynamodb table", "trigger")],
        FunctionTotals(),
        out,
        live=True,
        clock=clock,
    )
    shown.refresh()
    first = out.getvalue()
    assert first.count("\n") == 2 and "\x1b[" not in first
    mapping.counters.invoked(10, 10, False, 80)
    clock.now = 1.0
    shown.refresh()
    redrawn = out.getvalue()[len(first) :]
    assert redrawn.startswith("\x1b[2F\x1b[J")
    assert "listmgr: listener <- kinesis updates: 10 records processed (10/s)" in redrawn
    shown.say("a log line")
    said = out.getvalue()[len(first) + len(redrawn) :]
    assert said.startswith("\x1b[2F\x1b[Ja log line\n")
    assert said.count("listmgr: ") == 2  # the block again, under the line


def test_in_place_a_line_wider_than_the_terminal_wraps_and_the_next_redraw_goes_up_every_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    out, clock = io.StringIO(), Clock()
    shown = Progress([Mapping()], FunctionTotals(), out, live=True, clock=clock)
    shown.refresh()
    (line,) = out.getvalue().splitlines()
    assert line.endswith("idle")  # whole: the figures are at its end
    rows = -(-len(line) // 40)
    assert rows > 1
    clock.now = 1.0
    shown.refresh()
    assert out.getvalue()[len(line) + 1 :].startswith(f"\x1b[{rows}F\x1b[J")


def test_the_width_is_the_one_of_the_terminal_the_display_is_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # stdout may be a file (`listmgr up > up.log`) while the display is on stderr, a terminal.
    monkeypatch.setenv("COLUMNS", "200")
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 50, 0, 0))
    with os.fdopen(terminal, "w") as screen:
        try:
            assert terminal_columns(screen) == 50
        finally:
            os.close(controller)
    assert terminal_columns(io.StringIO()) == 200  # no terminal: what the environment says
    unsized, other = pty.openpty()
    with os.fdopen(other, "w") as screen:
        try:
            assert terminal_columns(screen) == 200  # a terminal that does not say its size
        finally:
            os.close(unsized)


def test_lines_said_while_shown_in_place_go_to_the_stream_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    screen, stdout = io.StringIO(), io.StringIO()
    shown = Progress([Mapping()], FunctionTotals(), screen, live=True)
    shown.refresh()
    drawn = screen.getvalue()
    shown.say("listmgr: drained", stdout)
    assert stdout.getvalue() == "listmgr: drained\n"
    assert screen.getvalue() == drawn + "\x1b[1F\x1b[J" + drawn  # erased and drawn again below it


def test_as_log_lines_only_what_moved_is_written(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="listmgr.progress")
    out, clock, mapping = io.StringIO(), Clock(), Mapping()
    totals = FunctionTotals()
    shown = Progress([mapping], totals, out, live=False, clock=clock)
    shown.refresh()
    shown.refresh()
    assert len(caplog.records) == 1  # the first look, then nothing moved
    mapping.counters.add(retries=1)
    shown.refresh()
    totals.add("listener", batch_document(faults=1, records=1))
    shown.refresh()
    assert [record.getMessage().split(": ", 1)[1] for record in caplog.records[1:]] == [
        "0 records processed, 1 retry, 0 discarded, idle",
        "0 records processed, 1 fault, 1 retry, 0 discarded, idle",
    ]
    assert out.getvalue() == ""


def test_draining_shows_every_mapping_at_once_and_again_while_records_are_in_flight(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="listmgr.progress")
    mapping = Mapping(in_flight=3)
    shown = Progress([mapping], FunctionTotals(), io.StringIO(), live=False, clock=Clock())
    shown.refresh()
    shown.drain_started()
    shown.refresh()
    mapping.in_flight = 0
    shown.refresh()
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 3
    assert messages[1].startswith("draining: ") and messages[2].endswith("3 in flight")


def test_counters_add_from_many_threads_without_losing_counts() -> None:
    counters = Counters()

    def work() -> None:
        for _ in range(1000):
            counters.add(read=1)
            counters.invoked(2, 1, True, 5)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = counters.snapshot()
    assert (counts.read, counts.invocations, counts.delivered, counts.failed_invocations) == (
        4000,
        4000,
        4000,
        4000,
    )


def test_the_drain_starts_its_own_pace_at_once(caplog: pytest.LogCaptureFixture) -> None:
    # With an hour between lines, only the drain's own period can bring a second draining line.
    caplog.set_level(logging.INFO, logger="listmgr.progress")
    shown = Progress([Mapping(in_flight=2)], FunctionTotals(), io.StringIO(), live=False, every=3600)
    shown.start()
    try:
        shown.drain_started()
        wait_for(
            lambda: sum("draining: " in record.getMessage() for record in caplog.records) >= 2, timeout=30
        )
    finally:
        shown.stop()


@pytest.mark.parametrize("period", ["0", "-5", "nan", "inf", "1e10", "0.1", "soon"])
def test_a_period_of_progress_lines_outside_half_a_second_to_an_hour_is_refused(
    period: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["up", "--progress-every", period])
    assert "--progress-every" in capsys.readouterr().err
    with pytest.raises(ValueError, match="a period of"):
        Progress([], FunctionTotals(), io.StringIO(), live=False, every=0.1)


@pytest.mark.parametrize("period", ["0.5", "30", "3600"])
def test_a_period_within_bounds_is_taken(period: str) -> None:
    assert build_parser().parse_args(["up", "--progress-every", period]).progress_every == float(period)
