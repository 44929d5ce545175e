"""The window of event ids a user list remembers, so a change is never applied twice.

Each user list item carries the ids applied to it within the window, as 8-byte digests grouped
in hourly buckets. A redelivered record, or an event re-submitted with the same id, finds its
digest and is skipped. The window must outlast the stream's retention (24 hours by default):
older records can no longer be redelivered. Sixty-four bits keep the chance of two ids of one list
colliding below 1 in 10^11 even for a list updated a million times within the window.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class DedupSettings:
    window_hours: int = 25
    """How long an applied id is remembered; at least the stream's retention period."""
    max_ids: int = 8_192
    """A list applied more often than this within the window forgets its oldest hours first,
    so its item (64 KiB of digests at most) never reaches DynamoDB's 400 KB limit."""


@dataclass(frozen=True)
class SeenWindow:
    buckets: Mapping[int, frozenset[bytes]] = field(default_factory=dict)
    """Hour number since the epoch -> digests of the ids applied in that hour."""

    def __contains__(self, event_id: object) -> bool:
        return isinstance(event_id, str) and self.holds(digest(event_id))

    def holds(self, key: bytes) -> bool:
        """Whether the digest `key` is in the window."""
        return any(key in ids for ids in self.buckets.values())

    def __len__(self) -> int:
        return sum(len(ids) for ids in self.buckets.values())


def digest(event_id: str) -> bytes:
    return hashlib.sha256(event_id.encode()).digest()[:8]


def remember(window: SeenWindow, event_id: str, now_ms: int) -> SeenWindow:
    hour = now_ms // HOUR_MS
    buckets = dict(window.buckets)
    buckets[hour] = buckets.get(hour, frozenset()) | {digest(event_id)}
    return SeenWindow(buckets)


def prune(window: SeenWindow, now_ms: int, settings: DedupSettings) -> SeenWindow:
    """The window without hours older than the setting, then without its oldest hours while it
    holds more ids than allowed."""
    oldest = now_ms // HOUR_MS - settings.window_hours
    buckets = {hour: ids for hour, ids in window.buckets.items() if hour >= oldest}
    total = sum(len(ids) for ids in buckets.values())
    for hour in sorted(buckets):
        if total <= settings.max_ids:
            break
        total -= len(buckets.pop(hour))
    return SeenWindow(buckets)
