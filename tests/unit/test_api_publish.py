"""What the API puts on the stream: ids derived from the Idempotency-Key per user list, and
records Kinesis refuses retried, then a 503 when it keeps refusing."""

import uuid
from collections.abc import Mapping
from dataclasses import replace

from flask.testing import FlaskClient

from services.api.app import create_app
from services.api.views import IDEMPOTENT_WRITES
from shared.events.codec import loads
from shared.stream.publish import PublishOptions
from tests.api_fakes import ADMIN_KEY, World, bearer

STATS = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 1}}
NO_WAIT = PublishOptions(max_attempts=3, sleep=lambda _: None)


def client(world: World) -> FlaskClient:
    return create_app(replace(world.deps(), publishing=NO_WAIT)).test_client()


def post(world: World, document: Mapping[str, object], key: str | None = None) -> dict[str, object]:
    headers = {**bearer(ADMIN_KEY), **({"Idempotency-Key": key} if key else {})}
    response = world.client.post("/lists", json=document, headers=headers)
    assert response.status_code == 202
    answer: dict[str, object] = response.get_json()
    return answer


def test_one_key_from_two_users_makes_two_ids_and_two_changes() -> None:
    world = World()
    bill = post(world, STATS, key="k-1")["id"]
    mike = post(world, {**STATS, "user": "mike"}, key="k-1")["id"]
    assert bill != mike
    world.apply()
    assert world.client.get("/lists/stats").get_json()["entries"] == {"xp": 2}


def test_the_same_key_for_the_same_list_is_the_same_id() -> None:
    world = World()
    ids = {post(world, STATS, key="k-1")["id"] for _ in range(2)}
    deleted = world.client.delete(
        "/lists/stats/users/bill", headers={**bearer(ADMIN_KEY), "Idempotency-Key": "k-1"}
    )
    assert ids == {deleted.get_json()["id"]}


def test_the_id_is_the_uuid5_of_the_compact_json_array_title_user_key() -> None:
    world = World()
    answer = post(world, {**STATS, "title": 'a "b" \\ é'}, key="k-1")
    expected = uuid.uuid5(IDEMPOTENT_WRITES, '["a \\"b\\" \\\\ é","bill","k-1"]')
    assert answer["id"] == str(expected)
    assert [loads(data)["id"] for _, data in world.stream.records] == [str(expected)]


def test_without_a_key_ids_are_random_uuids() -> None:
    world = World()
    first, second = post(world, STATS)["id"], post(world, STATS)["id"]
    assert first != second
    assert uuid.UUID(str(first)).version == 4


def test_a_record_kinesis_refuses_is_retried() -> None:
    world = World()
    world.throttled.refuse = {0, 1}
    response = client(world).post("/lists", json=STATS, headers=bearer(ADMIN_KEY))
    assert response.status_code == 202
    assert len(world.stream.records) == 1 and world.throttled.offered == 3


def test_a_record_kinesis_keeps_refusing_is_a_503_json_error() -> None:
    world = World()
    world.throttled.refuse = set(range(NO_WAIT.max_attempts))
    response = client(world).post("/lists", json=STATS, headers=bearer(ADMIN_KEY))
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.get_json() == {
        "error": {"code": "unavailable", "message": "a dependency is unavailable; retry later"}
    }
    assert world.stream.records == [] and world.throttled.offered == NO_WAIT.max_attempts
