"""Error handling: what Lambda does with a batch the function failed.

- The whole batch failed (the function raised, or reported its first record, or a bad identifier):
  with `bisectBatchOnFunctionError` and more than one record, the batch is split in two halves,
  first half first; a split is not a retry. Otherwise it is retried, counting one retry.
- Only the records from one on failed (ReportBatchItemFailures): the records before it are done;
  the rest is retried, counting one retry, or, with bisect, split off at that record (not a retry).
- Once a batch has been retried `maximumRetryAttempts` times and fails again, its records are
  discarded with condition RetryAttemptsExhausted.
- Before every invocation, records older than `maximumRecordAgeInSeconds` (or than the stream's
  retention when -1) are discarded with condition RecordAgeExceeded.
Discarded records go to the on-failure destination; either way the shard moves on past them.
"""

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from listmgr.runtime.mappings.invocation import Outcome
from listmgr.runtime.mappings.records import StreamRecord

RETRY_ATTEMPTS_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"
FIRST_RETRY_DELAY = 0.1
LONGEST_RETRY_DELAY = 5.0


@dataclass(frozen=True)
class RetryPolicy:
    maximum_retry_attempts: int
    """-1: no limit."""
    maximum_record_age: float
    """Seconds."""
    bisect: bool

    def exhausted(self, retries: int) -> bool:
        return 0 <= self.maximum_retry_attempts < retries


@dataclass(frozen=True)
class Discarded:
    records: Sequence[StreamRecord]
    condition: str
    invoke_count: int
    """Invocations of these records' batch so far (1 + retries); Lambda's approximateInvokeCount."""
    function_error: str | None


@dataclass(frozen=True)
class _Attempt:
    records: Sequence[StreamRecord]
    retries: int = 0
    function_error: str | None = None


def settle(
    records: Sequence[StreamRecord],
    invoke: Callable[[Sequence[StreamRecord]], Outcome],
    policy: RetryPolicy,
    clock: Callable[[], float],
    stopping: threading.Event,
    done: Callable[[Sequence[StreamRecord]], None],
    discard: Callable[[Discarded], None],
    retried: Callable[[], None] = lambda: None,
) -> None:
    """Invokes until every record of the batch is done (delivered) or discarded, in shard order;
    `retried` is told of each retry before it is invoked.

    Stops early, leaving the rest for the next run, once `stopping` is set."""
    pending = deque([_Attempt(records)])
    while pending and not stopping.is_set():
        attempt = _drop_expired(pending.popleft(), policy, clock(), discard)
        if not attempt.records:
            continue
        outcome = invoke(attempt.records)
        if outcome.failed_from is None:
            done(attempt.records)
            continue
        succeeded, failed = attempt.records[: outcome.failed_from], attempt.records[outcome.failed_from :]
        if succeeded:
            done(succeeded)
        if policy.bisect and (succeeded or len(failed) > 1):
            pending.extendleft(reversed(_split(failed, succeeded, attempt.retries, outcome.function_error)))
            continue
        retry = _Attempt(failed, attempt.retries + 1, outcome.function_error)
        if policy.exhausted(retry.retries):
            discard(Discarded(failed, RETRY_ATTEMPTS_EXHAUSTED, retry.retries, retry.function_error))
            continue
        if not stopping.wait(retry_delay(retry.retries)):
            retried()
        pending.appendleft(retry)


def retry_delay(retries: int) -> float:
    """Seconds to wait before retry number `retries`: doubling from 0.1 s, at most 5 s."""
    return min(LONGEST_RETRY_DELAY, FIRST_RETRY_DELAY * 2.0 ** (retries - 1))


def _split(
    failed: Sequence[StreamRecord], succeeded: Sequence[StreamRecord], retries: int, error: str | None
) -> list[_Attempt]:
    """With bisect: split at the reported record if some succeeded, else in two halves."""
    if succeeded:
        return [_Attempt(failed, retries, error)]
    half = (len(failed) + 1) // 2
    return [_Attempt(failed[:half], retries, error), _Attempt(failed[half:], retries, error)]


def _drop_expired(
    attempt: _Attempt, policy: RetryPolicy, now: float, discard: Callable[[Discarded], None]
) -> _Attempt:
    expired = [record for record in attempt.records if now - record.arrival > policy.maximum_record_age]
    if not expired:
        return attempt
    discard(Discarded(expired, RECORD_AGE_EXCEEDED, attempt.retries, attempt.function_error))
    fresh = [record for record in attempt.records if now - record.arrival <= policy.maximum_record_age]
    return _Attempt(fresh, attempt.retries, attempt.function_error)
