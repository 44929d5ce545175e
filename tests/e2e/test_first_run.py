"""A newcomer's first minutes: `listmgr up` says what it is doing phase by phase, and the command
its banner suggests works as printed; the banner fits an 80x24 terminal; another project run with
--config gets a banner of its own."""

import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from shared.events.codec import loads
from tests.support.aws import ROOT
from tests.support.stack import RunningStack, start_stack, stop_stack, wait_for

PHASES = [
    r"listmgr: starting the AWS endpoint on http://127\.0\.0\.1:\d+",
    r"listmgr: creating the resources of .*serverless\.yml",
    r"listmgr: starting the event source mappings",
    r"listmgr: starting the API \(api\) on http://127\.0\.0\.1:\d+",
    r"listmgr: ready",
]


def _banner(stack: RunningStack, last_line: str) -> str:
    """The output of `listmgr up` once it has printed `last_line`."""

    def printed() -> str | None:
        text = (stack.folder / "up.log").read_text()
        return text if last_line in text else None

    return wait_for(printed, timeout=30)


@pytest.mark.skipif(
    shutil.which("curl") is None, reason="curl is not installed: the banner's command needs it"
)
def test_up_reports_each_phase_and_its_suggested_curl_command_works(stack: RunningStack) -> None:
    output = _banner(stack, "Stop: Ctrl-C")
    progress = [line for line in output.splitlines() if line.startswith("listmgr: ")]
    [try_line] = [line for line in output.splitlines() if line.startswith("Try:  ")]

    result = subprocess.run(
        ["sh", "-c", try_line.removeprefix("Try:  ") + " -w '\\n%{http_code}'"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    body, _, status = result.stdout.rpartition("\n")

    assert [
        re.fullmatch(pattern, line) is not None for pattern, line in zip(PHASES, progress, strict=True)
    ] == [True] * len(PHASES)
    assert "list-manager is running" in output
    assert status == "202", result.stdout + result.stderr
    assert loads(body)["status"] == "accepted"


def rows_at(text: str, columns: int) -> int:
    """The terminal rows `text` takes at `columns` columns, each line wrapping."""
    return sum(max(1, math.ceil(len(line) / columns)) for line in text.splitlines())


def test_the_banner_and_the_mappings_display_fit_an_80_by_24_terminal(stack: RunningStack) -> None:
    output = _banner(stack, "Stop: Ctrl-C")
    banner = output[output.index("list-manager is running") : output.index("Stop: Ctrl-C")]
    # Below the banner, the live display: a line per mapping, two rows each at 80 columns.
    display = 2 * len(stack.info["mappings"])

    assert rows_at(banner + "Stop: Ctrl-C", 80) + display <= 24, banner
    assert "API key" in banner and stack.key in banner
    assert "AWS::CloudWatch::Alarm" not in banner
    # Named in full in stack.json instead.
    assert stack.info["not_emulated"]["ListenerErrorsAlarm"] == "AWS::CloudWatch::Alarm"


def test_another_project_gets_a_banner_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKS_RECORDINGS", str(tmp_path / "clicks.txt"))
    project = ROOT / "tests" / "fixtures" / "project" / "serverless.yml"
    running = start_stack(tmp_path, ("--config", str(project)))
    try:
        output = _banner(running, "Stop: Ctrl-C")
    finally:
        assert stop_stack(running) == 0
    banner = output[output.index("click-counter is running") :]

    assert "click-counter-dev-clicks" in banner
    assert "click-counter-dev-counts" in banner
    assert "kinesis -> count" in banner
    for absent in ("list-manager", "curl", "/lists", "API key", "listmgr: starting the API"):
        assert absent not in output
