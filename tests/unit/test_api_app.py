"""The API through Flask's test client, over in-memory connectors: every endpoint and every
error of the contract, with writes applied by the listener core and read back."""

import base64
import json
import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from services.api.app import SECURITY_HEADERS, create_app
from services.api.views import IDEMPOTENT_WRITES
from shared.adapters.dynamodb import TableUnavailable
from shared.events.codec import dumps, loads
from shared.events.partition import partition_key
from shared.lists.aggregate import Aggregate
from shared.lists.memory import MemoryListStore
from tests.api_fakes import ADMIN_KEY, BILL_KEY, World, bearer

STATS = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 83}}
MOVIES = {
    "title": "favorite movies",
    "user": "mike",
    "type": "rank",
    "entries": {"alien": 1, "blade runner": 2},
}


@pytest.fixture
def world() -> World:
    return World()


def post(world: World, document: Any, key: str = ADMIN_KEY, **headers: str) -> Any:
    return world.client.post("/lists", json=document, headers={**bearer(key), **headers})


def path(*names: str) -> str:
    return "/lists/" + "/users/".join(quote(name, safe="") for name in names)


def key_id(title: str, user: str, key: str) -> str:
    """The event id of a write sent with an Idempotency-Key."""
    return str(uuid.uuid5(IDEMPOTENT_WRITES, json.dumps([title, user, key], separators=(",", ":"))))


def error_code(response: Any) -> str:
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return str(body["error"]["code"])


# -- writes -------------------------------------------------------------------------------------


def test_a_submission_is_published_as_an_event_and_answered_202(world: World) -> None:
    response = post(world, {**STATS, "entries": {"xp": 0.1, "hp": -3}}, **{"Idempotency-Key": "retry-1"})

    assert response.status_code == 202
    assert response.get_json() == {"id": key_id("stats", "bill", "retry-1"), "status": "accepted"}
    ((key, data),) = world.stream.records
    event = loads(data)
    assert key == event["partitionKey"] == partition_key("stats", "bill")
    assert event["type"] == "list-update-submitted" and event["id"] == key_id("stats", "bill", "retry-1")
    assert event["update"] == {**STATS, "entries": {"xp": Decimal("0.1"), "hp": -3}}
    assert event["tags"] == {
        "source": "api",
        "stage": "test",
        "region": "us-east-1",
        "functionname": "api",
        "pipeline": "list-update-submitted",
    }
    assert event["timestamp"] == 1_700_000_000_000


def test_without_an_idempotency_key_each_submission_gets_a_new_id(world: World) -> None:
    first, second = post(world, STATS).get_json()["id"], post(world, STATS).get_json()["id"]
    assert first != second


def test_a_retry_with_the_same_idempotency_key_is_applied_once(world: World) -> None:
    for _ in range(3):
        assert post(world, STATS, **{"Idempotency-Key": "once"}).status_code == 202
    world.apply()
    assert world.client.get(path("stats")).get_json()["entries"] == {"xp": 83}


@pytest.mark.parametrize("value", ["", "has space", "x" * 257, "naïve", "tab\there"])
def test_a_bad_idempotency_key_is_400(world: World, value: str) -> None:
    response = post(world, STATS, **{"Idempotency-Key": value})
    assert response.status_code == 400 and error_code(response) == "invalid_idempotency_key"
    assert world.stream.records == []


def test_a_delete_is_published_and_the_list_leaves_the_aggregate(world: World) -> None:
    post(world, STATS)
    post(world, {**STATS, "user": "beth", "entries": {"xp": 25}})
    world.apply()

    response = world.client.delete(path("stats", "bill"), headers=bearer(ADMIN_KEY))
    assert response.status_code == 202 and response.get_json()["status"] == "accepted"
    event = loads(world.published()[-1])
    assert event["type"] == "list-delete-submitted"
    assert event["update"] == {"title": "stats", "user": "bill"}
    assert event["partitionKey"] == partition_key("stats", "bill")

    world.apply()
    assert world.client.get(path("stats", "bill")).status_code == 404
    assert world.client.get(path("stats")).get_json()["entries"] == {"xp": 25}


def test_a_submission_of_the_other_type_is_409(world: World) -> None:
    post(world, STATS)
    world.apply()
    response = post(world, {**STATS, "type": "rank", "entries": {"xp": 1}})
    assert response.status_code == 409 and error_code(response) == "type_conflict"
    assert len(world.stream.records) == 1


def test_after_the_last_user_left_a_title_takes_either_type_again(world: World) -> None:
    post(world, STATS)
    world.apply()
    world.client.delete(path("stats", "bill"), headers=bearer(ADMIN_KEY))
    world.apply()
    assert post(world, {**STATS, "type": "rank", "entries": {"xp": 1}}).status_code == 202


# -- authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer ", "Basic abc", "bearer lm_unknown", ADMIN_KEY]
)
def test_writes_without_a_known_bearer_key_are_401(world: World, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for response in (
        world.client.post("/lists", json=STATS, headers=headers),
        world.client.delete(path("stats", "bill"), headers=headers),
    ):
        assert response.status_code == 401 and error_code(response) == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert world.stream.records == []


def test_the_scheme_is_case_insensitive(world: World) -> None:
    response = world.client.post("/lists", json=STATS, headers={"Authorization": f"bearer {BILL_KEY}"})
    assert response.status_code == 202


def test_a_key_bound_to_a_user_writes_only_that_users_lists(world: World) -> None:
    assert post(world, STATS, key=BILL_KEY).status_code == 202
    assert world.client.delete(path("stats", "bill"), headers=bearer(BILL_KEY)).status_code == 202

    for response in (
        post(world, {**STATS, "user": "mike"}, key=BILL_KEY),
        world.client.delete(path("stats", "mike"), headers=bearer(BILL_KEY)),
    ):
        assert response.status_code == 403 and error_code(response) == "forbidden"
    assert len(world.stream.records) == 2


def test_an_admin_key_writes_any_users_lists(world: World) -> None:
    assert post(world, {**STATS, "user": "mike"}, key=ADMIN_KEY).status_code == 202


def test_reads_are_public_by_default() -> None:
    assert World().client.get("/lists").status_code == 200


def test_reads_can_be_configured_to_need_a_key() -> None:
    world = World(reads_need_key=True)
    for read in (
        "/lists",
        path("stats"),
        path("stats", "bill"),
        "/lists/stats/users",
        "/lists/stats/history",
    ):
        response = world.client.get(read)
        assert response.status_code == 401 and error_code(response) == "unauthorized", read
        assert world.client.get(read, headers=bearer(BILL_KEY)).status_code in (200, 404)
    assert world.client.get("/health").status_code == 200
    assert world.client.get("/openapi.json").status_code == 200


# -- reads --------------------------------------------------------------------------------------


def test_the_worked_example_reads_back(world: World) -> None:
    for document in (
        {
            "title": "favorite movies",
            "user": "rdlysct",
            "type": "rank",
            "entries": {"blade runner": 2, "alien": 1},
        },
        MOVIES,
        STATS,
        {**STATS, "user": "beth", "entries": {"xp": 25.5}},
    ):
        post(world, document)
    world.apply()

    stats = world.client.get(path("stats"))
    assert stats.status_code == 200
    assert stats.get_data(as_text=True).startswith('{"title":"stats","type":"tally","entries":{"xp":108.5}')
    movies = world.client.get(path("favorite movies")).get_json()
    assert movies["entries"] == {"blade runner": 4, "alien": 2}
    assert movies["counts"] == {"blade runner": 2, "alien": 2}
    assert movies["ranking"] == ["alien", "blade runner"]
    assert world.client.get(path("stats", "beth")).get_json() == {
        "title": "stats",
        "user": "beth",
        "type": "tally",
        "entries": {"xp": 25.5},
        "updatedAt": 1_700_000_000_000,
    }


def test_unknown_lists_are_404(world: World) -> None:
    for read in (path("nothing"), path("nothing", "bill")):
        response = world.client.get(read)
        assert response.status_code == 404 and error_code(response) == "not_found"


def test_a_title_with_no_users_lists_no_users_and_no_history(world: World) -> None:
    assert world.client.get("/lists/nothing/users").get_json() == {"items": [], "next": None}
    assert world.client.get("/lists/nothing/history").get_json() == {"items": [], "next": None}


def walk(world: World, first: str) -> tuple[list[Any], list[str]]:
    """Every item of a listing, page by page, and the cursors it went through."""
    found: list[Any] = []
    cursors: list[str] = []
    page = world.client.get(first).get_json()
    found += page["items"]
    while page["next"] is not None:
        cursors.append(page["next"])
        page = world.client.get(f"{first}&cursor={quote(page['next'])}").get_json()
        found += page["items"]
    return found, cursors


def test_titles_are_listed_in_order_page_by_page(world: World) -> None:
    titles = ["b", "a/b", "ä", "🎬", "a", "z z"]
    for title in titles:
        post(world, {**STATS, "title": title})
    world.apply()

    found, cursors = walk(world, "/lists?limit=2")
    assert [item["title"] for item in found] == sorted(titles)
    assert found[0] == {"title": "a", "type": "tally", "users": 1, "updatedAt": 1_700_000_000_000}
    assert len(cursors) == 2
    assert world.client.get("/lists").get_json()["next"] is None


def test_a_titles_users_are_listed_in_order_page_by_page(world: World) -> None:
    users = ["mike", "beth", "bill", "ゆき", "a b"]
    for user in users:
        post(world, {**STATS, "user": user})
    world.client.delete(path("stats", "mike"), headers=bearer(ADMIN_KEY))
    world.apply()

    found, _ = walk(world, "/lists/stats/users?limit=1")
    assert [item["user"] for item in found] == sorted(set(users) - {"mike"})
    assert found[0] == {"title": "stats", "user": "a b", "type": "tally", "updatedAt": 1_700_000_000_000}


def test_history_is_newest_first_page_by_page(world: World) -> None:
    for xp in range(5):
        post(world, {**STATS, "entries": {"xp": xp}}, **{"Idempotency-Key": f"xp-{xp}"})
        world.apply()
    world.client.delete(path("stats", "bill"), headers={**bearer(ADMIN_KEY), "Idempotency-Key": "gone"})
    world.apply()

    found, cursors = walk(world, "/lists/stats/history?limit=2")
    keys = ["gone", "xp-4", "xp-3", "xp-2", "xp-1", "xp-0"]
    assert [entry["id"] for entry in found] == [key_id("stats", "bill", key) for key in keys]
    assert len(cursors) == 2
    assert found[0] == {
        "id": key_id("stats", "bill", "gone"),
        "event": "list-delete-submitted",
        "user": "bill",
        "type": None,
        "entries": None,
        "timestamp": 1_700_000_000_005,
    }
    assert found[1]["entries"] == {"xp": 4} and found[1]["type"] == "tally"


@pytest.mark.parametrize("listing", ["/lists", "/lists/stats/users", "/lists/stats/history"])
@pytest.mark.parametrize("limit", ["0", "101", "-1", "1.5", "abc", "", " 5", "\uff15", "1e1", "9" * 40])
def test_a_limit_out_of_bounds_is_400(world: World, listing: str, limit: str) -> None:
    response = world.client.get(f"{listing}?limit={quote(limit)}")
    assert response.status_code == 400 and error_code(response) == "invalid_limit"


@pytest.mark.parametrize("listing", ["/lists", "/lists/stats/users", "/lists/stats/history"])
@pytest.mark.parametrize(
    "cursor",
    ["", "not a cursor", "e30", "bnVsbA", "eyJsaXN0aW5nIjoidGl0bGVzIn0", "x" * 2000, "%FF", "eyJ9"],
)
def test_a_cursor_this_listing_did_not_return_is_400(world: World, listing: str, cursor: str) -> None:
    response = world.client.get(f"{listing}?cursor={cursor}")
    assert response.status_code == 400 and error_code(response) == "invalid_cursor"


def history_cursor(document: Any) -> str:
    """A cursor as the API encodes them (base64url JSON, unpadded), with any content."""
    return base64.urlsafe_b64encode(dumps(document).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "before",
    [
        [2**63, 0],
        [0, 2**63],
        [-1, 0],
        [0, -1],
        [1.5, 0],
        [1, 0.0],
        [True, 0],
        ["1", "0"],
        [1],
        [1, 2, 3],
        [],
        {"version": 1, "position": 0},
        1,
        None,
    ],
)
def test_a_history_cursor_outside_what_the_archive_stores_is_400(world: World, before: Any) -> None:
    cursor = history_cursor({"listing": "history", "before": before})
    response = world.client.get(f"/lists/stats/history?cursor={cursor}")
    assert response.status_code == 400 and error_code(response) == "invalid_cursor"


@pytest.mark.parametrize("cursor", ["!!!!", "a", "eyJsaXN0aW5nIjoiaGlzdG9yeSIsImJlZm9yZSI6WzEs", "4pyT"])
def test_a_history_cursor_that_is_not_base64url_json_is_400(world: World, cursor: str) -> None:
    response = world.client.get(f"/lists/stats/history?cursor={quote(cursor)}")
    assert response.status_code == 400 and error_code(response) == "invalid_cursor"


def test_a_history_cursor_at_the_archives_largest_position_is_a_page(world: World) -> None:
    post(world, STATS)
    world.apply()
    cursor = history_cursor({"listing": "history", "before": [2**63 - 1, 2**63 - 1]})
    response = world.client.get(f"/lists/stats/history?cursor={cursor}")
    assert response.status_code == 200 and [entry["user"] for entry in response.get_json()["items"]] == [
        "bill"
    ]


def test_a_cursor_of_another_listing_is_400(world: World) -> None:
    for title in ("a", "b"):
        post(world, {**STATS, "title": title})
    world.apply()
    cursor = world.client.get("/lists?limit=1").get_json()["next"]
    assert world.client.get(f"/lists?cursor={cursor}").status_code == 200
    response = world.client.get(f"/lists/a/users?cursor={cursor}")
    assert response.status_code == 400 and error_code(response) == "invalid_cursor"


def test_health_reports_each_dependency() -> None:
    def down() -> None:
        raise ConnectionError("archive.internal:3306 refused")

    healthy = World(probes={"table": lambda: None}).client.get("/health")
    assert healthy.status_code == 200
    assert healthy.get_json() == {"status": "ok", "checks": {"table": "ok"}}
    degraded = World(probes={"table": lambda: None, "archive": down}).client.get("/health")
    assert degraded.status_code == 503
    assert degraded.get_json() == {
        "status": "degraded",
        "checks": {"table": "ok", "archive": "unavailable: ConnectionError"},
    }


# -- bad input ----------------------------------------------------------------------------------


def raw_post(world: World, body: bytes, content_type: str | None = "application/json") -> Any:
    headers = {**bearer(ADMIN_KEY)}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return world.client.post("/lists", data=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "invalid_json"),
        (b"{", "invalid_json"),
        (b"\xff\xfe{}", "invalid_json"),
        (b'{"title": "\xff"}', "invalid_json"),
        (b'{"title":"t","user":"u","type":"tally","entries":{"xp":NaN}}', "invalid_json"),
        (b'{"title":"t","user":"u","type":"tally","entries":{"xp":Infinity}}', "invalid_json"),
        (b'{"title":"t","user":"u","type":"tally","entries":{"xp":' + b"9" * 5000 + b"}}", "invalid_json"),
        (b"[" * 100_000 + b"]" * 100_000, "body_too_large"),
        (b"[" * 30_000 + b"]" * 30_000, "invalid_json"),
        (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "invalid_json"),
        (b"[]", "invalid_submission"),
        (b'"stats"', "invalid_submission"),
        (b"null", "invalid_submission"),
        (b'{"title":"t","user":"u","type":"tally","entries":{"xp":1e999999999}}', "invalid_submission"),
        (
            b'{"title":"t","user":"u","type":"tally","entries":{"xp":1.' + b"1" * 60 + b"}}",
            "invalid_submission",
        ),
        (b'{"title":"t","user":"u","type":"tally","entries":{"xp":"1"}}', "invalid_submission"),
        (b'{"title":"t","user":"u","type":"tally","entries":{"xp":true}}', "invalid_submission"),
        (b'{"title":"t","user":"u","type":"rank","entries":{"xp":1.5}}', "invalid_submission"),
        (b'{"title":"t","user":"u","type":"rank","entries":{"xp":0}}', "invalid_submission"),
        (b'{"title":"t","user":"u","type":"list","entries":{"xp":1}}', "invalid_submission"),
        (b'{"title":"t","user":"u","type":"tally","entries":{}}', "invalid_submission"),
        (b'{"title":"","user":"u","type":"tally","entries":{"xp":1}}', "invalid_submission"),
        (b'{"title":"a\\u0000b","user":"u","type":"tally","entries":{"xp":1}}', "invalid_submission"),
        (b'{"title":"\\ud800","user":"u","type":"tally","entries":{"xp":1}}', "invalid_submission"),
        (b'{"title":"t","user":"u","type":"tally","entries":{"\\u0007":1}}', "invalid_submission"),
        (b'{"title":"t","user":"u","type":"tally","entries":{"xp":1},"extra":1}', "invalid_submission"),
    ],
)
def test_bad_bodies_get_4xx_and_the_error_shape(world: World, body: bytes, code: str) -> None:
    response = raw_post(world, body)
    assert error_code(response) == code
    assert (
        response.status_code == {"invalid_json": 400, "invalid_submission": 422, "body_too_large": 413}[code]
    )
    assert world.stream.records == []


def test_a_body_over_64_kib_is_413_and_up_to_it_is_read(world: World) -> None:
    padding = " " * (64 * 1024 - len(str(STATS).encode()) - 100)
    fits = (padding + '{"title":"stats","user":"bill","type":"tally","entries":{"xp":83}}').encode()
    assert len(fits) <= 64 * 1024
    assert raw_post(world, fits).status_code == 202
    response = raw_post(world, b" " * (64 * 1024 + 1))
    assert response.status_code == 413 and error_code(response) == "body_too_large"


def test_too_many_entries_or_too_long_names_are_422(world: World) -> None:
    many = {**STATS, "entries": {f"k{n}": 1 for n in range(101)}}
    long_name = {**STATS, "title": "t" * 129}
    for document in (many, long_name):
        assert post(world, document).status_code == 422


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_body_declared_as_something_else_than_json_is_400(world: World, content_type: str) -> None:
    response = raw_post(world, b'{"title":"stats"}', content_type)
    assert response.status_code == 400 and error_code(response) == "unsupported_media_type"


@pytest.mark.parametrize(
    "content_type", [None, "application/json; charset=utf-8", "application/merge-patch+json"]
)
def test_json_bodies_are_read_with_or_without_a_content_type(world: World, content_type: str | None) -> None:
    body = b'{"title":"stats","user":"bill","type":"tally","entries":{"xp":83}}'
    assert raw_post(world, body, content_type).status_code == 202


def test_an_unknown_path_is_404_and_a_wrong_method_405_both_json(world: World) -> None:
    for missing in (world.client.get("/nowhere"), world.client.get("/lists//users/bill")):
        assert missing.status_code == 404 and error_code(missing) == "not_found"
    wrong = world.client.put("/lists")
    assert wrong.status_code == 405 and error_code(wrong) == "method_not_allowed"
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert world.client.options("/lists").status_code == 405


@pytest.mark.parametrize(
    "bad_path",
    [
        "/lists/%FF",
        "/lists/a%00b",
        "/lists/%0A",
        "/lists/%ED%A0%80",
        "/lists/" + "t" * 129,
        "/lists/ok/users/%C2%85",
    ],
)
def test_a_name_in_the_path_that_breaks_the_rules_is_400(world: World, bad_path: str) -> None:
    response = world.client.get(bad_path)
    assert response.status_code == 400 and error_code(response) == "invalid_path"


class BrokenReads(MemoryListStore):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def aggregate(self, title: str) -> Aggregate | None:
        raise self.error


def client_over(store: MemoryListStore) -> FlaskClient:
    return create_app(replace(World().deps(), store=store)).test_client()


def test_an_unexpected_failure_is_a_bare_500_without_a_trace() -> None:
    response = client_over(BrokenReads(RuntimeError("detail at /var/task/x.py line 3"))).get("/lists/stats")
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "internal", "message": "internal error"}}
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_dependency_that_is_down_is_503_to_retry() -> None:
    response = client_over(BrokenReads(TableUnavailable("GetItem: throttled"))).get("/lists/stats")
    assert response.status_code == 503 and error_code(response) == "unavailable"
    assert response.headers["Retry-After"] == "1"
    assert "throttled" not in response.get_data(as_text=True)


# -- on every response --------------------------------------------------------------------------


def test_every_response_carries_the_security_headers(world: World) -> None:
    responses = [
        world.client.get("/lists"),
        world.client.get("/health"),
        world.client.get("/openapi.json"),
        post(world, STATS),
        world.client.get(path("nothing")),
        world.client.post("/lists", json=STATS),
        raw_post(world, b"{"),
        raw_post(world, b" " * 70_000),
        world.client.put("/lists"),
        world.client.get("/lists?limit=0"),
    ]
    for response in responses:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (response.status_code, name)
        assert response.mimetype == "application/json"


def test_the_openapi_document_is_valid_openapi_3_1_and_names_every_endpoint(world: World) -> None:
    document = world.client.get("/openapi.json").get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    operations = {(method.upper(), route) for route, item in document["paths"].items() for method in item}
    assert operations == {
        ("POST", "/lists"),
        ("GET", "/lists"),
        ("GET", "/lists/{title}"),
        ("GET", "/lists/{title}/users"),
        ("GET", "/lists/{title}/users/{user}"),
        ("DELETE", "/lists/{title}/users/{user}"),
        ("GET", "/lists/{title}/history"),
        ("GET", "/lists/{title}/users/{user}/changes/{id}"),
        ("GET", "/health"),
    }
    schemas = document["components"]["schemas"]
    assert schemas["Submission"]["required"] == ["title", "user", "type", "entries"]
    assert {"ErrorBody", "Accepted", "AggregateEntity", "UserListEntity", "HistoryPage"} <= set(schemas)
    post_lists = document["paths"]["/lists"]["post"]
    assert post_lists["security"] == [{"bearer": []}]
    assert set(post_lists["responses"]) == {"200", "202", "400", "401", "403", "409", "413", "422", "503"}
    assert "security" not in document["paths"]["/lists"]["get"]


def test_with_reads_needing_a_key_the_document_says_so() -> None:
    document = World(reads_need_key=True).client.get("/openapi.json").get_json()
    assert document["paths"]["/lists"]["get"]["security"] == [{"bearer": []}]
    assert "security" not in document["paths"]["/health"]["get"]
