"""Conditional reads (services/api/conditional.py): every read of lists answers an ETag of its
body, and If-None-Match with that tag gets a 304 with no body until the list changes."""

from typing import Any

import pytest
import serverless_wsgi
from flask.testing import FlaskClient

from services.api.conditional import etag_of
from services.api.routes import ENDPOINTS
from services.api.testing import http_api_event
from tests.api_fakes import ADMIN_KEY, World, bearer

STATS = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 83}}
READS = ["/lists", "/lists/stats", "/lists/stats/users", "/lists/stats/users/bill", "/lists/stats/history"]


@pytest.fixture
def world() -> World:
    world = World()
    assert world.client.post("/lists", json=STATS, headers=bearer(ADMIN_KEY)).status_code == 202
    world.apply()
    return world


def get(client: FlaskClient, path: str, tag: str | None = None) -> Any:
    return client.get(path, headers={} if tag is None else {"If-None-Match": tag})


@pytest.mark.parametrize("path", READS)
def test_a_read_answers_the_etag_of_its_body_and_304_while_the_client_holds_it(
    world: World, path: str
) -> None:
    first = get(world.client, path)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert tag == etag_of(first.get_data()) and tag.startswith('"') and len(tag) == 34

    again = get(world.client, path, tag)
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == tag
    # The headers every answer has, a 304 included.
    assert again.headers["Cache-Control"] == "no-store"
    assert again.headers["X-Content-Type-Options"] == "nosniff"


def test_a_change_makes_a_new_etag_and_a_full_answer(world: World) -> None:
    tag = get(world.client, "/lists/stats").headers["ETag"]
    world.client.post("/lists", json={**STATS, "user": "beth"}, headers=bearer(ADMIN_KEY))
    world.apply()
    changed = get(world.client, "/lists/stats", tag)
    assert changed.status_code == 200 and changed.get_json()["entries"] == {"xp": 166}
    assert changed.headers["ETag"] not in (tag, None)


def test_if_none_match_compares_weakly_and_takes_lists_and_a_star(world: World) -> None:
    tag = get(world.client, "/lists/stats").headers["ETag"]
    for header in (f"W/{tag}", f'"other", {tag}', "*"):
        assert get(world.client, "/lists/stats", header).status_code == 304, header
    for header in ('"other"', "not a tag", ""):
        assert get(world.client, "/lists/stats", header).status_code == 200, header


def test_errors_writes_and_health_carry_no_etag(world: World) -> None:
    missing = get(world.client, "/lists/nothing", "*")
    assert missing.status_code == 404 and "ETag" not in missing.headers
    written = world.client.post("/lists", json=STATS, headers={**bearer(ADMIN_KEY), "If-None-Match": "*"})
    assert written.status_code == 202 and "ETag" not in written.headers
    health = get(world.client, "/health", "*")
    assert health.status_code == 200 and "ETag" not in health.headers


def test_the_openapi_document_says_which_reads_are_conditional(world: World) -> None:
    document = world.client.get("/openapi.json").get_json()
    conditional = {(e.method.lower(), e.path) for e in ENDPOINTS if e.conditional}
    assert conditional == {
        ("get", "/lists"),
        ("get", "/lists/{title}"),
        ("get", "/lists/{title}/users"),
        ("get", "/lists/{title}/users/{user}"),
        ("get", "/lists/{title}/users/{user}/changes/{id}"),
        ("get", "/lists/{title}/history"),
    }
    for method, path in conditional:
        operation = document["paths"][path][method]
        assert "If-None-Match" in [parameter["name"] for parameter in operation["parameters"]]
        assert "ETag" in operation["responses"]["200"]["headers"]
        assert "304" in operation["responses"]
    health = document["paths"]["/health"]["get"]
    assert "304" not in health["responses"]


def test_a_304_passes_through_the_lambda_function_behind_an_http_api(world: World) -> None:
    tag = get(world.client, "/lists/stats").headers["ETag"]
    event = http_api_event("GET", "/lists/stats", headers={"if-none-match": tag})
    answer = serverless_wsgi.handle_request(world.app, event, None)
    assert answer["statusCode"] == 304 and not answer.get("body")
    assert answer["headers"]["ETag"] == tag
