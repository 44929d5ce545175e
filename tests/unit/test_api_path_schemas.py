"""The OpenAPI document describes each path parameter as the API checks it (services/api/names.py):
titles and users as names, a change's id as an event id. Schemathesis found the id described as
a name, which refuses C1 control characters that an id may hold."""

from urllib.parse import quote

from pydantic import TypeAdapter

from shared.events.envelope import EventId
from shared.events.submission import Name
from tests.api_fakes import World


def test_each_path_parameter_has_the_schema_the_api_holds_it_to() -> None:
    world = World()
    document = world.client.get("/openapi.json").get_json()
    parameters = {
        parameter["name"]: parameter["schema"]
        for operation in document["paths"]["/lists/{title}/users/{user}/changes/{id}"].values()
        for parameter in operation["parameters"]
        if parameter["in"] == "path"
    }
    assert parameters == {
        "title": TypeAdapter(Name).json_schema(),
        "user": TypeAdapter(Name).json_schema(),
        "id": TypeAdapter(EventId).json_schema(),
    }
    # An id with a C1 control character is an id the API takes, as its schema now says.
    answer = world.client.get(f"/lists/stats/users/bill/changes/{quote(chr(0x8B) + 'x', safe='')}")
    assert answer.status_code == 200 and answer.get_json()["status"] == "unknown"
