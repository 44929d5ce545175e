"""Read-your-writes for a CQRS API: `Prefer: wait=N` (RFC 7240) holds a write's answer until the
listener has decided its change, for at most N seconds.

The API learns the outcome the way any client could: from the list store, which remembers every
change's outcome with its id (consistent reads, with backoff, a bounded number of them). Waiting
requests are capped per process, so they never take every worker from the requests that do not
wait: past the cap a write answers 202 at once, as if it had not asked.
"""

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from shared.lists.dedup import Remembered
from shared.lists.store import ListStore

MAX_WAIT_SECONDS = 20
_WAIT = re.compile(r"\s*wait\s*=\s*(\d+)\s*", re.IGNORECASE)
FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 0.5
"""A change on a default batching window takes about a second: early polls find it quickly, and
one read per half second at most after that keeps a long wait at a few dozen reads."""


def wait_preference(values: list[str]) -> int | None:
    """The seconds a `Prefer` header asks to wait, capped at 20; None when it asks nothing or
    the preference is malformed (ignored, as RFC 7240 says)."""
    for value in values:
        for preference in value.split(","):
            name_and_value = preference.split(";", 1)[0]
            if not name_and_value.strip().lower().startswith("wait"):
                continue
            match = _WAIT.fullmatch(name_and_value)
            return None if match is None else min(int(match.group(1)), MAX_WAIT_SECONDS)
    return None


@dataclass
class Waiter:
    """Polls the store for one change's outcome; shared by the requests of one process."""

    max_concurrent: int = 4
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    _slots: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(self.max_concurrent)

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """Whether this request may wait now."""
        taken = self._slots.acquire(blocking=False)
        try:
            yield taken
        finally:
            if taken:
                self._slots.release()

    def outcome(
        self, store: ListStore, title: str, user: str, event_id: str, seconds: int
    ) -> Remembered | None:
        deadline = self.monotonic() + seconds
        pause = FIRST_POLL_SECONDS
        while True:
            found = store.change(title, user, event_id)
            left = deadline - self.monotonic()
            if found is not None or left <= 0:
                return found
            self.sleep(min(pause, left))
            pause = min(pause * 2, MAX_POLL_SECONDS)
