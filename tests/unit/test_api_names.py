"""Titles and users round-trip exactly through every endpoint, whatever they hold, and no input
at all makes the API fail with a 500."""

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api_fakes import ADMIN_KEY, World, bearer
from tests.support.names import TRICKY

names = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cs")),
    min_size=1,
    max_size=128,
)


def encoded(name: str) -> str:
    return quote(name, safe="")


def round_trip(world: World, title: str, user: str) -> None:
    """POST, then every read and the delete, with the names percent-encoded once in paths."""
    submission = {"title": title, "user": user, "type": "tally", "entries": {user: 1}}
    assert world.client.post("/lists", json=submission, headers=bearer(ADMIN_KEY)).status_code == 202
    world.apply()
    at = f"/lists/{encoded(title)}"

    aggregate = world.client.get(at).get_json()
    assert (aggregate["title"], aggregate["entries"]) == (title, {user: 1})
    assert world.client.get(f"{at}/users/{encoded(user)}").get_json()["user"] == user
    assert [item["user"] for item in world.client.get(f"{at}/users").get_json()["items"]] == [user]
    assert title in [item["title"] for item in world.client.get("/lists?limit=100").get_json()["items"]]
    assert world.client.get(f"{at}/history").get_json()["items"][0]["user"] == user

    deleted = world.client.delete(f"{at}/users/{encoded(user)}", headers=bearer(ADMIN_KEY))
    assert deleted.status_code == 202
    world.apply()
    assert world.client.get(at).status_code == 404


@pytest.mark.parametrize("name", TRICKY)
def test_tricky_names_round_trip_through_every_endpoint(name: str) -> None:
    round_trip(World(), name, name)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=names, user=names)
def test_any_valid_names_round_trip(title: str, user: str) -> None:
    round_trip(World(), title, user)


@settings(max_examples=150, deadline=None)
@given(path=st.text(max_size=60), query=st.text(max_size=40))
def test_no_path_or_query_makes_a_500(path: str, query: str) -> None:
    world = World()
    # A leading "//" would make the test client read a host name, not a path.
    target = (
        "/" + quote(path.lstrip("/"), safe="/%?#&=", errors="surrogatepass") + "?" + quote(query, safe="=&%")
    )
    for method in ("GET", "DELETE", "POST", "PUT"):
        response = world.client.open(target, method=method, headers=bearer(ADMIN_KEY))
        assert response.status_code < 500, (method, target, response.get_data(as_text=True))
        assert response.get_json()["error"]["code"] if response.status_code >= 400 else True


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_no_body_makes_a_500(body: bytes) -> None:
    response = World().client.post(
        "/lists", data=body, headers={**bearer(ADMIN_KEY), "Content-Type": "application/json"}
    )
    assert response.status_code in (202, 400, 422)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(
    document=st.fixed_dictionaries(
        {},
        optional={
            "title": json_values | names,
            "user": json_values | names,
            "type": json_values,
            "entries": json_values,
        },
    )
)
def test_no_json_document_makes_a_500(document: dict[str, Any]) -> None:
    response = World().client.post("/lists", json=document, headers=bearer(ADMIN_KEY))
    assert response.status_code in (202, 400, 422)


header_values = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=300)


@settings(max_examples=150, deadline=None)
@given(authorization=header_values, idempotency=header_values, content_type=header_values)
def test_no_header_values_make_a_500(authorization: str, idempotency: str, content_type: str) -> None:
    headers = {"Authorization": authorization, "Idempotency-Key": idempotency, "Content-Type": content_type}
    response = World().client.post("/lists", data=b'{"title":"t"}', headers=headers)
    assert response.status_code in (400, 401, 422)
    authorized = {**headers, **bearer(ADMIN_KEY)}
    assert World().client.post("/lists", data=b"{}", headers=authorized).status_code in (400, 422)
