"""The local stack as a user runs it: `listmgr up` in a folder of its own, driven over HTTP and
with `listmgr` commands."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import RunningStack, start_stack, stop_stack


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[RunningStack]:
    running = start_stack(tmp_path)
    yield running
    if running.process.poll() is None:
        stop_stack(running)
