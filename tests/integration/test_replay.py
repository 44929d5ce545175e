"""Replay: the archive rebuilds the live table exactly, and verify finds any disagreement."""

import time
from dataclasses import replace
from decimal import Decimal
from typing import Any

from bench.workload import submissions
from services.admin import operations
from shared.events.testing import kinesis_event
from shared.lists.coalesce import Slot, Write
from shared.lists.dedup import DedupSettings
from shared.lists.store import StoredList
from tests.integration.conftest import Harness

NOW = int(time.time() * 1000)  # the archive stamps rows with the real clock
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
