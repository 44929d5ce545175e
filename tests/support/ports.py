"""The ports of the unit tests: shared/bootstrap.py's `Ports` on the in-memory store, archive and
stream, with no real sleeps. A test gives the ones it wants to look at or shape (a faulty
archive, a clock); the functions' handlers and pipelines are then built exactly as in Lambda."""

from collections.abc import Callable

from shared.bootstrap import Ports, Tags
from shared.clock import now_ms
from shared.lists.archive import ChangeArchive
from shared.lists.memory import MemoryArchive, MemoryListStore
from shared.lists.store import ListStore
from shared.settings import Settings
from shared.stream.memory import MemoryStream
from shared.stream.publish import Stream

SETTINGS = Settings(stage="test")
TAGS: Tags = {"source": "listener", "stage": "test", "region": "us-east-1", "functionname": "listener"}
"""The tags of the listener's handler under SETTINGS, outside Lambda (no function name)."""


def in_memory(
    settings: Settings = SETTINGS,
    *,
    store: ListStore | None = None,
    archive: ChangeArchive | None = None,
    stream: Stream | None = None,
    clock: Callable[[], int] = now_ms,
    sleep: Callable[[float], None] = lambda _: None,
) -> Ports:
    return Ports(
        settings,
        store=MemoryListStore() if store is None else store,
        archive=MemoryArchive() if archive is None else archive,
        stream=MemoryStream() if stream is None else stream,
        clock=clock,
        sleep=sleep,
    )
