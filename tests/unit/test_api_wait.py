"""Read-your-writes: `Prefer: wait=N` on both writes, and the outcome of one change by id, over the
in-memory store with the real listener core applying what the API publishes while it waits."""

import json
import uuid
from typing import Any
from urllib.parse import quote

import pytest

from services.api.views import IDEMPOTENT_WRITES
from services.api.waiting import wait_preference
from tests.api_fakes import ADMIN_KEY, World, bearer

STATS = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 83}}


@pytest.fixture
def world() -> World:
    return World()


def post(world: World, document: Any, **headers: str) -> Any:
    return world.client.post("/lists", json=document, headers={**bearer(ADMIN_KEY), **headers})


def changes(title: str, user: str, change_id: str) -> str:
    return f"/lists/{quote(title, safe='')}/users/{quote(user, safe='')}/changes/{quote(change_id, safe='')}"


@pytest.mark.parametrize(
    ("values", "seconds"),
    [
        (["wait=5"], 5),
        (["wait=0"], 0),
        (["wait=20"], 20),
        (["wait=21"], 20),
        (["wait=99999999999999999999"], 20),
        (["respond-async, wait=3"], 3),
        (["WAIT = 4"], 4),
        (["handling=lenient", "wait=7;foo=bar"], 7),
        (["wait=abc"], None),
        (["wait=-1"], None),
        (["wait=1.5"], None),
        (["wait"], None),
        (["respond-async"], None),
        ([""], None),
        ([], None),
    ],
)
def test_the_wait_preference_is_read_as_rfc_7240_says(values: list[str], seconds: int | None) -> None:
    assert wait_preference(values) == seconds


def test_a_write_that_waits_answers_its_outcome_and_the_lists_as_they_are(world: World) -> None:
    response = post(world, STATS, Prefer="wait=5")
    assert response.status_code == 200
    assert response.headers["Preference-Applied"] == "wait=5"
    body = response.get_json()
    assert body["status"] == "applied" and body["id"] == response.get_json()["id"]
    assert body["list"] == {**STATS, "updatedAt": body["list"]["updatedAt"]}
    assert body["aggregate"]["entries"] == {"xp": 83} and body["aggregate"]["users"] == 1


def test_a_wait_longer_than_20_seconds_is_taken_as_20(world: World) -> None:
    response = post(world, STATS, Prefer="wait=600")
    assert response.status_code == 200 and response.headers["Preference-Applied"] == "wait=20"


def test_when_the_wait_passes_first_the_answer_is_202_as_without_it(world: World) -> None:
    world.listening = False
    response = post(world, STATS, Prefer="wait=3")
    assert response.status_code == 202 and "Preference-Applied" not in response.headers
    assert response.get_json() == {"id": response.get_json()["id"], "status": "accepted"}
    world.apply()
    found = world.client.get(changes("stats", "bill", response.get_json()["id"])).get_json()
    assert found == {"id": response.get_json()["id"], "status": "applied"}


def test_a_malformed_preference_is_ignored(world: World) -> None:
    response = post(world, STATS, Prefer="wait=soon")
    assert response.status_code == 202 and "Preference-Applied" not in response.headers


def test_a_change_the_listener_rejects_is_a_422_with_its_reason(world: World) -> None:
    # The rank list is not applied yet, so the API cannot see the conflict: the listener does.
    assert (
        post(world, {**STATS, "type": "rank", "entries": {"a": 1}}, **{"Idempotency-Key": "r"}).status_code
        == 202
    )
    response = post(world, STATS, Prefer="wait=5", **{"Idempotency-Key": "t"})
    assert response.status_code == 422 and response.headers["Preference-Applied"] == "wait=5"
    error = response.get_json()["error"]
    assert error["code"] == "rejected" and "type conflict" in error["message"]
    found = world.client.get(changes("stats", "bill", "t")).get_json()
    assert found["status"] == "rejected" and "type conflict" in found["reason"]


def test_a_retry_with_the_same_key_answers_the_first_outcome_and_publishes_nothing(world: World) -> None:
    first = post(world, STATS, Prefer="wait=5", **{"Idempotency-Key": "k1"})
    published = len(world.published())
    again = post(world, STATS, Prefer="wait=5", **{"Idempotency-Key": "k1"})
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert len(world.published()) == published
    assert world.client.get("/lists/stats/users/bill").get_json()["entries"] == {"xp": 83}


def test_the_same_key_with_another_body_is_a_409(world: World) -> None:
    post(world, STATS, Prefer="wait=5", **{"Idempotency-Key": "k1"})
    response = post(world, {**STATS, "entries": {"xp": 1}}, **{"Idempotency-Key": "k1"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    # The same value written differently is the same body.
    assert post(world, {**STATS, "entries": {"xp": 83.0}}, **{"Idempotency-Key": "k1"}).status_code == 202


def test_a_key_reused_while_its_first_change_is_still_in_flight_is_a_409_once_it_is_known(
    world: World,
) -> None:
    world.listening = False
    assert post(world, STATS, **{"Idempotency-Key": "k1"}).status_code == 202
    world.listening = True
    response = post(world, {**STATS, "entries": {"xp": 1}}, Prefer="wait=5", **{"Idempotency-Key": "k1"})
    assert response.status_code == 409
    assert world.client.get("/lists/stats/users/bill").get_json()["entries"] == {"xp": 83}


def test_a_delete_that_waits_answers_deleted(world: World) -> None:
    post(world, STATS, Prefer="wait=5")
    response = world.client.delete(
        "/lists/stats/users/bill", headers={**bearer(ADMIN_KEY), "Prefer": "wait=5", "Idempotency-Key": "d"}
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "id": response.get_json()["id"],
        "status": "deleted",
        "list": None,
        "aggregate": None,
    }
    again = world.client.delete(
        "/lists/stats/users/bill", headers={**bearer(ADMIN_KEY), "Prefer": "wait=5", "Idempotency-Key": "d"}
    )
    assert again.get_json() == response.get_json()


def test_waiting_requests_are_capped_and_past_the_cap_a_write_answers_at_once(world: World) -> None:
    with world.waiter.slot(), world.waiter.slot(), world.waiter.slot(), world.waiter.slot():
        response = post(world, STATS, Prefer="wait=5")
    assert response.status_code == 202 and "Preference-Applied" not in response.headers
    assert post(world, {**STATS, "user": "beth"}, Prefer="wait=5").status_code == 200


def test_a_change_is_found_by_its_id_or_its_key_and_its_scope_is_its_user_list(world: World) -> None:
    response = post(world, STATS, Prefer="wait=5", **{"Idempotency-Key": "key-1"})
    event_id = response.get_json()["id"]
    assert event_id == str(
        uuid.uuid5(IDEMPOTENT_WRITES, json.dumps(["stats", "bill", "key-1"], separators=(",", ":")))
    )
    by_key = world.client.get(changes("stats", "bill", "key-1"))
    assert by_key.status_code == 200 and by_key.get_json() == {"id": event_id, "status": "applied"}
    assert world.client.get(changes("stats", "bill", event_id)).get_json() == {
        "id": event_id,
        "status": "applied",
    }
    assert world.client.get(changes("stats", "beth", "key-1")).get_json() == {
        "id": "key-1",
        "status": "unknown",
    }


@pytest.mark.parametrize("bad", ["%00", "x" * 257, "%FF"])
def test_a_bad_id_in_the_path_is_a_400(world: World, bad: str) -> None:
    response = world.client.get(f"/lists/stats/users/bill/changes/{bad}")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_path"
