"""The path as sent, from each kind of front end, and the opaque cursors."""

import base64
import json
from typing import Any

import pytest

from services.api.errors import ApiError
from services.api.pages import HistoryCursor, TitlesCursor, UsersCursor, decode_cursor, encode_cursor
from services.api.raw_path import raw_path
from services.api.testing import http_api_event


@pytest.mark.parametrize("variable", ["REQUEST_URI", "RAW_URI"])
def test_a_wsgi_servers_raw_uri_is_kept_encoded(variable: str) -> None:
    environ = {variable: "/lists/a%2Fb/users/c?limit=1", "PATH_INFO": "/lists/a/b/users/c"}
    assert raw_path(environ) == "/lists/a%2Fb/users/c"


def test_raw_utf8_bytes_sent_unencoded_are_encoded() -> None:
    sent = "/lists/🎬 x".encode().decode("latin-1")  # how PEP 3333 carries the bytes
    assert raw_path({"REQUEST_URI": sent}) == "/lists/%F0%9F%8E%AC%20x"


def test_an_absolute_request_target_keeps_its_path_only() -> None:
    assert raw_path({"REQUEST_URI": "http://example.com:8000/lists/a%2Fb?x=1"}) == "/lists/a%2Fb"


def test_the_script_name_prefix_is_taken_off() -> None:
    environ = {"REQUEST_URI": "/api/lists/a%2Fb", "SCRIPT_NAME": "/api"}
    assert raw_path(environ) == "/lists/a%2Fb"
    assert raw_path({"REQUEST_URI": "/apiary/x", "SCRIPT_NAME": "/api"}) == "/apiary/x"


def test_without_a_raw_uri_the_decoded_path_is_used() -> None:
    assert raw_path({"PATH_INFO": "/lists/a b"}) == "/lists/a%20b"


def serverless(event: dict[str, Any]) -> dict[str, Any]:
    return {"serverless.event": event, "PATH_INFO": "/decoded", "SCRIPT_NAME": "/$default"}


def test_an_http_api_path_is_what_api_gateway_decoded_once() -> None:
    assert raw_path(serverless(http_api_event("GET", "/lists/a%252Fb/users/%F0%9F%8E%AC"))) == (
        "/lists/a%2Fb/users/%F0%9F%8E%AC"
    )
    assert raw_path(serverless(http_api_event("GET", "/lists/what%253F%2523"))) == "/lists/what%3F%23"


def test_a_lone_surrogate_in_a_raw_path_stays_visible_as_bytes_that_are_not_utf8() -> None:
    assert raw_path(serverless({"rawPath": "/lists/\ud800"})) == "/lists/%ED%A0%80"


@pytest.mark.parametrize(
    "cursor", [TitlesCursor(after="a/b 🎬"), UsersCursor(after="%zz"), HistoryCursor(before=(12, 3))]
)
def test_cursors_round_trip_and_are_url_safe(cursor: Any) -> None:
    encoded = encode_cursor(cursor)
    assert encoded.replace("-", "").replace("_", "").isalnum()
    assert decode_cursor(type(cursor), encoded) == cursor


def test_a_cursor_of_one_listing_is_refused_by_another() -> None:
    with pytest.raises(ApiError) as refused:
        decode_cursor(UsersCursor, encode_cursor(TitlesCursor(after="a")))
    assert refused.value.status == 400


@pytest.mark.parametrize("before", [(-1, 0), (1.5, 0), ("1", 0), (1,), (1, 2, 3)])
def test_a_history_cursor_holds_two_counts(before: Any) -> None:
    forged = json.dumps({"listing": "history", "before": before}).encode()
    with pytest.raises(ApiError):
        decode_cursor(HistoryCursor, base64.urlsafe_b64encode(forged).decode())
