"""The shipped JSON Schemas are what the models give, and they accept what the project publishes."""

import json
from typing import Any

import jsonschema
import pytest

from shared.events import catalog
from shared.events.catalog import EVENT_MODELS
from shared.events.testing import kinesis_record
from shared.stream.decoders import kinesis_unit
from shared.stream.faults import fault_event
from tests.support.schemas import validator


def test_the_committed_schemas_are_up_to_date() -> None:
    assert catalog.main(["--check"]) == 0


def test_there_is_one_schema_per_event_type_and_each_is_valid() -> None:
    for event_type in EVENT_MODELS:
        jsonschema.Draft202012Validator.check_schema(
            json.loads((catalog.SCHEMAS / f"{event_type}.json").read_text())
        )


def test_a_fault_event_matches_its_schema() -> None:
    unit = kinesis_unit(kinesis_record(b"nope", 3))._replace(fault="data is not valid JSON")
    validator("fault").validate(fault_event(unit, {"source": "listener"}))


@pytest.mark.parametrize(
    ("event_type", "event"),
    [
        (
            "list-update-submitted",
            {
                "id": "1",
                "type": "list-update-submitted",
                "timestamp": 1,
                "partitionKey": "k",
                "tags": {},
                "update": {"title": "t", "user": "u", "type": "tally", "entries": {"x": 0.5}},
            },
        ),
        (
            "list-delete-submitted",
            {
                "id": "1",
                "type": "list-delete-submitted",
                "timestamp": 1,
                "update": {"title": "t", "user": "u"},
            },
        ),
    ],
)
def test_inbound_events_match(event_type: str, event: dict[str, Any]) -> None:
    validator(event_type).validate(event)


def test_a_schema_refuses_another_type_and_a_missing_entity() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validator("user-list-created").validate(
            {"id": "1", "type": "user-list-updated", "timestamp": 1, "raw": {}}
        )
