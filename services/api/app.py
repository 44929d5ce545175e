"""The HTTP API: list mutations go onto the event stream, reads come from the table.

Writes never touch the table: they publish `list-update-submitted` / `list-delete-submitted`
events, which the listener applies exactly once, so an HTTP retry with the same Idempotency-Key
is applied once too. Reads answer from the table and the archive.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from flask import Flask, Response, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from services.api.auth import KeyRing
from services.api.raw_path import RawPathMiddleware
from shared.events.codec import NotJson, dumps, loads
from shared.events.envelope import UPDATE_SUBMITTED
from shared.events.partition import partition_key
from shared.events.submission import Submission
from shared.events.validation import describe
from shared.lists import items
from shared.lists.limits import MAX_BODY_BYTES
from shared.stream.connectors.dynamodb import ListTable, TableUnavailable
from shared.stream.connectors.kinesis import KinesisStream, StreamUnavailable


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class ApiDeps:
    table: ListTable
    stream: KinesisStream
    keys: KeyRing
    tags: dict[str, str | int]
    clock: Callable[[], int] = lambda: int(time.time() * 1000)


def create_app(deps: ApiDeps) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.wsgi_app = RawPathMiddleware(app.wsgi_app)  # type: ignore[method-assign]

    @app.post("/lists")
    def submit() -> Response:
        key = authenticate(deps.keys)
        submission = parse_body(Submission)
        if not key.may_write(submission.user):
            raise ApiError(403, "forbidden", f"this key may not write lists of {submission.user!r}")
        aggregate = deps.table.get(items.aggregate_key(submission.title))
        if items.is_live(aggregate) and aggregate["type"] != submission.type:  # type: ignore[index]
            raise ApiError(
                409,
                "type_conflict",
                f"{submission.title!r} is a {aggregate['type']} list",  # type: ignore[index]
            )
        event = envelope(
            UPDATE_SUBMITTED, submission.model_dump(mode="python"), submission.title, submission.user, deps
        )
        publish(deps.stream, event)
        return json_response(202, {"id": event["id"], "status": "accepted"})

    @app.get("/lists/<title>")
    def aggregate(title: str) -> Response:
        item = deps.table.get(items.aggregate_key(segment(title)))
        if not items.is_live(item):
            raise ApiError(404, "not_found", f"no list titled {segment(title)!r}")
        return json_response(200, items.aggregate_entity(item))  # type: ignore[arg-type]

    @app.get("/lists/<title>/users/<user>")
    def user_list(title: str, user: str) -> Response:
        item = deps.table.get(items.user_list_key(segment(title), segment(user)))
        if not items.is_live(item):
            raise ApiError(404, "not_found", f"{segment(user)!r} has no list titled {segment(title)!r}")
        return json_response(200, items.user_list_entity(item))  # type: ignore[arg-type]

    @app.get("/health")
    def health() -> Response:
        checks: dict[str, str] = {}
        try:
            deps.table.client.describe_table(TableName=deps.table.table_name)
            checks["table"] = "ok"
        except Exception as error:
            checks["table"] = f"unavailable: {type(error).__name__}"
        healthy = all(value == "ok" for value in checks.values())
        return json_response(
            200 if healthy else 503, {"status": "ok" if healthy else "degraded", "checks": checks}
        )

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return error_response(error.status, error.code, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        code = (error.name or "error").lower().replace(" ", "_")
        return error_response(error.code or 500, code, error.description or error.name)

    @app.errorhandler(TableUnavailable)
    @app.errorhandler(StreamUnavailable)
    def unavailable(error: Exception) -> Response:
        app.logger.warning("dependency unavailable: %s", error)
        return error_response(503, "unavailable", "a dependency is unavailable; retry later")

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        app.logger.exception("unexpected error")
        return error_response(500, "internal", "internal error")

    return app


def segment(value: str) -> str:
    """A path segment as the client meant it: RawPathMiddleware leaves segments percent-encoded
    so that an encoded '/' does not split them."""
    return unquote(value)


def authenticate(keys: KeyRing) -> Any:
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise ApiError(401, "unauthorized", "writes need an 'Authorization: Bearer <key>' header")
    key = keys.find(presented.strip())
    if key is None:
        raise ApiError(401, "unauthorized", "unknown API key")
    return key


def parse_body(model: type[Submission]) -> Submission:
    try:
        document = loads(request.get_data(cache=False))
    except NotJson as error:
        raise ApiError(400, "invalid_json", str(error)) from error
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise ApiError(422, "invalid_submission", describe(error)) from error


def envelope(event_type: str, entity: dict[str, Any], title: str, user: str, deps: ApiDeps) -> dict[str, Any]:
    event_id = request.headers.get("Idempotency-Key") or str(uuid.uuid4())
    if not 0 < len(event_id) <= 256 or any(
        ord(character) < 32 or ord(character) == 127 for character in event_id
    ):
        raise ApiError(
            400, "invalid_idempotency_key", "Idempotency-Key must be 1 to 256 printable characters"
        )
    return {
        "id": event_id,
        "type": event_type,
        "timestamp": deps.clock(),
        "partitionKey": partition_key(title, user),
        "tags": {**deps.tags, "pipeline": event_type},
        "update": entity,
    }


def publish(stream: KinesisStream, event: dict[str, Any]) -> None:
    errors = stream.put_records([(event["partitionKey"], dumps(event).encode())])
    if errors[0] is not None:
        raise StreamUnavailable(f"PutRecords refused the event: {errors[0]}")


def json_response(status: int, body: Any) -> Response:
    return Response(dumps(body), status=status, mimetype="application/json")


def error_response(status: int, code: str, message: str) -> Response:
    return json_response(status, {"error": {"code": code, "message": message}})
