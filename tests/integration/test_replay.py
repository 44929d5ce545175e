"""Replay: the archive rebuilds the live table exactly, and verify finds any disagreement."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from bench.workload import submissions
from services.admin import operations
from shared.adapters.dynamodb import DynamoListStore
from shared.clock import now_ms
from shared.events.testing import kinesis_event
from shared.lists.coalesce import Slot, Write
from shared.lists.dedup import DedupSettings
from shared.lists.store import CommitResult, StoredList
from tests.support.harness import Harness

NOW = now_ms()  # the archive stamps rows with the real clock
DEDUP = DedupSettings()


def mixed_workload() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = list(submissions(300, seed=3, titles=8, users=12))
    deletes = [
        {
            "id": f"delete-{n}",
            "type": "list-delete-submitted",
            "timestamp": 1_700_000_000_000 + n,
            "update": {"title": doc["title"], "user": doc["user"]},
        }
        for n, doc in enumerate(documents[::37])
    ]
    conflicts = [
        {**doc, "type": "rank" if doc["type"] == "tally" else "tally", "entries": {"x": 1}}
        for doc in documents[5::50]
    ]
    mixed = documents[:150] + deletes + conflicts + documents[150:]
    return mixed


def test_the_archive_rebuilds_exactly_what_the_listener_built(harness: Harness) -> None:
    event = kinesis_event(mixed_workload())
    for start in range(0, len(event["Records"]), 50):
        assert harness.run({"Records": event["Records"][start : start + 50]}) == {"batchItemFailures": []}
    live = operations.live_entities(harness.store.lists())
    assert len(live) > 20

    assert operations.verify(harness.archive, harness.store, NOW, DEDUP) == []

    report = operations.rebuild_store(harness.archive, harness.store, NOW, DEDUP)
    assert report.refused == []
    assert operations.live_entities(harness.store.lists()) == live

    # The rebuilt items still remember the ids: the whole stream delivered again changes nothing.
    for start in range(0, len(event["Records"]), 50):
        harness.run({"Records": event["Records"][start : start + 50]})
    assert operations.live_entities(harness.store.lists()) == live


def test_verify_reports_each_difference(harness: Harness) -> None:
    harness.run(
        kinesis_event(
            [
                {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 83}},
                {"title": "stats", "user": "beth", "type": "tally", "entries": {"xp": 25}},
            ]
        )
    )
    tamper(harness, "bill", {"xp": Decimal(84)})
    harness.store.remove([StoredList("stats", "beth", None)])

    differences = operations.verify(harness.archive, harness.store, NOW, DEDUP)
    described = [difference.describe() for difference in differences]
    assert len(described) == 2
    assert described[0].startswith("'stats' / 'beth': missing from the table")
    assert described[1].startswith("'stats' / 'bill': the table has")

    operations.rebuild_store(harness.archive, harness.store, NOW, DEDUP)
    assert operations.verify(harness.archive, harness.store, NOW, DEDUP) == []


def test_stats_and_purge(harness: Harness) -> None:
    harness.run(
        kinesis_event(
            [
                {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 83}},
                {
                    "id": "d",
                    "type": "list-delete-submitted",
                    "timestamp": 1_700_000_000_000,
                    "update": {"title": "movies", "user": "x"},
                },
            ]
        )
    )
    assert operations.stats(harness.archive, harness.store) == {
        "titles": 1,
        "userLists": 1,
        "tombstones": 2,
        "archivedRecords": 2,
    }
    assert operations.purge(harness.archive, harness.store) == {"itemsRemoved": 4, "recordsRemoved": 2}
    assert operations.stats(harness.archive, harness.store)["archivedRecords"] == 0


def test_a_list_the_archive_does_not_know_is_reported_and_removed_by_a_rebuild(harness: Harness) -> None:
    harness.run(kinesis_event([{"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 83}}]))
    tamper(harness, "stranger", {"xp": Decimal(83)})
    (difference,) = operations.verify(harness.archive, harness.store, NOW, DEDUP)
    assert difference.describe().startswith("'stats' / 'stranger': in the table but not in the archive")
    report = operations.rebuild_store(harness.archive, harness.store, NOW, DEDUP)
    assert (report.items_removed, report.titles, report.user_lists) == (1, 1, 1)
    assert harness.store.user_list("stats", "stranger") is None


def tamper(harness: Harness, user: str, entries: dict[str, Decimal]) -> None:
    """Changes a user list of 'stats' behind the listener's back (bill's copied under `user`)."""
    bill = harness.store.user_list("stats", "bill")
    assert bill is not None
    changed = replace(bill, user=user, entries=entries)
    aggregate = harness.store.aggregate("stats")
    harness.store.put([Write("stats", 0, aggregate, {user: Slot(changed)})], 0)


def envelope(event_id: str, title: str, user: str, n: int, xp: int) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "list-update-submitted",
        "timestamp": 1_700_000_000_000 + n,
        "update": {"title": title, "user": user, "type": "tally", "entries": {"xp": xp}},
    }


# User lists whose names differ only in trailing spaces, case or Unicode normalization, each sent
# one change under the same id.
LOOKALIKE_LISTS = [
    ("pad", "u"),
    ("pad ", "u"),
    ("Pad", "u"),
    ("pad", "u "),
    ("pad", "U"),
    ("\u00e9t\u00e9", "u"),
    ("e\u0301te\u0301", "u"),
]


def test_one_id_sent_for_several_user_lists_is_a_change_of_each(harness: Harness) -> None:
    documents = [
        # Alice and Bob send the same Idempotency-Key; Alice's second use of it is a duplicate.
        envelope("K1", "stats", "alice", 1, 1),
        envelope("K1", "stats", "bob", 2, 2),
        envelope("K1", "stats", "alice", 3, 50),
        *(envelope("evt-1", title, user, 10 + n, n + 1) for n, (title, user) in enumerate(LOOKALIKE_LISTS)),
        envelope("evt-1 ", "pad", "u", 20, 100),
    ]
    assert harness.run(kinesis_event(documents)) == {"batchItemFailures": []}
    # Bare submissions take their Kinesis eventID as id: a second stream (or a restarted local
    # one) gives another list's record the same eventID.
    for user in ("alice", "bob"):
        bare = {"title": "bare", "user": user, "type": "tally", "entries": {"xp": 7}}
        assert harness.run(kinesis_event([bare], first_sequence=1)) == {"batchItemFailures": []}

    assert harness.user_list("stats", "alice")["entries"] == {"xp": 1}  # type: ignore[index]
    assert harness.user_list("stats", "bob")["entries"] == {"xp": 2}  # type: ignore[index]
    for n, (title, user) in enumerate(LOOKALIKE_LISTS):
        expected = n + 1 + (100 if (title, user) == ("pad", "u") else 0)
        assert harness.user_list(title, user)["entries"] == {"xp": expected}, (title, user)  # type: ignore[index]
    assert harness.user_list("bare", "bob")["entries"] == {"xp": 7}  # type: ignore[index]

    assert harness.archive.count() == 2 + len(LOOKALIKE_LISTS) + 1 + 2
    assert [(r.user_name, r.id) for r in harness.archive.history("stats", 10)] == [
        ("bob", "K1"),
        ("alice", "K1"),
    ]
    assert [(r.user_name, r.id) for r in harness.archive.history("pad", 10)] == [
        ("u", "evt-1 "),
        ("U", "evt-1"),
        ("u ", "evt-1"),
        ("u", "evt-1"),
    ]
    assert [r.user_name for r in harness.archive.history("pad ", 10)] == ["u"]
    assert [r.user_name for r in harness.archive.history("bare", 10)] == ["bob", "alice"]

    live = operations.live_entities(harness.store.lists())
    assert operations.verify(harness.archive, harness.store, NOW, DEDUP) == []
    # A restart rebuilds the lists from the archive: every list comes back as it was.
    report = operations.rebuild_store(harness.archive, harness.store, NOW, DEDUP)
    assert report.refused == [] and report.user_lists == 2 + len(LOOKALIKE_LISTS) + 2
    assert operations.live_entities(harness.store.lists()) == live

    # Everything delivered again changes nothing and archives nothing more.
    harness.run(kinesis_event(documents))
    assert operations.live_entities(harness.store.lists()) == live
    assert harness.archive.count() == 2 + len(LOOKALIKE_LISTS) + 1 + 2


class RacedStore(DynamoListStore):
    """The table, with another writer getting in just before the listener's first commit."""

    def __init__(self, table: DynamoListStore, race: Callable[[], object]) -> None:
        super().__init__(table.client, table.table_name)
        self.race: Callable[[], object] | None = race

    def commit(self, writes: Mapping[str, Sequence[Write]], expires_at: int) -> CommitResult:
        if self.race is not None:
            race, self.race = self.race, None
            race()
        return super().commit(writes, expires_at)


def test_a_change_archived_then_rejected_on_replan_leaves_only_its_own_row(harness: Harness) -> None:
    harness.run(kinesis_event([envelope("K1", "movies", "bob", 1, 5)]))
    # Alice's tally is archived, then a rank list takes the title first: planned again, her tally
    # is a type conflict and its row goes, while Bob's row with the same id stays.
    rank = {
        **envelope("r1", "stats", "carol", 2, 1),
        "update": {"title": "stats", "user": "carol", "type": "rank", "entries": {"x": 1}},
    }
    raced = RacedStore(harness.store, lambda: harness.run(kinesis_event([rank], first_sequence=10)))
    response = harness.run(
        kinesis_event([envelope("K1", "stats", "alice", 3, 1)], first_sequence=20), store=raced
    )
    assert response == {"batchItemFailures": []}

    assert harness.user_list("stats", "alice") is None
    assert [(r.title, r.user_name, r.id) for r in harness.archive.in_order()] == [
        ("movies", "bob", "K1"),
        ("stats", "carol", "r1"),
    ]
    assert operations.verify(harness.archive, harness.store, NOW, DEDUP) == []


def test_a_rebuild_remembers_what_each_archived_change_asked_for(harness: Harness) -> None:
    """Through the archive's own columns and back, each applied change keeps the fingerprint the
    listener gave it (the API refuses an Idempotency-Key reused for another body with it)."""
    submitted = (
        '{"id":"K1","type":"list-update-submitted","timestamp":1700000000000,'
        '"update":{"title":"stats","user":"bill","type":"tally","entries":{"xp":1.50,"hp":2}}}'
    )
    deleted = {
        "id": "K2",
        "type": "list-delete-submitted",
        "timestamp": 1_700_000_000_001,
        "update": {"title": "stats", "user": "beth"},
    }
    harness.run(kinesis_event([submitted, deleted]))
    refs = [("stats", "bill", "K1"), ("stats", "beth", "K2")]
    first = {ref: harness.store.change(*ref) for ref in refs}
    assert all(outcome is not None and outcome.fingerprint for outcome in first.values())

    harness.store.purge()
    operations.rebuild_store(harness.archive, harness.store, NOW, DEDUP)

    for ref, outcome in first.items():
        rebuilt = harness.store.change(*ref)
        assert outcome is not None and rebuilt is not None
        assert (rebuilt.status, rebuilt.fingerprint) == ("applied", outcome.fingerprint)
