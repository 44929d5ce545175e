"""moto keeps nothing when `listmgr up` stops; the archive does, and the next `listmgr up` in the
same folder rebuilds the lists from it."""

from pathlib import Path

from tests.e2e.conftest import start_stack, stop_stack, wait_for
from tests.samples import WORKED_EXAMPLE


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
