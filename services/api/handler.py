"""The API function: API Gateway HTTP API events (payload 2.0) through serverless-wsgi."""

from functools import cache
from typing import Any

import serverless_wsgi
from flask import Flask

from services.api.app import ApiDeps, create_app
from services.api.auth import KeyRing
from shared import bootstrap, logs, tracing
from shared.settings import Settings
from shared.stream.connectors.aws import secret_json

logs.configure()
tracing.trace_calls()


@cache
def application() -> Flask:
    settings = Settings.from_env()
    if settings.api_keys_secret_arn:
        keys = KeyRing.from_json(secret_json(settings.api_keys_secret_arn, settings.region)["keys"])
    else:
        keys = KeyRing.from_json(settings.api_keys)
    deps = ApiDeps(
        table=bootstrap.list_table(settings),
        stream=bootstrap.event_stream(settings),
        keys=keys,
        tags={"source": "api", "stage": settings.stage, "region": settings.region, "functionname": "api"},
    )
    return create_app(deps)


def app(environ: dict[str, Any], start_response: Any) -> Any:
    """The WSGI application, for a local WSGI server."""
    return application()(environ, start_response)


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = serverless_wsgi.handle_request(application(), event, context)
    return response
