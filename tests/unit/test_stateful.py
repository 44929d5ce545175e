"""The listener's guarantees as a stateful property (tests/faults/machine.py), on the in-memory
store, archive and stream, with seeded faults injected into each. Many examples, in seconds;
LISTMGR_PROOF=full (make proof-full) runs many more."""

from typing import Any

from shared.events.codec import loads
from shared.lists.memory import MemoryArchive, MemoryListStore
from shared.stream.memory import MemoryStream
from tests.faults.machine import Figures, ListenerMachine, Ports, proof_settings


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


InMemory.TestCase.settings = proof_settings((100, 3000), (40, 80))
TestInMemory = InMemory.TestCase


def teardown_module(module: Any) -> None:
    # The figures for docs/reliability.md: `pytest -s` shows them.
    print(f"\nstateful, in memory: {InMemory.figures.line()}")
