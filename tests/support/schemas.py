"""Validators of the event JSON Schemas shipped with the project."""

import json

import jsonschema

from shared.events import catalog


def validator(event_type: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((catalog.SCHEMAS / f"{event_type}.json").read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
