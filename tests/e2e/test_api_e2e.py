"""The HTTP API over HTTP, as `listmgr up` serves it with waitress: names that need escaping
through every endpoint, retries applied once, deletes, pagination, history and the errors."""

from typing import Any
from urllib.parse import quote

from services.api.app import SECURITY_HEADERS
from services.api.views import keyed_id
from tests.support.stack import RunningStack, wait_for

TITLE = "a/b #1? 100% 🎬"
USERS = ["bill", "ゆき", "x/y?z#"]


def at(*names: str) -> str:
    return "/lists/" + "/users/".join(quote(name, safe="") for name in names)


def read_when(stack: RunningStack, path: str, condition: Any) -> Any:
    def probe() -> Any:
        response = stack.request("GET", path)
        return response.body if response.status == 200 and condition(response.body) else None

    return wait_for(probe)


def test_the_api_over_http(stack: RunningStack) -> None:
    for number, user in enumerate(USERS):
        submission = {"title": TITLE, "user": user, "type": "tally", "entries": {"xp": 1.5}}
        ids = set()
        for _ in range(2):  # a client retry: the same Idempotency-Key, applied once
            response = stack.request(
                "POST", "/lists", submission, {"Idempotency-Key": f"e2e-{number}"}, stack.key
            )
            assert response.status == 202 and response.body["status"] == "accepted"
            ids.add(response.body["id"])
        # The id derives from the user list and the key: the same for the retry, another per user.
        assert ids == {keyed_id(TITLE, user, f"e2e-{number}")}

    aggregate = read_when(stack, at(TITLE), lambda body: body["users"] == len(USERS))
    assert aggregate["title"] == TITLE and aggregate["entries"] == {"xp": 4.5}
    for user in USERS:
        assert stack.request("GET", at(TITLE, user)).body["entries"] == {"xp": 1.5}

    first = stack.request("GET", at(TITLE) + "/users?limit=2").body
    rest = stack.request("GET", at(TITLE) + f"/users?limit=2&cursor={first['next']}").body
    assert [item["user"] for item in first["items"] + rest["items"]] == sorted(USERS)
    assert TITLE in [item["title"] for item in stack.request("GET", "/lists").body["items"]]

    deleted = stack.request("DELETE", at(TITLE, "x/y?z#"), key=stack.key)
    assert deleted.status == 202
    read_when(stack, at(TITLE), lambda body: body["users"] == 2)
    assert stack.request("GET", at(TITLE, "x/y?z#")).status == 404
    history = stack.request("GET", at(TITLE) + "/history").body["items"]
    assert [entry["event"] for entry in history] == ["list-delete-submitted"] + ["list-update-submitted"] * 3

    refused = [
        stack.request("POST", "/lists", {"title": "t"}),
        stack.request("POST", "/lists", b"{", key=stack.key),
        stack.request("POST", "/lists", b" " * 70_000, key=stack.key),
        stack.request("GET", "/lists?limit=0"),
        stack.request("GET", at("no such list")),
    ]
    assert [(response.status, response.body["error"]["code"]) for response in refused] == [
        (401, "unauthorized"),
        (400, "invalid_json"),
        (413, "body_too_large"),
        (400, "invalid_limit"),
        (404, "not_found"),
    ]
    document = stack.request("GET", "/openapi.json")
    assert document.status == 200 and document.body["openapi"] == "3.1.0"
    health = stack.request("GET", "/health")
    assert health.body == {"status": "ok", "checks": {"table": "ok", "stream": "ok", "archive": "ok"}}
    for response in [*refused, document, health]:
        assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
