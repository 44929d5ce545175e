"""What a mapping has done since it started, counted as it happens: the figures `listmgr up` shows
for each mapping (listmgr/cli/progress.py) and Lambda would chart for it in CloudWatch."""

import dataclasses
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Counts:
    read: int = 0
    """Records read from the stream."""
    filtered_out: int = 0
    """Records the filter criteria left out (checkpointed without an invocation)."""
    delivered: int = 0
    """Records of invocations that succeeded for them."""
    invocations: int = 0
    failed_invocations: int = 0
    """Invocations that raised or reported a batch item failure (Lambda's Errors)."""
    retries: int = 0
    """Invocations that retried records a failed one had (not bisect's splits, as in Lambda)."""
    discarded: int = 0
    """Records given up on: retries exhausted or too old (sent to the on-failure destination)."""
    iterator_age_ms: int | None = None
    """Lambda's IteratorAge of the latest invocation; None before the first."""


class Counters:
    """Counts shared by a mapping's pollers and lanes, each adding from its own thread."""

    def __init__(self) -> None:
        self._counts = Counts()
        self._lock = threading.Lock()

    def add(self, **deltas: int) -> None:
        with self._lock:
            counts = self._counts
            self._counts = dataclasses.replace(
                counts, **{name: getattr(counts, name) + delta for name, delta in deltas.items()}
            )

    def invoked(self, records: int, delivered: int, failed: bool, iterator_age_ms: int | None) -> None:
        with self._lock:
            counts = self._counts
            self._counts = dataclasses.replace(
                counts,
                invocations=counts.invocations + 1,
                failed_invocations=counts.failed_invocations + failed,
                delivered=counts.delivered + delivered,
                iterator_age_ms=counts.iterator_age_ms if not records else iterator_age_ms,
            )

    def snapshot(self) -> Counts:
        with self._lock:
            return self._counts
