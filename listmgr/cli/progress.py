"""What `listmgr up` shows while it runs: a line per event source mapping with what it has done
(records delivered and their rate, faults, retries, discarded records, iterator age, records in
flight), refreshed in place on a terminal, and as periodic log lines when the output is a file or
a pipe (CI, `nohup`, a container's log), written only when something moved. The drain on Ctrl-C
goes on with the same lines, marked `draining`, more often.

The mapping's own counts come from the emulator (listmgr/runtime/mappings/counters.py). Faults are the
function's: the records it set aside as `fault` events, which only it knows of; it says so in
its EMF metric RecordsFaulted (shared/metrics.py), which the stack's logbook hands over here as
the function writes it, the way CloudWatch would turn it into a metric.
"""

import logging
import math
import os
import shutil
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from listmgr.runtime.mappings.counters import Counts
from listmgr.runtime.mappings.mapping import Activity
from shared import metrics

log = logging.getLogger("listmgr.progress")
LIVE_EVERY = 1.0
"""Seconds between refreshes in place on a terminal."""
LOG_EVERY = 10.0
"""Seconds between log lines otherwise, while something moves."""
DRAIN_LOG_EVERY = 2.0
"""Seconds between log lines while draining."""
SHORTEST_EVERY, LONGEST_EVERY = 0.5, 3600.0
"""The periods of log lines one may ask for."""
FAULTS_METRIC = "RecordsFaulted"
_UP_AND_CLEAR = "\x1b[{lines}F\x1b[J"
"""ANSI: to the start of the line `lines` up, then erase to the end of the screen."""


class FunctionTotals:
    """Each function's Count metrics summed over the EMF documents it wrote."""

    def __init__(self) -> None:
        self._totals: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def add(self, function: str, document: Mapping[str, Any]) -> None:
        names = [
            metric.get("Name")
            for directive in document.get("_aws", {}).get("CloudWatchMetrics", [])
            for metric in directive.get("Metrics", [])
            if metric.get("Unit") == metrics.COUNT
        ]
        with self._lock:
            totals = self._totals.setdefault(function, {})
            for name in names:
                value = document.get(name)
                if isinstance(name, str) and isinstance(value, int | float) and not isinstance(value, bool):
                    totals[name] = totals.get(name, 0) + value

    def of(self, function: str) -> Mapping[str, float]:
        with self._lock:
            return dict(self._totals.get(function, {}))


class Shown(Protocol):
    """What the display reads of a mapping (listmgr.runtime.mappings.mapping.EventSourceMapping)."""

    @property
    def label(self) -> str: ...
    @property
    def function_key(self) -> str: ...
    def counts(self) -> Counts: ...
    def activity(self) -> Activity: ...


@dataclass(frozen=True)
class Row:
    label: str
    """`function <- kind stream`."""
    counts: Counts
    in_flight: int
    faults: float | None
    """None: the function writes no RecordsFaulted metric."""


def describe(row: Row, before: Row | None, seconds: float, draining: bool) -> str:
    """One mapping's line; `before` is the row `seconds` ago, for the rate and whether it invoked since."""
    counts = row.counts
    parts = [_count(counts.delivered, "record") + " processed"]
    if before is not None and seconds > 0:
        parts[0] += f" ({(counts.delivered - before.counts.delivered) / seconds:,.0f}/s)"
    if counts.filtered_out:
        parts.append(f"{counts.filtered_out:,} filtered out")
    if row.faults is not None:
        parts.append(_count(round(row.faults), "fault"))
    parts.append(_count(counts.retries, "retry", "retries"))
    parts.append(f"{counts.discarded:,} discarded")
    invoked_since = before is None or counts.invocations != before.counts.invocations
    if counts.iterator_age_ms is None or not invoked_since:
        parts.append("idle" if not row.in_flight else "waiting")
    else:
        parts.append(f"iterator age {counts.iterator_age_ms:,} ms")
    if row.in_flight or draining:
        parts.append(f"{row.in_flight:,} in flight")
    return f"{'draining: ' if draining else ''}{row.label}: {', '.join(parts)}"


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number:,} {one if number == 1 else many or one + 's'}"


class Progress:
    """The display. On a terminal it owns the lines below everything else: anything else written
    while it is shown (log lines, `say`) goes above it through `say` and `handler()`."""

    def __init__(
        self,
        mappings: Sequence[Shown],
        totals: FunctionTotals,
        out: TextIO,
        live: bool,
        every: float = LOG_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`every`: seconds between log lines when not `live`."""
        if not SHORTEST_EVERY <= every <= LONGEST_EVERY:
            raise ValueError(f"a period of {every} s; it is {SHORTEST_EVERY} to {LONGEST_EVERY:.0f} s")
        self.mappings = mappings
        self.every = every
        self.totals = totals
        self.out = out
        self.live = live
        self.clock = clock
        self.draining = False
        self._lock = threading.RLock()
        self._drawn = 0
        self._last_lines: list[str] = []
        self._sampled: list[Row] | None = None
        """The rows of the last refresh, shown or not: what rates and idleness are measured against."""
        self._sampled_at = 0.0
        self._shown: list[Row] | None = None
        self._stop = threading.Event()
        self._due = threading.Event()
        """Set to refresh at once (the drain began, or the display stops)."""
        self._thread: threading.Thread | None = None

    def rows(self) -> list[Row]:
        rows = []
        for mapping in self.mappings:
            totals = self.totals.of(mapping.function_key)
            rows.append(
                Row(mapping.label, mapping.counts(), mapping.activity().in_flight, totals.get(FAULTS_METRIC))
            )
        return rows

    def refresh(self) -> None:
        """Shows the lines now if due (always on a terminal; otherwise when something moved)."""
        rows, now = self.rows(), self.clock()
        with self._lock:
            before, seconds = self._sampled, now - self._sampled_at
            self._sampled, self._sampled_at = rows, now
            lines = [describe(row, old, seconds, self.draining) for row, old in _paired(rows, before)]
            if self.live:
                self._erase()
                self._draw(lines)
            else:
                for line, row, shown in zip(lines, rows, _paired(rows, self._shown), strict=True):
                    if self._moved(shown[1], row):
                        log.info("%s", line)
            self._shown = rows

    def say(self, line: str, out: TextIO | None = None) -> None:
        """A line above the display, on `out` (the display's own stream by default): stdout's
        lines reach a file or a pipe stdout goes to, while the display stays on the terminal."""
        target = out or self.out
        with self._lock:
            if not self.live or not self._drawn:
                target.write(line + "\n")
                target.flush()
                return
            shown = self._last_lines
            self._erase()
            self.out.flush()
            target.write(line + "\n")
            target.flush()
            self._draw(shown)

    def handler(self) -> logging.Handler:
        """A logging handler writing its lines above the display."""
        return Above(self)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name="progress")
        self._thread.start()

    def drain_started(self) -> None:
        with self._lock:
            self.draining = True
            self._shown = None  # a first draining line for every mapping, moved or not
        self.refresh()
        self._due.set()  # and from now on at the drain's pace, not after the wait under way

    def stop(self) -> None:
        """Stops refreshing, showing the lines a last time; they stay. Once only."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._due.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.refresh()

    def _run(self) -> None:
        while True:
            woken = self._due.wait(self._every())
            self._due.clear()
            if self._stop.is_set():
                return
            if woken:
                continue  # the wait starts over at the new pace; whoever woke it refreshed
            try:
                self.refresh()
            except Exception:
                log.exception("showing progress failed")

    def _every(self) -> float:
        if self.live:
            return LIVE_EVERY
        return min(self.every, DRAIN_LOG_EVERY) if self.draining else self.every

    def _moved(self, before: Row | None, row: Row) -> bool:
        """Whether a mapping's line is worth a log line: it changed since it was last logged, or
        it still has records in flight while draining."""
        if before is None or (self.draining and row.in_flight):
            return True
        return (before.counts, before.faults) != (row.counts, row.faults)

    def _erase(self) -> None:
        if self._drawn:
            self.out.write(_UP_AND_CLEAR.format(lines=self._drawn))
            self._drawn = 0

    def _draw(self, lines: list[str]) -> None:
        # Rows, not lines, are what the next erase must go up: a line wider than the terminal
        # wraps onto more rows (never cut: the figures are at its end).
        width = terminal_columns(self.out)
        rows = 0
        for line in lines:
            text = f"listmgr: {line}"
            self.out.write(text + "\n")
            rows += max(1, math.ceil(len(text) / width))
        self.out.flush()
        self._drawn = rows
        self._last_lines = lines


def terminal_columns(out: TextIO) -> int:
    """The width of the terminal `out` writes to (stdout may be a file while stderr is a terminal)."""
    try:
        columns = os.get_terminal_size(out.fileno()).columns
    except (AttributeError, ValueError, OSError):
        columns = 0
    # 0: no terminal, or one that does not say its size (a new pseudo-terminal): COLUMNS, else 80.
    return columns or max(1, shutil.get_terminal_size().columns)


class Above(logging.Handler):
    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.progress.say(self.format(record))
        except Exception:
            self.handleError(record)


def _paired(rows: Sequence[Row], before: Sequence[Row] | None) -> list[tuple[Row, Row | None]]:
    if before is None or len(before) != len(rows):
        return [(row, None) for row in rows]
    return list(zip(rows, before, strict=True))
