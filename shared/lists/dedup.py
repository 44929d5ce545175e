"""What the table remembers of every change it decided, so a change never has two outcomes.

Each change's id is remembered with its outcome (applied, superseded, or rejected with the
reason), stored in the same transaction as the change itself, for at least the stream's retention
period: a record redelivered within it, or an event re-submitted with the same id, finds the
outcome it already had. An id's scope is the user list it targets: the same id sent to another
user list is another change.
"""

from dataclasses import dataclass
from typing import Literal

HOUR_MS = 3_600_000
MAX_REMEMBERED_REASON_CHARS = 512
"""A rejection's reason is kept whole up to this length, so what an id costs to remember stays
small and bounded whatever a producer sends."""

Status = Literal["applied", "superseded", "rejected"]


@dataclass(frozen=True)
class DedupSettings:
    window_hours: int = 25
    """How long an id and its outcome are remembered; more than the stream's retention, so a
    record can never be delivered again once its id is forgotten."""
    retention_hours: int = 24
    """The stream's retention period: a change older than this on arrival is a fault."""


@dataclass(frozen=True)
class Remembered:
    """The outcome of one change, as remembered with its id."""

    status: Status
    reason: str = ""
    decided_at: int = 0
    """Epoch milliseconds; the id is forgotten `window_hours` after it."""
    fingerprint: str = ""
    """What the change asked for (shared.lists.changes.fingerprint); empty when not known."""


def remembered(status: Status, reason: str, now_ms: int, fingerprint: str = "") -> Remembered:
    if len(reason) > MAX_REMEMBERED_REASON_CHARS:
        reason = reason[: MAX_REMEMBERED_REASON_CHARS - 1] + "…"
    return Remembered(status, reason, now_ms, fingerprint)
