"""What the API needs from the outside world, through the ports (ListStore, Stream,
ChangeArchive): the real connectors in AWS and in `listmgr up` (services/api/handler.py), the
in-memory ones in unit tests."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from services.api.auth import KeyRing
from services.api.waiting import Waiter
from shared.clock import now_ms
from shared.lists.archive import ChangeArchive
from shared.lists.store import ListStore
from shared.stream.publish import PublishOptions, Stream

Probe = Callable[[], None]
"""Returns when a dependency answers, raises when it does not."""

API_PUBLISHING = PublishOptions(max_attempts=4, base_delay=0.05, max_delay=0.5)
"""A client is waiting: at most 0.7 s of backoff between four attempts, then a 503 to retry."""


@dataclass(frozen=True)
class ApiDeps:
    store: ListStore
    stream: Stream
    archive: ChangeArchive
    keys: KeyRing
    tags: Mapping[str, str | int]
    """The envelope tags of the events the API publishes (source, stage, region, functionname)."""
    probes: Mapping[str, Probe] = field(default_factory=dict)
    """What GET /health checks, by name."""
    reads_need_key: bool = False
    clock: Callable[[], int] = now_ms
    publishing: PublishOptions = API_PUBLISHING
    waiter: Waiter = field(default_factory=Waiter)
    """Polls for the outcome of a write sent with `Prefer: wait=N`."""
