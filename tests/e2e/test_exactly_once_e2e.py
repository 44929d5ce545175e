"""Exactly once, as a user sees it: the same Lambda event invoked twice with `listmgr invoke`
counts every list once, and `listmgr replay --verify` finds the table equal to the archive."""

import json
from pathlib import Path

from shared.events.codec import dumps, loads
from shared.events.testing import kinesis_event
from tests.samples import WORKED_EXAMPLE
from tests.support.stack import RunningStack


def test_invoking_the_listener_twice_with_one_event_counts_once(stack: RunningStack, tmp_path: Path) -> None:
    event_file = tmp_path / "kinesis-event.json"
    event_file.write_text(dumps(kinesis_event(WORKED_EXAMPLE)))
    for _ in range(2):
        result = stack.listmgr("invoke", "listener", "--event", str(event_file))
        assert result.returncode == 0, result.stderr
        assert loads(result.stdout.strip().splitlines()[-1]) == {"batchItemFailures": []}

    stats = stack.request("GET", "/lists/stats").body
    assert stats["entries"] == {"xp": 108} and stats["users"] == 2
    movies = stack.request("GET", "/lists/favorite%20movies").body
    assert movies["entries"] == {"blade runner": 3, "the empire strikes back": 5, "alien": 4}

    verify = stack.listmgr("replay", "--verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "the table matches the archive" in verify.stdout

    stats_event = tmp_path / "stats.json"
    stats_event.write_text(json.dumps({"action": "stats"}))
    admin = stack.listmgr("invoke", "admin", "--event", str(stats_event))
    assert loads(admin.stdout.strip().splitlines()[-1]) == {
        "action": "stats",
        "ok": True,
        "titles": 2,
        "userLists": 4,
        "tombstones": 0,
        "archivedRecords": 4,
    }
