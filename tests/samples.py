"""The worked example of DESIGN.md: the four records of the sample's events/kinesis.json, in
order, then mike's re-ranking."""

from typing import Any

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
