"""The API as Lambda runs it: API Gateway HTTP API events (payload 2.0) through serverless-wsgi,
with the path decoded once by API Gateway as it is in AWS (services/api/testing.py)."""

import base64
import json
from typing import Any
from urllib.parse import quote

import pytest
import serverless_wsgi

from services.api.app import SECURITY_HEADERS
from services.api.testing import http_api_event
from tests.api_fakes import ADMIN_KEY, BILL_KEY, World, bearer
from tests.support.names import TRICKY


def call(
    world: World, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> Any:
    if body is not None and not isinstance(body, bytes | str):
        body = json.dumps(body)
    event = http_api_event(method, path, body, {"content-type": "application/json", **(headers or {})})
    response: dict[str, Any] = serverless_wsgi.handle_request(world.app, event, None)
    return response


def body_of(response: dict[str, Any]) -> Any:
    text = response.get("body") or ""
    if response.get("isBase64Encoded"):
        text = base64.b64decode(text).decode()
    return json.loads(text) if text else None


def twice(name: str) -> str:
    """A name as a client of an HTTP API puts it in a path: percent-encoded twice."""
    return quote(quote(name, safe=""), safe="")


@pytest.mark.parametrize("name", TRICKY)
def test_names_encoded_twice_round_trip_through_an_http_api(name: str) -> None:
    world = World()
    submission = {"title": name, "user": name, "type": "rank", "entries": {name: 1}}
    posted = call(world, "POST", "/lists", submission, bearer(ADMIN_KEY))
    assert posted["statusCode"] == 202, body_of(posted)
    world.apply()

    at = f"/lists/{twice(name)}"
    aggregate = call(world, "GET", at)
    assert aggregate["statusCode"] == 200 and body_of(aggregate)["title"] == name
    assert body_of(call(world, "GET", f"{at}/users/{twice(name)}"))["entries"] == {name: 1}
    assert body_of(call(world, "GET", f"{at}/users"))["items"][0]["user"] == name
    assert body_of(call(world, "GET", f"{at}/history"))["items"][0]["user"] == name
    assert body_of(call(world, "GET", "/lists"))["items"][0]["title"] == name
    assert call(world, "DELETE", f"{at}/users/{twice(name)}", headers=bearer(ADMIN_KEY))["statusCode"] == 202
    world.apply()
    assert call(world, "GET", at)["statusCode"] == 404


@pytest.mark.parametrize("name", ["favorite movies", "🎬 films 🍿", "#hashtag", "日本語", "é"])
def test_names_without_slash_percent_or_question_mark_need_encoding_once_only(name: str) -> None:
    world = World()
    call(
        world,
        "POST",
        "/lists",
        {"title": name, "user": "bill", "type": "tally", "entries": {"xp": 1}},
        bearer(ADMIN_KEY),
    )
    world.apply()
    once = quote(name, safe="")
    assert body_of(call(world, "GET", f"/lists/{once}"))["title"] == name
    assert body_of(call(world, "GET", f"/lists/{once}/users/bill"))["title"] == name


def test_a_slash_encoded_once_reaches_the_api_as_a_separator() -> None:
    """What API Gateway does to `/lists/a%2Fb`: the function sees `/lists/a/b`."""
    world = World()
    call(
        world,
        "POST",
        "/lists",
        {"title": "x", "user": "y", "type": "tally", "entries": {"xp": 1}},
        bearer(ADMIN_KEY),
    )
    world.apply()
    assert http_api_event("GET", "/lists/a%2Fb")["rawPath"] == "/lists/a/b"
    assert call(world, "GET", "/lists/a%2Fb")["statusCode"] == 404
    # ... and a title "x/users/y" encoded once would read y's list of "x" instead.
    assert body_of(call(world, "GET", "/lists/x%2Fusers%2Fy"))["user"] == "y"


def test_queries_stay_encoded_and_paginate() -> None:
    world = World()
    for title in ("a&b", "c=d", "e f"):
        call(
            world,
            "POST",
            "/lists",
            {"title": title, "user": "u", "type": "tally", "entries": {"k": 1}},
            bearer(ADMIN_KEY),
        )
    world.apply()
    first = body_of(call(world, "GET", "/lists?limit=2"))
    rest = body_of(call(world, "GET", f"/lists?limit=2&cursor={quote(first['next'], safe='')}"))
    assert [item["title"] for item in first["items"] + rest["items"]] == ["a&b", "c=d", "e f"]
    assert rest["next"] is None
    assert call(world, "GET", "/lists?limit=500")["statusCode"] == 400


def test_authentication_and_errors_keep_their_shape_through_lambda() -> None:
    world = World()
    submission = {"title": "stats", "user": "mike", "type": "tally", "entries": {"xp": 1}}
    unauthorized = call(world, "POST", "/lists", submission)
    assert unauthorized["statusCode"] == 401 and body_of(unauthorized)["error"]["code"] == "unauthorized"
    assert unauthorized["headers"]["WWW-Authenticate"].startswith("Bearer")
    assert call(world, "POST", "/lists", submission, bearer(BILL_KEY))["statusCode"] == 403
    assert call(world, "POST", "/lists", "{", bearer(ADMIN_KEY))["statusCode"] == 400
    assert call(world, "POST", "/lists", {"title": "t"}, bearer(ADMIN_KEY))["statusCode"] == 422
    assert call(world, "POST", "/lists", b"\xff\xfe", bearer(ADMIN_KEY))["statusCode"] == 400
    too_big = call(world, "POST", "/lists", " " * 70_000, bearer(ADMIN_KEY))
    assert too_big["statusCode"] == 413 and body_of(too_big)["error"]["code"] == "body_too_large"
    assert world.stream.records == []


def test_every_lambda_response_is_json_text_with_the_security_headers() -> None:
    world = World()
    for method, path in (("GET", "/lists"), ("GET", "/lists/none"), ("PUT", "/lists"), ("GET", "/health")):
        response = call(world, method, path)
        assert response["isBase64Encoded"] is False
        assert response["headers"]["Content-Type"] == "application/json"
        for name, value in SECURITY_HEADERS.items():
            assert response["headers"][name] == value


def test_a_base64_body_is_decoded_as_api_gateway_sends_it() -> None:
    world = World()
    event = http_api_event("POST", "/lists", None, {"content-type": "application/json", **bearer(ADMIN_KEY)})
    document = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 83}}
    event.update(body=base64.b64encode(json.dumps(document).encode()).decode(), isBase64Encoded=True)
    assert serverless_wsgi.handle_request(world.app, event, None)["statusCode"] == 202
