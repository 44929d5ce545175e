"""A stream batch runs without automatic garbage collections, and what it left in cycles is freed
as it ends (shared/collector.py); the collector is never left off."""

import gc
import weakref
from collections.abc import Iterator, Sequence

import pytest

from services.listener.function import OBSERVED
from shared import collector
from shared.bootstrap import Ports, Tags, stream_handler
from shared.events.testing import kinesis_event
from shared.stream.decoders import from_kinesis
from shared.stream.pipeline import Step
from shared.stream.unit_of_work import UnitOfWork
from tests.support.ports import in_memory

SUBMISSION = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 1}}


class Cyclic:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    assert gc.isenabled()
    yield
    gc.enable()


def test_a_batch_runs_without_the_collector_and_frees_its_cycles_as_it_ends() -> None:
    seen: dict[str, object] = {}

    def pipeline(ports: Ports, tags: Tags) -> Step:
        def step(units: Sequence[UnitOfWork]) -> list[UnitOfWork]:
            cycle = Cyclic()
            seen["cycle"] = weakref.ref(cycle)
            del cycle
            # Far more containers than the youngest generation's threshold: with the collector
            # on, collections would run here and move the cycle to an older generation.
            seen["kept"] = [[n] for n in range(50 * gc.get_threshold()[0])]
            seen["collector on"] = gc.isenabled()
            return list(units)

        return step

    handle = stream_handler(in_memory(), OBSERVED, from_kinesis, pipeline)
    assert handle(kinesis_event([SUBMISSION]), None) == {"batchItemFailures": []}
    assert seen["collector on"] is False
    assert gc.isenabled()
    cycle = seen["cycle"]
    assert isinstance(cycle, weakref.ref) and cycle() is None


def test_the_collector_is_on_again_when_a_batch_raises() -> None:
    with pytest.raises(RuntimeError), collector.batch():
        raise RuntimeError("the batch failed")
    assert gc.isenabled()


def test_overlapping_batches_leave_it_to_the_one_that_turned_it_off() -> None:
    with collector.batch():
        with collector.batch():
            cycle = Cyclic()
            freed = weakref.ref(cycle)
            del cycle
        assert not gc.isenabled()
        assert freed() is not None  # the inner batch collects nothing
    assert gc.isenabled()
    assert freed() is None


def test_a_collector_found_off_stays_off() -> None:
    gc.disable()
    with collector.batch():
        pass
    assert not gc.isenabled()
