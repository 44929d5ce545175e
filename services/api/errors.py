"""Every failure as one JSON shape, `{"error": {"code": ..., "message": ...}}`, and never a stack
trace: bad input gets a 4xx that says what to fix, a dependency that is down a 503, and anything
unexpected a bare 500 whose details go to the log only."""

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from shared import logs
from shared.events.codec import dumps
from shared.lists.archive import ArchiveUnavailable
from shared.lists.store import StoreUnavailable
from shared.stream.publish import StreamUnavailable


class ApiError(Exception):
    """A request the API refuses, with the status and code the client sees."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}
"""Codes for the failures werkzeug raises itself, before any view runs."""


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(dumps(body), status=status, mimetype="application/json", headers=dict(headers or {}))


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return json_response(status, {"error": {"code": code, "message": message}}, headers)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    for unavailable in (StoreUnavailable, StreamUnavailable, ArchiveUnavailable):
        app.register_error_handler(unavailable, _unavailable)
    app.register_error_handler(Exception, _unexpected)


def _api_error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message, error.headers)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    code = HTTP_CODES.get(status) or (error.name or "error").lower().replace(" ", "_")
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return error_response(status, code, _describe(error), headers)


def _describe(error: HTTPException) -> str:
    messages = {
        404: "no such endpoint; names in paths are percent-encoded (see GET /openapi.json)",
        405: "this endpoint does not take that method",
        413: "the request body is over 64 KiB",
    }
    return messages.get(error.code or 0) or str(error.description or error.name)


def _unavailable(error: Exception) -> Response:
    logs.warn("dependency unavailable", error=str(error))
    return error_response(
        503, "unavailable", "a dependency is unavailable; retry later", {"Retry-After": "1"}
    )


def _unexpected(error: Exception) -> Response:
    logs.error("unexpected error", exc_info=True)
    return error_response(500, "internal", "internal error")
