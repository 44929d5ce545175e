"""A soak of the local stack: Zipf traffic (bench/workload.py, tallies and rankings) through
`listmgr send` into `listmgr up`, in two equal runs, every list equal to the model at the end and
the stack's memory not growing from one run to the next.

LISTMGR_SOAK_RECORDS sets the records of both runs together: 2,000 in `make test`, 100,000 under
`make soak`. Times and rates are printed (-s), never asserted.

Memory: peak RSS (VmHWM in /proc/<pid>/status) of the `listmgr up` process. moto runs inside it and
keeps every Kinesis record and every item, as AWS would on its side, so RSS rises with the records
held; what must not rise is what a run costs: the peak of the second run above its start is
compared with the first's, the peak reset between them (`5` into /proc/<pid>/clear_refs). A leak
per record or per batch in the mappings or the listener makes the second run cost more than the
first, which also paid for the imports and warm-up.
"""

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.workload import submissions
from listmgr.cli.commands import aws_client
from services.admin import operations
from shared.adapters.dynamodb import DynamoListStore
from shared.adapters.sql_archive import Archive, open_archive
from shared.events.codec import dumps
from tests.model import fold, observed
from tests.support.stack import RunningStack, start_stack, wait_for

pytestmark = pytest.mark.slow

RECORDS = int(os.environ.get("LISTMGR_SOAK_RECORDS", "2000"))
RUNS = 2
MIB = 1024 * 1024
# The memory a run may cost above the first one's before it counts as growth: allocator noise
# (arenas, freelists, moto's lists growing in steps) at a few MiB, or a tenth, whichever is larger.
NOISE = 8 * MIB


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid`, in bytes."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields


def reset_peak(pid: int) -> None:
    # Linux: writing 5 to clear_refs sets the peak resident set size back to the current one.
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@pytest.fixture
def soak_stack(tmp_path: Path) -> Iterator[RunningStack]:
    running = start_stack(tmp_path)
    yield running
    if running.process.poll() is None:
        running.process.send_signal(signal.SIGINT)
        try:
            running.process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            # A failed soak can leave a long drain behind: a second Ctrl-C stops at once.
            running.process.send_signal(signal.SIGINT)
            running.process.wait(timeout=60)


def archived(stack: RunningStack) -> Archive:
    return open_archive(f"sqlite:///{stack.folder}/.listmgr/archive.db")


def send(stack: RunningStack, documents: list[dict[str, Any]], run: int) -> None:
    lines = stack.folder / f"run-{run}.jsonl"
    lines.write_text("".join(dumps(document) + "\n" for document in documents))
    # Bounded by the size, not by a rate: the whole stack shares one process and two cores.
    result = stack.listmgr("send", str(lines), timeout=120 + len(documents) / 10)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"sent {len(documents)} records" in result.stdout


# pytest's default 600 s is for `make test`; a long soak is bounded by its size instead.
@pytest.mark.timeout(600 + RECORDS // 10)
def test_a_soak_keeps_every_list_exact_and_memory_flat(soak_stack: RunningStack) -> None:
    stack, pid = soak_stack, soak_stack.process.pid
    documents = list(submissions(RECORDS, seed=2026, titles=50, users=500))
    per_run = len(documents) // RUNS
    archive = archived(stack)
    costs: list[int] = []
    figures: list[str] = []
    for run in range(RUNS):
        batch = documents[run * per_run : (run + 1) * per_run]
        expected = (run + 1) * per_run
        reset_peak(pid)
        start = memory(pid)["VmRSS"]
        began = time.monotonic()
        send(stack, batch, run)
        # Every record is a bare submission of a title of one type: each is applied and archived.
        wait_for(lambda: archive.count() >= expected, timeout=120 + per_run / 20, every=1)  # noqa: B023 - waited on in this iteration
        took = time.monotonic() - began
        peak = memory(pid)["VmHWM"]
        costs.append(peak - start)
        figures.append(
            f"run {run + 1}: {len(batch)} records in {took:.1f} s ({len(batch) / took:.0f} records/s), "
            f"RSS {start / MIB:.0f} MiB at start, peak {peak / MIB:.0f} MiB (+{(peak - start) / MIB:.1f})"
        )
    archive_rows = archive.count()
    archive.close()

    aws = aws_client(stack.info, "dynamodb")
    store = DynamoListStore(aws, stack.info["table_name"])
    expected_lists = fold(documents[: RUNS * per_run])

    def lists() -> dict[Any, Any]:
        return observed(operations.live_entities(store.lists()))

    # A batch's rows are archived before its table writes commit (so the archive never misses an
    # applied change): the last batch's lists may land a moment after its rows. They must land.
    try:
        wait_for(lambda: lists() == expected_lists, timeout=120, every=2)
    except pytest.fail.Exception:
        assert lists() == expected_lists  # fails again, showing how they differ
    assert archive_rows == RUNS * per_run
    verify = stack.listmgr("replay", "--verify", timeout=600)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "the table matches the archive" in verify.stdout
    print("\nsoak: " + "; ".join(figures) + f"; lost 0, doubled 0 ({archive_rows} archive rows)")
    # The second run costs no more memory than the first: nothing accumulates per record beyond
    # what moto keeps of the records themselves, which both runs pay alike.
    assert costs[1] <= costs[0] + max(NOISE, costs[0] // 10), figures
