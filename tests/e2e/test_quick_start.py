"""The README's Quick start, pasted whole into a shell as a new user would, against a running
stack: every figure it shows comes out, with no pause between the writes and the reads."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws import ROOT
from tests.support.docs import code_block
from tests.support.stack import RunningStack, pasted, start_stack, stop_stack


def json_lines(output: str) -> list[Any]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def run_quick_start(stack: RunningStack) -> list[Any]:
    """The block pasted into a shell in the stack's folder; the JSON lines it printed."""
    return json_lines(pasted(code_block("README.md", "sh", "quick-start"), stack))


def assert_the_figures(answers: list[Any]) -> None:
    writes, stats, movies, after_write, reranked = answers[:4], answers[4], answers[5], answers[6], answers[7]
    assert [write["status"] for write in writes] == ["applied"] * 4
    assert (stats["entries"], stats["users"]) == ({"xp": 108}, 2)
    assert movies["entries"] == {"blade runner": 3, "the empire strikes back": 5, "alien": 4}
    assert movies["counts"] == {"blade runner": 2, "the empire strikes back": 2, "alien": 2}
    assert movies["ranking"] == ["blade runner", "alien", "the empire strikes back"]
    assert after_write["status"] == "applied"
    assert reranked["entries"] == {"blade runner": 4, "the empire strikes back": 3, "alien": 2}
    assert reranked["counts"] == {"blade runner": 2, "the empire strikes back": 1, "alien": 2}
    assert reranked["ranking"] == ["alien", "blade runner", "the empire strikes back"]
    events = answers[8:]
    assert len(events) == 3 and all(event["type"].startswith("aggregate-list-") for event in events)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the Quick start uses curl")
def test_the_quick_start_pasted_whole_shows_its_figures_and_again_after_a_reset(stack: RunningStack) -> None:
    (stack.folder / ".venv").symlink_to(Path(ROOT / ".venv"))
    assert_the_figures(run_quick_start(stack))

    # Starting over as the README says: stop the stack, `listmgr reset`, start it again. Without
    # the reset the archive brings the lists back and the second run adds to them.
    assert stop_stack(stack) == 0
    reset = stack.listmgr("reset")
    assert reset.returncode == 0, reset.stderr
    again = start_stack(stack.folder)
    try:
        assert_the_figures(run_quick_start(again))
    finally:
        assert stop_stack(again) == 0
