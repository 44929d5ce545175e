"""What a warm API container keeps for a while instead of asking again on every request: the key
ring, read from Secrets Manager, and the outcome of the health checks.

A Lambda container lives for hours; what it read at its cold start would otherwise stay in force
that long (a revoked key would keep working). Each value here has a maximum age, measured on a
clock the caller passes (`time.monotonic` in AWS, a fake in tests).
"""

import time
from collections.abc import Callable

from services.api.auth import ApiKey, KeyRing
from shared import logs

Clock = Callable[[], float]


class ReloadingKeyRing(KeyRing):
    """A key ring read again once it is `max_age` seconds old, and on an unknown key (one just
    added) at most once per `recheck` seconds: random bearer tokens sent in a flood must not
    become one Secrets Manager read per request.

    The first read happens here, and its failure is the caller's (the API refuses to start
    without a key ring). A later read that fails keeps the keys already held and is tried again
    `recheck` seconds later, so an outage of Secrets Manager does not lock every caller out.
    """

    def __init__(
        self, load: Callable[[], KeyRing], max_age: float, recheck: float, clock: Clock = time.monotonic
    ) -> None:
        super().__init__(load().keys)
        self._load, self._max_age, self._recheck, self._clock = load, max_age, recheck, clock
        self._loaded_at = clock()
        self._rechecked_at: float | None = None

    def find(self, presented: str) -> ApiKey | None:
        now = self._clock()
        if now - self._loaded_at >= self._max_age:
            self._reload(now)
        key = super().find(presented)
        if key is None and self._may_recheck(now):
            self._rechecked_at = now
            self._reload(now)
            key = super().find(presented)
        return key

    def _may_recheck(self, now: float) -> bool:
        if now == self._loaded_at:
            return False  # just read: reading again tells nothing new
        return self._rechecked_at is None or now - self._rechecked_at >= self._recheck

    def _reload(self, now: float) -> None:
        try:
            self.keys = self._load().keys
        except Exception as error:
            logs.warn("API key ring not reloaded, keeping the keys held", error=type(error).__name__)
            # Counted as read `recheck` seconds before it expires: tried again that much later.
            self._loaded_at = now - self._max_age + self._recheck
            return
        self._loaded_at = now


class RecentOutcome:
    """A probe (returns or raises) whose outcome, either one, is kept for `max_age` seconds: GET
    /health, polled by load balancers and monitors, then costs its dependencies (DescribeTable,
    DescribeStreamSummary, a MySQL ping) one round per `max_age`, whatever the polling rate."""

    def __init__(self, probe: Callable[[], None], max_age: float, clock: Clock = time.monotonic) -> None:
        self._probe, self._max_age, self._clock = probe, max_age, clock
        self._checked_at: float | None = None
        self._error: Exception | None = None

    def __call__(self) -> None:
        now = self._clock()
        if self._checked_at is None or now - self._checked_at >= self._max_age:
            self._error = None
            try:
                self._probe()
            except Exception as error:
                self._error = error
            self._checked_at = now
        if self._error is not None:
            # The same error again, without the tracebacks of its earlier raises piling up on it.
            raise self._error.with_traceback(None)
