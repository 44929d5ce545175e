"""The API function: API Gateway HTTP API events (payload 2.0) through serverless-wsgi in AWS,
and the same application as a WSGI callable for the WSGI server of `listmgr up`."""

import threading
import uuid
from collections.abc import Mapping
from typing import Any

import serverless_wsgi
from flask import Flask

from services.api.app import create_app
from services.api.auth import KeyRing
from services.api.deps import ApiDeps
from services.api.freshness import RecentOutcome, ReloadingKeyRing
from shared import logs
from shared.adapters.aws import secret_json
from shared.bootstrap import DeferredArchive, Ports
from shared.settings import Settings


class ApiFunction:
    """The API's Lambda handler (call it with an event and a context) and its WSGI application
    (`wsgi`), over one Flask app made on the first request."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports
        self._app: Flask | None = None
        self._making = threading.Lock()

    def application(self) -> Flask:
        with self._making:
            if self._app is None:
                self._app = create_app(deps(self.ports))
            return self._app

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        # serverless-wsgi reads what it needs with [], so another event (a stream batch, `[]`)
        # would end in a KeyError deep inside it. Every HTTP event it serves (API Gateway v1 and
        # v2, ALB) has a requestContext; a warming event has a source.
        if not isinstance(event, Mapping) or not {"requestContext", "source"} & set(event):
            raise ValueError("not an HTTP event: the API function takes API Gateway or ALB events")
        with logs.invocation("api", context):
            response: dict[str, Any] = serverless_wsgi.handle_request(self.application(), event, context)
        return response

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        """The WSGI application, for a local WSGI server: a request id of its own for its log
        lines, as API Gateway's Lambda invocation would have."""
        with logs.invocation("api", None, requestId=str(uuid.uuid4())):
            return self.application()(environ, start_response)


def handler(ports: Ports) -> ApiFunction:
    return ApiFunction(ports)


def deps(ports: Ports) -> ApiDeps:
    """What the API's app runs on: the ports, its keys, and a cached check of each real adapter."""
    settings = ports.settings
    return ApiDeps(
        store=ports.store,
        stream=ports.stream,
        archive=DeferredArchive(lambda: ports.archive),
        keys=key_ring(settings),
        tags={"source": "api", "stage": settings.stage, "region": settings.region, "functionname": "api"},
        probes={
            name: RecentOutcome(probe, settings.health_cache_seconds)
            for name, probe in ports.probes().items()
        },
        reads_need_key=settings.api_reads_need_key,
        clock=ports.clock,
    )


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
