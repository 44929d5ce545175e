"""The OpenAPI 3.1 document, generated from the endpoint table and the same pydantic models the
API validates and answers with: nothing in it is written twice by hand."""

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from services.api.models import ErrorBody
from services.api.routes import IF_NONE_MATCH, Endpoint, Parameter
from shared.events.envelope import EventId
from shared.events.submission import Name

VERSION = "1.0.0"
_REF = "#/components/schemas/{model}"
_PATH_NAME = re.compile(r"\{(\w+)\}")

ERROR_MEANINGS = {
    400: "Bad input: malformed JSON, a wrong Content-Type, a bad path name, limit, cursor or Idempotency-Key",
    401: "No API key, or an unknown one",
    403: "The key may not write this user's lists",
    404: "No such list, or no such route",
    409: "The submission's type conflicts with the list's",
    413: "The body is over 64 KiB",
    422: "The submission breaks the list rules",
    503: "A dependency is unavailable; retry later",
}


def openapi_document(endpoints: Iterable[Endpoint], reads_need_key: bool) -> dict[str, Any]:
    endpoints = tuple(endpoints)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, reads_need_key)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "list manager",
            "version": VERSION,
            "description": "Writes go onto the event stream, reads come from the table.",
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(endpoints),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _schemas(endpoints: tuple[Endpoint, ...]) -> dict[str, Any]:
    models: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(ErrorBody, "serialization"): None}
    for endpoint in endpoints:
        if endpoint.body is not None:
            models[(endpoint.body, "validation")] = None
        for answer in endpoint.answers.values():
            models[(answer, "serialization")] = None
    _, document = models_json_schema(list(models), ref_template=_REF)
    definitions: dict[str, Any] = document.get("$defs", {})
    return definitions


ETAG = {
    "ETag": {
        "description": "A strong tag of this body, for If-None-Match.",
        "schema": {"type": "string"},
    }
}


def _operation(endpoint: Endpoint, reads_need_key: bool) -> dict[str, Any]:
    parameters = [*_path_parameters(endpoint.path), *map(_parameter, endpoint.parameters)]
    responses = {
        **{str(status): _answer(model.__name__, "OK") for status, model in endpoint.answers.items()},
        **{
            str(status): _answer("ErrorBody", ERROR_MEANINGS[status])
            for status in _errors(endpoint, reads_need_key)
        },
    }
    if endpoint.conditional:
        parameters.append(_parameter(IF_NONE_MATCH))
        responses["200"]["headers"] = ETAG
        responses["304"] = {"description": "If-None-Match names the current ETag: no body", "headers": ETAG}
    operation: dict[str, Any] = {
        "operationId": endpoint.view.__name__,
        "summary": endpoint.summary,
        "parameters": parameters,
        "responses": responses,
    }
    if endpoint.body is not None:
        operation["requestBody"] = {"required": True, "content": _json(endpoint.body.__name__)}
    if _needs_key(endpoint, reads_need_key):
        operation["security"] = [{"bearer": []}]
    return operation


def _needs_key(endpoint: Endpoint, reads_need_key: bool) -> bool:
    return endpoint.access == "write" or (endpoint.access == "read" and reads_need_key)


def _errors(endpoint: Endpoint, reads_need_key: bool) -> list[int]:
    errors = set(endpoint.errors) | {503}
    if _needs_key(endpoint, reads_need_key):
        errors.add(401)
    if endpoint.access == "write":
        errors.add(403)
    return sorted(errors - set(endpoint.answers))


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            # What names.path_name holds each segment to: an event id is not a name.
            "schema": TypeAdapter(EventId if name == "id" else Name).json_schema(),
            "description": f"The {name}, percent-encoded (twice behind an API Gateway HTTP API).",
        }
        for name in _PATH_NAME.findall(path)
    ]


def _parameter(parameter: Parameter) -> dict[str, Any]:
    return {
        "name": parameter.name,
        "in": parameter.where,
        "required": False,
        "schema": dict(parameter.schema),
        "description": parameter.description,
    }


def _answer(model: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": _json(model)}


def _json(model: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": _REF.format(model=model)}}}


def flask_rule(path: str) -> str:
    """/lists/{title} as Flask writes it: /lists/<title>."""
    return _PATH_NAME.sub(r"<\1>", path)
