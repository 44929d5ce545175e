"""tumblingWindowInSeconds: the state each invocation returns is passed to the next one of its
window, and the window's final invocation sees the whole window's state."""

import re
from collections import defaultdict
from typing import Any

from tests.support.mapping_project import MappingProject
from tests.support.stack import wait_for

ISO_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def test_the_final_invocation_of_each_window_sees_its_summed_state(project: MappingProject) -> None:
    project.put(list(range(1, 31)))
    project.start("windowed")

    def all_windows_closed() -> list[dict[str, Any]] | None:
        lines = project.recorded("windowed")
        finals = [line for line in lines if line["isFinalInvokeForWindow"]]
        return lines if sum(line["state"].get("total", 0) for line in finals) == 465 else None

    invocations = wait_for(all_windows_closed)

    summed: dict[str, int] = defaultdict(int)
    for line in invocations:
        assert ISO_SECONDS.fullmatch(line["window"]["start"]) and ISO_SECONDS.fullmatch(line["window"]["end"])
        assert line["shardId"] == "shardId-000000000000"
        assert line["eventSourceARN"] == project.source("windowed").arn
        assert line["isWindowTerminatedEarly"] is False
        if line["isFinalInvokeForWindow"]:
            assert line["values"] == [], "the final invocation carries no records"
            assert line["state"]["total"] == summed.pop(line["window"]["start"])
        else:
            assert len(line["values"]) <= 7
            assert line["state"].get("total", 0) == summed[line["window"]["start"]], "the state so far"
            summed[line["window"]["start"]] += sum(line["values"])
    assert not summed, "every window was closed"
