"""The worked example of DESIGN.md: the four records of the sample's events/kinesis.json, in
order, then mike's re-ranking; and an archive row of bill's tally."""

from typing import Any

from shared.lists.archive import ArchivedRecord

WORKED_EXAMPLE: list[dict[str, Any]] = [
    {
        "title": "favorite movies",
        "user": "rdlysct",
        "type": "rank",
        "entries": {"blade runner": 2, "the empire strikes back": 3, "alien": 1},
    },
    {"title": "stats", "user": "beth", "type": "tally", "entries": {"xp": 25}},
    {
        "title": "favorite movies",
        "user": "mike",
        "type": "rank",
        "entries": {"blade runner": 1, "the empire strikes back": 2, "alien": 3},
    },
    {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 83}},
]

RERANK = {
    "title": "favorite movies",
    "user": "mike",
    "type": "rank",
    "entries": {"alien": 1, "blade runner": 2},
}


def deletion(event_id: str, title: str, user: str, timestamp: int) -> dict[str, Any]:
    """A list-delete-submitted envelope."""
    return {
        "id": event_id,
        "type": "list-delete-submitted",
        "timestamp": timestamp,
        "update": {"title": title, "user": user},
    }


def archived_tally(document: str = "{}") -> ArchivedRecord:
    """An archive row of a tally of bill's under 'stats', with `document` as the record's data."""
    return ArchivedRecord(
        id="e1",
        title="stats",
        user_name="bill",
        event_type="list-update-submitted",
        list_type="tally",
        entries='{"xp":1}',
        timestamp=1,
        version=1,
        position=0,
        shard_id="shardId-000000000000",
        sequence_number="1",
        partition_key="p",
        document=document,
        archived_at=1,
    )
