"""The HTTP API as a Flask app: the endpoints of services/api/routes.py, each behind the same
access check, path-name decoding, JSON rendering, error shape and security headers.

Writes publish events and answer 202; reads answer from the table and the archive. See
services/api/views.py for what each endpoint does and docs/api.md for how to call it.
"""

import time
from collections.abc import Callable
from functools import cache
from typing import Any

from flask import Flask, Response, g, request
from pydantic import BaseModel

from services.api import console
from services.api.auth import authenticate
from services.api.conditional import conditional
from services.api.deps import ApiDeps
from services.api.errors import json_response, register_error_handlers
from services.api.names import path_name
from services.api.openapi import flask_rule, openapi_document
from services.api.raw_path import RawPathMiddleware
from services.api.routes import ENDPOINTS, Endpoint
from services.api.views import Reply
from shared import logs, metrics
from shared.clock import now_ms
from shared.lists.limits import MAX_BODY_BYTES

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
"""On every response, errors included (OWASP's REST Security Cheat Sheet): nothing is cached,
sniffed, framed or allowed to run as a page."""


def create_app(deps: ApiDeps) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    # Routes match still-encoded segments, and an empty segment is a bad name, not a redirect.
    app.url_map.merge_slashes = False
    app.wsgi_app = RawPathMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    for endpoint in ENDPOINTS:
        app.add_url_rule(
            flask_rule(endpoint.path),
            endpoint=f"{endpoint.method} {endpoint.path}",
            view_func=_handler(endpoint, deps),
            methods=[endpoint.method],
            provide_automatic_options=False,
        )
    # Made by its first request, not by the cold start of a function that may never serve it.
    document = cache(lambda: openapi_document(ENDPOINTS, deps.reads_need_key))
    app.add_url_rule(
        "/openapi.json",
        endpoint="openapi",
        view_func=lambda: json_response(200, document()),
        methods=["GET"],
        provide_automatic_options=False,
    )
    console.register(app)
    register_error_handlers(app)
    app.before_request(_start_clock)
    app.after_request(_secure)
    app.after_request(_measure(str(deps.tags.get("stage", ""))))
    return app


def _handler(endpoint: Endpoint, deps: ApiDeps) -> Callable[..., Response]:
    def handle(**segments: str) -> Response:
        arguments: dict[str, Any] = {}
        if endpoint.access == "write":
            arguments["caller"] = authenticate(deps.keys, request.headers.get("Authorization"))
        elif endpoint.access == "read" and deps.reads_need_key:
            authenticate(deps.keys, request.headers.get("Authorization"))
        arguments.update({name: path_name(value, name) for name, value in segments.items()})
        response = _render(endpoint.view(deps, **arguments))
        return conditional(response, request.if_none_match) if endpoint.conditional else response

    return handle


def _render(reply: Reply) -> Response:
    status, body, *headers = reply
    if isinstance(body, BaseModel):
        response = json_response(status, body.model_dump(mode="python", by_alias=True))
    else:
        response = json_response(status, body)
    for extra in headers:
        response.headers.update(extra)
    return response


def _secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _start_clock() -> None:
    g.started = time.perf_counter()


def _measure(stage: str) -> Callable[[Response], Response]:
    """A log line and the EMF metrics (Requests by status class, WaitMs) of every request, errors
    included: Flask runs after_request on the responses of the error handlers too."""

    def measure(response: Response) -> Response:
        duration_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        wait_ms = g.get("wait_ms")
        # The route's pattern, never the path itself: paths hold titles and user names.
        route = request.url_rule.rule if request.url_rule is not None else None
        logs.log(
            "request",
            method=request.method,
            route=route,
            status=response.status_code,
            ms=round(duration_ms, 1),
            waitMs=None if wait_ms is None else round(wait_ms, 1),
        )
        metrics.emit(
            metrics.request_metrics("api", stage, response.status_code, duration_ms, wait_ms),
            now_ms(),
        )
        return response

    return measure
