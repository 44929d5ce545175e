"""moto keeps nothing when `listmgr up` stops: the next `listmgr up` in the same folder puts back
the tables the stop saved, every outcome and fingerprint with them, and the failure queue, and
checks the lists against the archive; after a crash (nothing saved) it rebuilds them from it."""

import re
import signal
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from listmgr.cli.commands import aws_client
from shared.clock import now_ms
from shared.events.codec import dumps
from tests.samples import WORKED_EXAMPLE
from tests.support.stack import Response, RunningStack, start_stack, stop_stack, wait_for

WAIT = {"Prefer": "wait=10"}


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
    assert re.search(
        r"listmgr: \d+ items of the tables saved under .listmgr/", (tmp_path / "up.log").read_text()
    )

    second = start_stack(tmp_path)
    try:
        assert re.fullmatch(
            r"\d+ items saved by the last stop, checked against the archive", second.info["restored"]
        )
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


# -- outcomes ------------------------------------------------------------------------------------

ONE = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 1}}
TWO = {**ONE, "entries": {"xp": 2}}
# 1 + 1E-38 needs 39 digits: the listener rejects the sum (the API sees only the addend).
TOO_MANY_DIGITS = {**ONE, "entries": {"xp": Decimal("1E-38")}}


def post(stack: RunningStack, body: Any, idempotency_key: str, wait: bool = True) -> Response:
    headers = {"Idempotency-Key": idempotency_key, **(WAIT if wait else {})}
    return stack.request("POST", "/lists", body, headers=headers, key=stack.key)


def outcome(stack: RunningStack, title: str, user: str, change_id: str) -> Any:
    path = f"/lists/{quote(title, safe='')}/users/{quote(user, safe='')}/changes/{quote(change_id, safe='')}"
    return stack.request("GET", path).body


def decided(stack: RunningStack, title: str, user: str, change_id: str) -> Any:
    return wait_for(
        lambda: (found := outcome(stack, title, user, change_id))["status"] != "unknown" and found
    )


def send(stack: RunningStack, *documents: dict[str, Any]) -> None:
    result = stack.listmgr("send", "-", stdin="".join(dumps(document) + "\n" for document in documents))
    assert result.returncode == 0, result.stderr


def envelope(
    change_id: str, title: str, user: str, kind: str, entries: Any, timestamp: int
) -> dict[str, Any]:
    return {
        "id": change_id,
        "type": "list-update-submitted",
        "timestamp": timestamp,
        "update": {"title": title, "user": user, "type": kind, "entries": entries},
    }


def entries(stack: RunningStack, title: str, user: str) -> Any:
    response = stack.request("GET", f"/lists/{quote(title, safe='')}/users/{quote(user, safe='')}")
    return response.body["entries"] if response.status == 200 else None


def test_every_outcome_its_fingerprint_and_the_failure_queue_outlive_a_restart(tmp_path: Path) -> None:
    now = now_ms()
    newer = envelope("rank-newer", "movies", "mike", "rank", {"alien": 1, "blade runner": 2}, now)
    older = envelope("rank-older", "movies", "mike", "rank", {"blade runner": 1}, now - 60_000)
    # 'clash' is a tally list when this rank submission arrives: rejected. Once its only user
    # is gone it has no type left, and the same envelope would apply if its rejection were lost.
    clash = envelope("rank-on-a-tally", "clash", "bob", "rank", {"x": 1}, now)
    failure = dumps({"requestContext": {"condition": "RetryAttemptsExhausted"}, "test": tmp_path.name})

    first = start_stack(tmp_path)
    try:
        applied = post(first, ONE, "k-applied")
        assert (applied.status, applied.body["status"]) == (200, "applied")
        assert post(first, TWO, "k-applied").status == 409
        rejected = post(first, TOO_MANY_DIGITS, "k-rejected")
        assert (rejected.status, rejected.body["error"]["code"]) == (422, "rejected")
        send(first, newer, older)
        assert decided(first, "movies", "mike", "rank-older")["status"] == "superseded"
        assert (
            post(
                first, {"title": "clash", "user": "ann", "type": "tally", "entries": {"x": 1}}, "k-ann"
            ).status
            == 200
        )
        send(first, clash)
        clash_rejected = decided(first, "clash", "bob", "rank-on-a-tally")
        assert clash_rejected["status"] == "rejected" and "type conflict" in clash_rejected["reason"]
        gone = first.request(
            "DELETE", "/lists/clash/users/ann", headers={"Idempotency-Key": "k-gone", **WAIT}, key=first.key
        )
        assert gone.body["status"] == "deleted" and gone.body["aggregate"] is None
        sqs = aws_client(first.info, "sqs")
        sqs.send_message(QueueUrl=first.info["failure_queue_url"], MessageBody=failure)
        before = {
            ("stats", "bill", "k-applied"): outcome(first, "stats", "bill", "k-applied"),
            ("stats", "bill", "k-rejected"): outcome(first, "stats", "bill", "k-rejected"),
            ("movies", "mike", "rank-newer"): outcome(first, "movies", "mike", "rank-newer"),
            ("movies", "mike", "rank-older"): outcome(first, "movies", "mike", "rank-older"),
            ("clash", "bob", "rank-on-a-tally"): clash_rejected,
        }
    finally:
        assert stop_stack(first) == 0

    second = start_stack(tmp_path)
    try:
        assert {ref: outcome(second, *ref) for ref in before} == before
        assert [each["status"] for each in before.values()] == [
            "applied",
            "rejected",
            "applied",
            "superseded",
            "rejected",
        ]
        # The key's fingerprint: another body under it is refused, with or without a wait.
        assert post(second, TWO, "k-applied", wait=False).status == 409
        assert post(second, TWO, "k-applied").status == 409
        # A retry answers with the first outcome, and applies nothing again.
        again = post(second, ONE, "k-applied")
        assert (again.status, again.body["status"], again.body["list"]["entries"]) == (
            200,
            "applied",
            {"xp": 1},
        )
        retried = post(second, TOO_MANY_DIGITS, "k-rejected")
        assert (retried.status, retried.body["error"]["message"]) == (
            422,
            before[("stats", "bill", "k-rejected")]["reason"],
        )
        # A rejection is final: sent again, the envelope stays rejected though it would apply now.
        send(second, clash, envelope("after-it", "clash", "bob", "tally", {"x": 5}, now + 1))
        assert decided(second, "clash", "bob", "after-it")["status"] == "applied"
        assert outcome(second, "clash", "bob", "rank-on-a-tally") == clash_rejected
        assert entries(second, "clash", "bob") == {"x": 5}
        assert entries(second, "movies", "mike") == {"alien": 1, "blade runner": 2}
        sqs = aws_client(second.info, "sqs")
        received = sqs.receive_message(QueueUrl=second.info["failure_queue_url"], MaxNumberOfMessages=10)
        assert [message["Body"] for message in received["Messages"]] == [failure]
        verify = second.listmgr("replay", "--verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        assert stop_stack(second) == 0


def test_after_a_crash_the_lists_and_applied_outcomes_come_back_from_the_archive(tmp_path: Path) -> None:
    """kill -9 saves nothing. The start after it puts back the tables of the last clean stop, if
    any, finds the lists differ from the archive and rebuilds them from it; the outcomes of that
    clean stop and, from the archive, every applied change with its fingerprint, are remembered."""
    first = start_stack(tmp_path)
    try:
        assert post(first, ONE, "k-before").status == 200
        assert post(first, TOO_MANY_DIGITS, "k-rejected").status == 422
    finally:
        assert stop_stack(first) == 0

    crashed = start_stack(tmp_path)
    assert post(crashed, TWO, "k-lost-stop").status == 200
    crashed.process.send_signal(signal.SIGKILL)
    crashed.process.wait(timeout=60)
    (tmp_path / ".listmgr" / "stack.json").unlink()  # what a killed stack leaves behind

    after = start_stack(tmp_path)
    try:
        assert entries(after, "stats", "bill") == {"xp": 3}
        assert outcome(after, "stats", "bill", "k-before")["status"] == "applied"
        assert outcome(after, "stats", "bill", "k-lost-stop")["status"] == "applied"
        assert post(after, ONE, "k-lost-stop").status == 409
        again = post(after, TWO, "k-lost-stop")
        assert (again.status, again.body["list"]["entries"]) == (200, {"xp": 3})
        assert outcome(after, "stats", "bill", "k-rejected")["status"] == "rejected"
        assert re.fullmatch(
            r"\d+ items saved by the last stop; 2 lists rebuilt from the archive", after.info["restored"]
        )
        assert "differs from the archive in 2 lists" in (tmp_path / "up.log").read_text()
    finally:
        assert stop_stack(after) == 0


def test_with_nothing_saved_the_lists_are_rebuilt_from_the_archive(tmp_path: Path) -> None:
    crashed = start_stack(tmp_path)
    assert post(crashed, ONE, "k-applied").status == 200
    crashed.process.send_signal(signal.SIGKILL)
    crashed.process.wait(timeout=60)
    (tmp_path / ".listmgr" / "stack.json").unlink()

    after = start_stack(tmp_path)
    try:
        assert entries(after, "stats", "bill") == {"xp": 1}
        assert outcome(after, "stats", "bill", "k-applied")["status"] == "applied"
        assert post(after, TWO, "k-applied").status == 409
        assert after.info["restored"] == "1 titles and 1 user lists from the archive"
        assert "no table saved by a clean stop" in (tmp_path / "up.log").read_text()
    finally:
        assert stop_stack(after) == 0
