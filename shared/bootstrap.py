"""The composition root: every function's handler is assembled here, from settings, on ports
that any caller may give instead of the real adapters.

A handler module is one line, `handle = bootstrap.lambda_handler(function.handler)`, after its
imports (both without the garbage collector: shared/collector.py), where the function's own
module says how its handler is made from `Ports` (services/*/function.py). Tests,
the bench and `listmgr` build the very same handler on ports of their own:

    handle = function.handler(Ports(Settings(stage="test"), store=MemoryListStore(),
                                    archive=MemoryArchive(), stream=MemoryStream()))
    handle(kinesis_event(records), context)

A port that is not given is the real adapter for the settings (the DynamoDB list store, the SQL
archive, the Kinesis stream), made the first time it is used and kept for the container's life:
a cold start pays only for what its first invocation touches. An event that is no batch
connects nothing; a listener batch without faults never makes a Kinesis client; the archive's
module and its driver are imported only when an archive is opened, and pymysql only for MySQL
(shared/adapters/sql_archive.py), so the trigger never loads either.
"""

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from shared import collector, logs, tracing
from shared.adapters.aws import client, secret_json
from shared.adapters.dynamodb import DynamoListStore
from shared.adapters.kinesis import KinesisStream
from shared.clock import now_ms
from shared.lists.archive import ArchivedRecord, ArchiveKey, ArchiveUnavailable, ChangeArchive
from shared.lists.store import ListStore
from shared.settings import Settings
from shared.stream import observe
from shared.stream.pipeline import Step
from shared.stream.publish import Stream
from shared.stream.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from shared.adapters.sql_archive import Archive

Handler = Callable[[Any, Any], dict[str, Any]]
"""A Lambda handler: (event, context) to the response."""
Tags = dict[str, str | int]
"""The envelope tags of what a function publishes: source, stage, region, functionname."""
AWS_CALLS = ("boto3", "botocore")
"""What every function traces from its start; MySQL is traced once a MySQL archive is opened."""
MADE = TypeVar("MADE")
DEFAULTS = Settings()


def list_store(settings: Settings) -> DynamoListStore:
    return DynamoListStore(
        client("dynamodb", settings.region, settings.aws), settings.table_name, settings.dedup
    )


def event_stream(settings: Settings) -> KinesisStream:
    return KinesisStream(client("kinesis", settings.region, settings.aws), settings.stream_name)


def archive(settings: Settings) -> "Archive":
    """The SQL archive of the settings, its password from their secret when they name one. It
    connects on its first statement, not here."""
    from shared.adapters.sql_archive import open_archive  # noqa: PLC0415 - see the docstring

    password = None
    if settings.archive_secret_arn:
        try:
            password = secret_json(settings.archive_secret_arn, settings.region, settings.aws)["password"]
        except (BotoCoreError, ClientError) as error:
            # As when the database itself does not answer: the API's history read is a 503 to
            # retry, not a 500. (The listener opens its archive as it builds its pipeline, so
            # that batch fails and is retried, as before.)
            raise ArchiveUnavailable(f"the archive's secret cannot be read: {error}") from error
    opened = open_archive(settings.archive_url, password)
    if opened.dialect.name == "mysql":
        tracing.trace_calls(("pymysql",))  # before its first connection: patching wraps connect
    return opened


class DeferredStream:
    """The event stream `make` returns, asked for at each put and so first made by the first:
    most listener batches publish nothing (only faults), and a Kinesis client costs a cold
    start tens of milliseconds. (`Ports` gives it a `make` that makes its one stream once.)"""

    def __init__(self, make: Callable[[], Stream]) -> None:
        self._make = make

    def put_records(self, records: Sequence[tuple[str, bytes]]) -> list[str | None]:
        return self._make().put_records(records)


class DeferredArchive:
    """The archive `make` returns, asked for at each call and so first opened by the first: the
    API reads it for a title's history only, and opening it imports its module and sqlite3 or
    the MySQL driver, which the cold start of a write should not pay for. (`Ports.archive`
    opens the archive once.)"""

    def __init__(self, make: Callable[[], ChangeArchive]) -> None:
        self._make = make

    def record(self, rows: Sequence[ArchivedRecord]) -> None:
        self._make().record(rows)

    def forget(self, keys: Sequence[ArchiveKey]) -> None:
        self._make().forget(keys)

    def history(self, title: str, limit: int, before: tuple[int, int] | None = None) -> list[ArchivedRecord]:
        return self._make().history(title, limit, before)

    def in_order(self) -> Iterator[ArchivedRecord]:
        return self._make().in_order()

    def count(self) -> int:
        return self._make().count()

    def purge(self) -> None:
        self._make().purge()


class Ports:
    """What a function runs on: settings, the list store, the archive, the event stream, a clock
    and a sleep. Each port given is used as it is; each one not given is the real adapter for
    the settings, made on first use, once, whichever thread asks first (`listmgr up` runs
    invocations of one function in several threads). Settings None: the environment's, read
    when first needed (`from_environment`)."""

    def __init__(
        self,
        settings: Settings | None = DEFAULTS,
        *,
        store: ListStore | None = None,
        archive: ChangeArchive | None = None,
        stream: Stream | None = None,
        clock: Callable[[], int] = now_ms,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._given_store, self._given_archive, self._given_stream = store, archive, stream
        self.clock = clock
        self.sleep = sleep
        self._made: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._stream = stream if stream is not None else DeferredStream(self.kinesis)

    @classmethod
    def from_environment(cls) -> "Ports":
        """The real adapters, for the settings the environment gives at the first invocation
        (`listmgr up` shows each function its own environment only while it runs)."""
        return cls(None)

    @property
    def settings(self) -> Settings:
        """The settings given, or the environment's: those also set the functions' log level
        (a caller that gives settings keeps the level it chose)."""
        with self._lock:
            if self._settings is None:
                self._settings = Settings.from_env()
                logs.set_level(self._settings.log_level)
            return self._settings

    @property
    def store(self) -> ListStore:
        return self._given_store if self._given_store is not None else self.dynamodb()

    @property
    def archive(self) -> ChangeArchive:
        return self._given_archive if self._given_archive is not None else self.sql_archive()

    @property
    def stream(self) -> Stream:
        return self._stream

    def dynamodb(self) -> DynamoListStore:
        return self._once("store", lambda: list_store(self.settings))

    def sql_archive(self) -> "Archive":
        return self._once("archive", lambda: archive(self.settings))

    def kinesis(self) -> KinesisStream:
        return self._once("stream", lambda: event_stream(self.settings))

    def probes(self) -> dict[str, Callable[[], None]]:
        """What GET /health checks (`probes`) of the real adapters, each made by its first check
        if it is not made yet; a port given is the caller's own, and checked by no one."""
        checks: dict[str, Callable[[], None]] = {}
        if self._given_store is None:
            checks["table"] = self._check("table", lambda: probes(store=self.dynamodb()))
        if self._given_stream is None:
            checks["stream"] = self._check("stream", lambda: probes(stream=self.kinesis()))
        if self._given_archive is None:
            checks["archive"] = self._check("archive", lambda: probes(archive=self.sql_archive()))
        return checks

    @staticmethod
    def _check(name: str, made: Callable[[], dict[str, Callable[[], None]]]) -> Callable[[], None]:
        def check() -> None:
            made()[name]()

        return check

    def migrate(self) -> list[str]:
        """Brings the real archive's schema up to date; returns the migrations it applied. An
        archive given is the caller's own and has no schema to migrate."""
        return [] if self._given_archive is not None else self.sql_archive().migrate()

    def close(self) -> None:
        """Closes the archive's connection, if this made one (the clients need no closing)."""
        with self._lock:
            made = self._made.get("archive")
        if made is not None:
            made.close()

    def _once(self, name: str, make: Callable[[], MADE]) -> MADE:
        with self._lock:
            if name not in self._made:
                self._made[name] = make()
            made: MADE = self._made[name]
            return made


def probes(
    store: DynamoListStore | None = None,
    stream: KinesisStream | None = None,
    archive: "Archive | None" = None,
) -> dict[str, Callable[[], None]]:
    """The health check of each real adapter given, by name."""
    checks: dict[str, Callable[[], None]] = {}
    if store is not None:
        checks["table"] = store.describe
    if stream is not None:
        checks["stream"] = lambda: stream.client.describe_stream_summary(StreamName=stream.stream_name)
    if archive is not None:
        # A write, not a ping: a database that answers but refuses writes (a full disk) is down
        # for the listener, whose every batch then fails.
        checks["archive"] = archive.probe_write
    return checks


def stream_handler(
    ports: Ports,
    observed: observe.Observed,
    decode: Callable[[Any], list[UnitOfWork]],
    pipeline: Callable[[Ports, Tags], Step],
) -> Handler:
    """The handler of a stream function: the batch decoded, the function's pipeline over it on
    `ports`, reported (shared/stream/observe.py), and its partial batch response; all of it
    without automatic garbage collections (shared/collector.py)."""

    def handle(event: Any, context: Any) -> dict[str, Any]:
        started, received_ms = time.perf_counter(), time.time() * 1000
        with collector.batch():
            # First, so an event that is no batch (NotABatch) says so before anything is connected.
            decoded = decode(event)
            settings = ports.settings
            tags: Tags = {
                "source": observed.name,
                "stage": settings.stage,
                "region": settings.region,
                "functionname": getattr(context, "function_name", observed.name),
            }
            step = pipeline(ports, tags)
            return observe.run_batch(observed, settings.stage, context, decoded, step, started, received_ms)

    return handle


def lambda_handler(make: Callable[[Ports], MADE]) -> MADE:
    """What a handler module exports: the function's handler on the real adapters, for the
    settings the environment gives. Its logs are JSON lines, and inside Lambda its AWS calls
    are traced (shared/tracing.py)."""
    with collector.importing():  # inside Lambda, the X-Ray SDK's import
        logs.configure()
        tracing.trace_calls(AWS_CALLS)
        return make(Ports.from_environment())
