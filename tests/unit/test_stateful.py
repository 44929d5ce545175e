"""The listener's guarantees as a stateful property (tests/faults/machine.py), on the in-memory
store, archive and stream, with seeded faults injected into each. Many examples, in seconds;
LISTMGR_PROOF=full (make proof-full) runs many more."""

from typing import Any

from hypothesis import HealthCheck, settings

from shared.events.codec import loads
from shared.lists.memory import MemoryArchive, MemoryListStore
from shared.stream.memory import MemoryStream
from tests.faults.machine import Figures, ListenerMachine, Ports, examples, phases


class InMemory(ListenerMachine):
    figures = Figures()

    def ports(self) -> Ports:
        archive, stream = MemoryArchive(), MemoryStream()
        return Ports(
            store=MemoryListStore(),
            archive=archive,
            stream=stream,
            published=lambda: [loads(data) for _, data in stream.records],
        )


InMemory.TestCase.settings = settings(
    max_examples=examples(100, 3000),
    phases=phases(),
    stateful_step_count=examples(40, 80),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestInMemory = InMemory.TestCase


def teardown_module(module: Any) -> None:
    # The figures for docs/reliability.md: `pytest -s` shows them.
    print(f"\nstateful, in memory: {InMemory.figures.line()}")
