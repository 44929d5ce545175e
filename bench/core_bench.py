"""The listener's own work, no I/O: its whole pipeline (decode, validate, plan, coalesce, settle,
publish faults) on the in-memory store, archive and stream, against the original sample's
algorithm on an in-memory table (its reads and writes go to a dict of AttributeValue items, so
what is left is its own work too). CPU of the thread, per record, the best of a few runs: the
core has no waiting to hide behind, so the best run is the least disturbed one."""

import time
from collections.abc import Callable
from typing import Any

from bench.results import Figure, cost
from bench.sample_listener import SampleListener
from bench.workload import submissions
from services.listener.function import listener
from shared import collector
from shared.bootstrap import Ports
from shared.events.testing import kinesis_event
from shared.lists.memory import MemoryArchive, MemoryListStore
from shared.stream.batch import batch_response
from shared.stream.decoders import from_kinesis
from shared.stream.memory import MemoryStream

TAGS: dict[str, str | int] = {"source": "bench", "stage": "bench", "region": "local", "functionname": "core"}
RUNS = 3


class DictTable:
    """GetItem and PutItem on a dict, as the sample's algorithm calls them."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def get_item(self, TableName: str, Key: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 - boto3's names
        found = self.items.get((Key["pk"]["S"], Key["sk"]["S"]))
        return {} if found is None else {"Item": found}

    def put_item(self, TableName: str, Item: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        self.items[(Item["pk"]["S"], Item["sk"]["S"])] = Item
        return {}


def figure(records: int) -> Figure:
    documents = list(submissions(records))
    batches = [
        kinesis_event(documents[n : n + 1000], first_sequence=1 + n, arrival=time.time())
        for n in range(0, records, 1000)
    ]

    def ours() -> Callable[[dict[str, Any]], Any]:
        ports = Ports(store=MemoryListStore(), archive=MemoryArchive(), stream=MemoryStream())
        run = listener(ports, TAGS)

        def handle(event: dict[str, Any]) -> Any:
            with collector.batch():  # as the listener's handler runs a batch (shared/bootstrap.py)
                return batch_response(run(from_kinesis(event)))

        return handle

    def sample() -> Callable[[dict[str, Any]], Any]:
        return SampleListener(DictTable(), "core").handle

    ours_us = _best_us(ours, batches, records)
    sample_us = _best_us(sample, batches, records)
    print(f"   core: ours {ours_us:.1f} µs/record, the sample's algorithm {sample_us:.1f}", flush=True)
    return cost(
        "listener_core_us_per_record",
        "CPU µs / record, no I/O (vs the sample's algorithm)",
        ours_us,
        sample_us,
    )


def _best_us(
    make: Callable[[], Callable[[dict[str, Any]], Any]], batches: list[dict[str, Any]], records: int
) -> float:
    best = float("inf")
    for _ in range(RUNS + 1):  # the first warms what is built on first use
        handle = make()
        started = time.thread_time()
        for batch in batches:
            handle(batch)
        best = min(best, time.thread_time() - started)
    return best / records * 1e6
