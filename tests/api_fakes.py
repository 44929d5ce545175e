"""The API over the in-memory store, stream and archive: what it publishes is applied by the real
listener core over the same store and archive, so unit tests see writes come back in reads."""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from flask.testing import FlaskClient

from services.api.app import create_app
from services.api.auth import KeyRing, hash_key
from services.api.deps import ApiDeps, Probe
from services.api.waiting import Waiter
from services.listener.function import listener
from shared.events.testing import kinesis_record
from shared.lists.memory import MemoryArchive, MemoryListStore
from shared.stream.decoders import kinesis_unit
from shared.stream.memory import MemoryStream
from shared.stream.pipeline import Step
from tests.faults.layer import ThrottledStream
from tests.support import ports

ADMIN_KEY = "lm_admin-key-for-tests"
BILL_KEY = "lm_bill-key-for-tests"
KEYS = KeyRing.from_document(
    {
        "keys": [
            {"name": "admin", "sha256": hash_key(ADMIN_KEY), "admin": True},
            {"name": "bill", "sha256": hash_key(BILL_KEY), "user": "bill"},
        ]
    }
)
TAGS: dict[str, str | int] = {"source": "api", "stage": "test", "region": "us-east-1", "functionname": "api"}


@dataclass
class World:
    """The API, the stream it publishes to, and a listener that applies what is on it."""

    store: MemoryListStore = field(default_factory=MemoryListStore)
    archive: MemoryArchive = field(default_factory=MemoryArchive)
    stream: MemoryStream = field(default_factory=MemoryStream)
    throttled: ThrottledStream = field(init=False)
    """What the API publishes through: the stream, with no position refused until a test says."""
    listener: Step = field(init=False)
    """The listener's pipeline over the same store and archive."""
    probes: dict[str, Probe] = field(default_factory=dict)
    reads_need_key: bool = False
    applied: int = 0
    listening: bool = True
    """Whether the listener applies what is published while a request waits."""

    def __post_init__(self) -> None:
        self.throttled = ThrottledStream(self.stream)
        # The listener's faults go to a stream of their own: what the API published stays apart.
        self.listener = listener(ports.in_memory(store=self.store, archive=self.archive), ports.TAGS)
        self.waiter = instant_waiter(self.listen)
        self.app: Flask = create_app(self.deps())
        self.client: FlaskClient = self.app.test_client()

    def deps(self) -> ApiDeps:
        return ApiDeps(
            store=self.store,
            stream=self.throttled,
            archive=self.archive,
            keys=KEYS,
            tags=TAGS,
            probes=self.probes,
            reads_need_key=self.reads_need_key,
            clock=self.now,
            waiter=self.waiter,
        )

    def now(self) -> int:
        """The API's clock: it moves on with every record applied."""
        return 1_700_000_000_000 + self.applied

    def listen(self) -> None:
        """What the listener does while a request waits: apply what was published, if it runs."""
        if self.listening:
            self.apply()

    def apply(self) -> None:
        """Runs the listener over the records published since the last call."""
        fresh = self.stream.records[self.applied :]
        records = [
            kinesis_record(
                data, sequence_number=self.applied + offset + 1, partition_key=key, arrival=self.now() / 1000
            )
            for offset, (key, data) in enumerate(fresh)
        ]
        self.listener([kinesis_unit(record) for record in records])
        self.applied = len(self.stream.records)

    def published(self) -> list[bytes]:
        return [data for _, data in self.stream.records]


class ManualClock:
    """Monotonic seconds that pass only when something sleeps: waits cost no real time."""

    def __init__(self, on_sleep: Callable[[], object] = lambda: None) -> None:
        self.seconds = 0.0
        self.on_sleep = on_sleep

    def now(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        self.seconds += seconds
        self.on_sleep()


def instant_waiter(on_sleep: Callable[[], object] = lambda: None, max_concurrent: int = 4) -> Waiter:
    clock = ManualClock(on_sleep)
    return Waiter(max_concurrent=max_concurrent, sleep=clock.sleep, monotonic=clock.now)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
