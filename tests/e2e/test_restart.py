"""moto keeps nothing when `listmgr up` stops; the archive does, and the next `listmgr up` in the
same folder rebuilds the lists from it."""

from pathlib import Path
from typing import Any

from shared.events.codec import dumps
from tests.samples import WORKED_EXAMPLE
from tests.support.stack import RunningStack, start_stack, stop_stack, wait_for


def test_a_restarted_stack_shows_the_lists_it_showed_before(tmp_path: Path) -> None:
    first = start_stack(tmp_path)
    try:
        for submission in WORKED_EXAMPLE:
            assert first.request("POST", "/lists", submission, key=first.key).status == 202
        wait_for(
            lambda: (
                first.request("GET", "/lists/stats").status == 200
                and first.request("GET", "/lists/stats").body["users"] == 2
            )
        )
        before = first.request("GET", "/lists/favorite%20movies").body
    finally:
        assert stop_stack(first) == 0

    second = start_stack(tmp_path)
    try:
        assert second.info["restored"] == "2 titles and 4 user lists from sqlite:///.listmgr/archive.db"
        assert second.request("GET", "/lists/favorite%20movies").body == before
        assert second.request("GET", "/lists/stats/users/bill").body["entries"] == {"xp": 83}
        assert second.key == first.key
        more = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 1}}
        assert second.request("POST", "/lists", more, key=second.key).status == 202
        wait_for(lambda: second.request("GET", "/lists/stats").body["entries"] == {"xp": 109})
    finally:
        assert stop_stack(second) == 0


def test_records_sent_after_a_restart_are_new_records(tmp_path: Path) -> None:
    """A bare submission's event id is its Kinesis eventID: after a restart the stream must not
    hand out the eventIDs of the run before, or the listener drops the records as seen."""

    def send_five(stack: RunningStack, value: int) -> None:
        line = dumps({"title": "t", "user": "u", "type": "tally", "entries": {"x": value}})
        result = stack.listmgr("send", "-", stdin="\n".join([line] * 5) + "\n")
        assert result.returncode == 0, result.stderr

    def entries(stack: RunningStack) -> Any:
        response = stack.request("GET", "/lists/t/users/u")
        return response.body["entries"] if response.status == 200 else None

    first = start_stack(tmp_path)
    try:
        send_five(first, 1)
        wait_for(lambda: entries(first) == {"x": 5})
    finally:
        assert stop_stack(first) == 0
    second = start_stack(tmp_path)
    try:
        send_five(second, 10)
        wait_for(lambda: entries(second) == {"x": 55})
        verify = second.listmgr("replay", "--verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        assert stop_stack(second) == 0
