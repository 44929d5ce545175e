"""A warm API container reads the key ring again as it ages and on an unknown key, never once per
request, and GET /health calls its dependencies at most once per interval; on a fake clock."""

import pytest

from services.api.auth import ApiKey, KeyRing, hash_key
from services.api.freshness import RecentOutcome, ReloadingKeyRing


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Secret:
    """A key ring secret that counts its reads, as Secrets Manager would bill them."""

    def __init__(self, *keys: str) -> None:
        self.keys = list(keys)
        self.reads = 0
        self.failing = False

    def load(self) -> KeyRing:
        self.reads += 1
        if self.failing:
            raise ConnectionError("Secrets Manager is unreachable")
        return KeyRing([ApiKey(name=key, sha256=hash_key(key), admin=True) for key in self.keys])


def ring(secret: Secret, clock: Clock) -> ReloadingKeyRing:
    return ReloadingKeyRing(secret.load, max_age=300, recheck=10, clock=clock)


def test_a_revoked_key_stops_working_once_the_ring_is_max_age_old() -> None:
    secret, clock = Secret("old", "kept"), Clock()
    keys = ring(secret, clock)
    secret.keys = ["kept"]
    clock.now += 299
    assert keys.find("old") is not None
    clock.now += 1
    assert keys.find("old") is None
    assert keys.find("kept") is not None
    assert secret.reads == 2


def test_known_keys_cost_no_read_until_the_ring_expires() -> None:
    secret, clock = Secret("a"), Clock()
    keys = ring(secret, clock)
    for _ in range(100):
        clock.now += 1
        assert keys.find("a") is not None
    assert secret.reads == 1  # the read at start only: 100 s < max_age


def test_a_key_just_added_is_found_by_reading_again_once() -> None:
    secret, clock = Secret("a"), Clock()
    keys = ring(secret, clock)
    secret.keys = ["a", "new"]
    clock.now += 1
    assert keys.find("new") is not None
    assert secret.reads == 2


def test_a_flood_of_random_tokens_reads_the_secret_at_most_once_per_recheck_interval() -> None:
    secret, clock = Secret("a"), Clock()
    keys = ring(secret, clock)
    for attempt in range(1000):
        clock.now += 0.1  # 10 requests per second for 100 seconds
        assert keys.find(f"random-{attempt}") is None
    assert secret.reads == 1 + 10  # start, then one per 10 s


def test_a_failed_reload_keeps_the_keys_held_and_is_tried_again_later() -> None:
    secret, clock = Secret("a"), Clock()
    keys = ring(secret, clock)
    secret.failing = True
    clock.now += 300
    assert keys.find("a") is not None
    assert secret.reads == 2
    clock.now += 5
    assert keys.find("a") is not None
    assert secret.reads == 2  # not before `recheck` seconds
    secret.failing, secret.keys = False, []
    clock.now += 5
    assert keys.find("a") is None
    assert secret.reads == 3


def test_the_first_read_failing_is_the_callers_failure() -> None:
    secret = Secret("a")
    secret.failing = True
    with pytest.raises(ConnectionError):
        ring(secret, Clock())


def test_health_probes_are_called_once_per_interval_and_their_failure_is_kept_too() -> None:
    clock, calls = Clock(), []
    failing = False

    def probe() -> None:
        calls.append(clock.now)
        if failing:
            raise TimeoutError("DescribeTable timed out")

    cached = RecentOutcome(probe, max_age=10, clock=clock)
    for _ in range(50):
        cached()
        clock.now += 0.5
    assert calls == [1000.0, 1010.0, 1020.0]
    failing = True
    clock.now = 1030.0
    with pytest.raises(TimeoutError):
        cached()
    failing = False
    clock.now += 9.9
    with pytest.raises(TimeoutError):
        cached()
    clock.now += 0.1
    cached()
    assert len(calls) == 5
