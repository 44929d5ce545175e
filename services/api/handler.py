"""The API function: API Gateway HTTP API events (payload 2.0) through serverless-wsgi in AWS,
and `app`, the same application as a WSGI callable, for the WSGI server of `listmgr up`."""

import uuid
from collections.abc import Mapping
from functools import cache
from typing import Any

import serverless_wsgi
from flask import Flask

from services.api.app import create_app
from services.api.auth import KeyRing
from services.api.deps import ApiDeps, Probe
from services.api.freshness import RecentOutcome, ReloadingKeyRing
from shared import bootstrap, logs, tracing
from shared.adapters.aws import secret_json
from shared.adapters.dynamodb import DynamoListStore
from shared.adapters.kinesis import KinesisStream
from shared.adapters.sql_archive import Archive
from shared.settings import Settings

logs.configure()
tracing.trace_calls()


@cache
def application() -> Flask:
    settings = Settings.from_env()
    logs.set_level(settings.log_level)
    store, stream, archive = (
        bootstrap.list_store(settings),
        bootstrap.event_stream(settings),
        bootstrap.archive(settings),
    )
    deps = ApiDeps(
        store=store,
        stream=stream,
        archive=archive,
        keys=key_ring(settings),
        tags={"source": "api", "stage": settings.stage, "region": settings.region, "functionname": "api"},
        probes={
            name: RecentOutcome(probe, settings.health_cache_seconds)
            for name, probe in probes(store, stream, archive).items()
        },
        reads_need_key=settings.api_reads_need_key,
    )
    return create_app(deps)


def key_ring(settings: Settings) -> KeyRing:
    """From the Secrets Manager secret in AWS, read again as it ages (services/api/freshness.py),
    from the environment locally; the document is the same either way (services/api/auth.py)."""
    arn = settings.api_keys_secret_arn
    if arn:
        return ReloadingKeyRing(
            lambda: KeyRing.from_document(secret_json(arn, settings.region, settings.aws)),
            max_age=settings.api_keys_max_age_seconds,
            recheck=settings.api_keys_recheck_seconds,
        )
    return KeyRing.from_json(settings.api_keys)


def probes(store: DynamoListStore, stream: KinesisStream, archive: Archive) -> dict[str, Probe]:
    return {
        "table": store.describe,
        "stream": lambda: stream.client.describe_stream_summary(StreamName=stream.stream_name),
        # A write, not a ping: a database that answers but refuses writes (a full disk) is down
        # for the listener, whose every batch then fails.
        "archive": archive.probe_write,
    }


def app(environ: dict[str, Any], start_response: Any) -> Any:
    """The WSGI application, for a local WSGI server: a request id of its own for its log lines,
    as API Gateway's Lambda invocation would have."""
    with logs.invocation("api", None, requestId=str(uuid.uuid4())):
        return application()(environ, start_response)


def handle(event: Any, context: Any) -> dict[str, Any]:
    # serverless-wsgi reads what it needs with [], so another event (a stream batch, `[]`) would
    # end in a KeyError deep inside it. Every HTTP event it serves (API Gateway v1 and v2, ALB)
    # has a requestContext; a warming event has a source.
    if not isinstance(event, Mapping) or not {"requestContext", "source"} & set(event):
        raise ValueError("not an HTTP event: the API function takes API Gateway or ALB events")
    with logs.invocation("api", context):
        response: dict[str, Any] = serverless_wsgi.handle_request(application(), event, context)
    return response
