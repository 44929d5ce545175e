"""The listener's guarantees as a stateful property (tests/faults/machine.py), on the in-memory
store, archive and stream, with seeded faults injected into each. Many examples, in seconds;
LISTMGR_PROOF=full (make proof-full) runs many more."""

from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings

from shared.events.codec import loads
from shared.lists.memory import MemoryListStore
from shared.stream.connectors.archive import ArchivedRecord
from tests.fakes import FakeArchive, FakeStream
from tests.faults.machine import Figures, ListenerMachine, Ports, examples, phases


class OrderedArchive(FakeArchive):
    """The fake archive read as a rebuild reads the real one (Archive.in_order)."""

    def in_order(self) -> Iterator[ArchivedRecord]:
        return iter(
            sorted(self.rows.values(), key=lambda r: (r.title, r.version, r.position, r.user_name, r.id))
        )


class InMemory(ListenerMachine):
    figures = Figures()

    def ports(self) -> Ports:
        archive, stream = OrderedArchive(), FakeStream()
        return Ports(
            store=MemoryListStore(),
            archive=archive,
            rows=archive,
            archived=lambda: dict(archive.rows),
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
