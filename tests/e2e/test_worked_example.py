"""The worked example of DESIGN.md, driven as a user would: four submissions over HTTP, then
the aggregates and rankings read back, then the trigger's events seen with `listmgr tail`."""

import socket
from typing import Any

from tests.samples import RERANK, WORKED_EXAMPLE
from tests.support.stack import RunningStack, stop_stack, wait_for


def aggregate_with(stack: RunningStack, path: str, condition: Any) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        response = stack.request("GET", path)
        return response.body if response.status == 200 and condition(response.body) else None

    return wait_for(probe)


def test_worked_example_end_to_end(stack: RunningStack) -> None:
    for submission in WORKED_EXAMPLE:
        response = stack.request("POST", "/lists", submission, key=stack.key)
        assert response.status == 202, response.body
        assert response.body["status"] == "accepted" and response.body["id"]

    stats = aggregate_with(stack, "/lists/stats", lambda body: body["users"] == 2)
    assert stats["entries"] == {"xp": 108} and stats["type"] == "tally"
    assert stack.request("GET", "/lists/stats/users/beth").body["entries"] == {"xp": 25}
    assert stack.request("GET", "/lists/stats/users/bill").body["entries"] == {"xp": 83}

    movies = aggregate_with(stack, "/lists/favorite%20movies", lambda body: body["users"] == 2)
    assert movies["entries"] == {"blade runner": 3, "the empire strikes back": 5, "alien": 4}
    assert movies["counts"] == {"blade runner": 2, "the empire strikes back": 2, "alien": 2}
    assert movies["ranking"] == ["blade runner", "alien", "the empire strikes back"]

    assert stack.request("POST", "/lists", RERANK, key=stack.key).status == 202
    movies = aggregate_with(stack, "/lists/favorite%20movies", lambda body: body["entries"].get("alien") == 2)
    assert movies["entries"] == {"alien": 2, "blade runner": 4, "the empire strikes back": 3}
    assert movies["counts"] == {"alien": 2, "blade runner": 2, "the empire strikes back": 1}
    assert movies["ranking"] == ["alien", "blade runner", "the empire strikes back"]

    created = stack.events("user-list-created", limit=4)
    assert sorted((event["list"]["title"], event["list"]["user"]) for event in created) == [
        ("favorite movies", "mike"),
        ("favorite movies", "rdlysct"),
        ("stats", "beth"),
        ("stats", "bill"),
    ]
    aggregates = stack.events("aggregate-list-*", limit=3)
    assert {event["type"] for event in aggregates} >= {"aggregate-list-created"}
    updated_movies = stack.events("aggregate-list-updated", limit=1)
    assert updated_movies and updated_movies[-1]["list"]["title"] in ("favorite movies", "stats")
    for event in created + aggregates:
        assert event["tags"]["source"] == "trigger"
        assert isinstance(event["timestamp"], int) and event["partitionKey"]

    ports = (stack.info["api_url"].rsplit(":", 1)[1], stack.info["aws_endpoint_url"].rsplit(":", 1)[1])
    assert stop_stack(stack) == 0
    assert not (stack.folder / ".listmgr" / "stack.json").exists()
    for port in ports:
        with socket.socket() as probe:
            # As a server restarting on the port would: connections in TIME_WAIT do not hold it.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", int(port)))
