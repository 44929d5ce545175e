"""Time to Live on the in-process endpoint, which records a table's TTL setting and expires nothing.

DynamoDB deletes an item once the epoch seconds in its TTL attribute are in the past (within a
day or two; it promises no sooner), each deletion a REMOVE record on the table's stream whose
`userIdentity` is DynamoDB's own service, and leaves alone an item whose attribute is missing,
is not a Number, or is more than five years in the past. The sweeper does the same, every
`every` seconds (`listmgr up --ttl-sweep-every`), on each table whose TTL is enabled. For the
list manager that is the end of its dedup window (`expiresAt`): remembered outcomes and
tombstones go, and the trigger publishes nothing for them.
"""

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from listmgr.endpoint.moto_tables import LocalTable

SWEEP_EVERY = 60.0
"""Seconds between sweeps, by default."""
OLDEST_SECONDS = 5 * 365 * 24 * 3600
"""How far in the past a TTL may be and still expire its item: DynamoDB's five years."""
DYNAMODB_SERVICE = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
"""The `userIdentity` of a stream record for a deletion by Time to Live (as GetRecords answers it;
Lambda's event writes its fields `principalId` and `type`)."""

log = logging.getLogger("listmgr")


def expired(value: Mapping[str, Any], now: float) -> bool:
    """Whether DynamoDB's Time to Live deletes an item whose TTL attribute is `value` (an
    AttributeValue) at `now` (epoch seconds)."""
    number = value.get("N")
    if len(value) != 1 or not isinstance(number, str):
        return False
    try:
        at = Decimal(number)
    except InvalidOperation:
        return False
    return at.is_finite() and now - OLDEST_SECONDS <= at < now


class Sweeper:
    """Deletes the expired items of `tables`, every `every` seconds, in a thread of its own."""

    def __init__(
        self, tables: Sequence[LocalTable], every: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.tables = list(tables)
        self.every = every
        self._clock = clock
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="ttl")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def sweep(self) -> int:
        """One pass over every table whose TTL is enabled; returns how many items it deleted."""
        now = self._clock()
        deleted = 0
        for table in self.tables:
            attribute = table.time_to_live()
            if attribute is not None:
                deleted += table.delete_where(attribute, lambda value: expired(value, now), DYNAMODB_SERVICE)
        return deleted

    def _run(self) -> None:
        while not self._stopped.wait(self.every):
            try:
                deleted = self.sweep()
            except Exception:
                log.exception("the Time to Live sweep failed; trying again in %s s", self.every)
                continue
            if deleted:
                log.debug("Time to Live deleted %s expired items", deleted)
