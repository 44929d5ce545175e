"""The functions of a serverless.yml, run in this process the way Lambda runs them.

A handler `path/to/module.function` is imported relative to the serverless.yml's folder, and
called with the event and a context object carrying what Lambda's does (function name, ARN,
request id, remaining time). Invocations of one function may run at once, as Lambda runs them
in containers of their own (several shards, a parallelization factor above 1); here they share the
process, so handlers must be thread-safe. `reservedConcurrency` bounds how many run at once.
"""

import importlib
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from listmgr.runtime import logbook
from listmgr.runtime.config import LOCAL_ACCOUNT
from listmgr.runtime.environment import function_environment


@dataclass
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class LocalFunction:
    name: str
    """The deployed name: service-stage-function."""
    key: str
    """The function's key under `functions:` in serverless.yml."""
    handler_path: str
    root: Path
    region: str
    memory: int = 1024
    timeout: int = 6
    concurrency: int | None = None
    """reservedConcurrency: at most this many invocations at once; None: no limit."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """The function's own variables (provider's and its own, resolved), shown over the process's
    environment while it is imported and while it runs (listmgr.runtime.environment)."""
    _handler: Callable[[Any, Any], Any] | None = None
    _slots: threading.Semaphore | None = None

    def __post_init__(self) -> None:
        if self.concurrency is not None:
            self._slots = threading.BoundedSemaphore(self.concurrency)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{LOCAL_ACCOUNT}:function:{self.name}"

    def handler(self) -> Callable[[Any, Any], Any]:
        if self._handler is None:
            module_path, _, attribute = self.handler_path.rpartition(".")
            root = str(self.root)
            if root not in sys.path:
                sys.path.insert(0, root)
            with function_environment(self.environment):
                module = importlib.import_module(module_path.replace("/", "."))
            self._handler = getattr(module, attribute)
        return self._handler

    def invoke(self, event: Any) -> Any:
        """The handler's response; its exception, if it raises, as Lambda reports a function error."""
        handler = self.handler()
        context = LambdaContext(self.name, self.arn, self.memory, self.timeout)
        with logbook.routed(self.key), function_environment(self.environment):
            if self._slots is None:
                return handler(event, context)
            with self._slots:
                return handler(event, context)

    def serve(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        """A WSGI app of this function, run in its environment like its invocations."""

        def in_environment(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            with logbook.routed(self.key), function_environment(self.environment):
                return whole_response(app, environ, start_response)

        return in_environment


def whole_response(
    app: Callable[..., Iterable[bytes]], environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    """The app's response made to the end now (and closed, as a WSGI server would)."""
    response = app(environ, start_response)
    try:
        return list(response)
    finally:
        if hasattr(response, "close"):
            response.close()


def functions_of(
    config: Any, stage: str, region: str, environments: Mapping[str, Mapping[str, str]] | None = None
) -> dict[str, LocalFunction]:
    """The functions of a serverless.yml; `environments`: each one's resolved variables."""
    provider = config.data.get("provider") or {}
    return {
        key: LocalFunction(
            name=str(spec.get("name") or f"{config.service}-{stage}-{key}"),
            key=key,
            handler_path=str(spec["handler"]),
            root=config.root,
            region=region,
            memory=int(spec.get("memorySize") or provider.get("memorySize") or 1024),
            timeout=int(spec.get("timeout") or provider.get("timeout") or 6),
            concurrency=spec.get("reservedConcurrency"),
            environment=dict((environments or {}).get(key) or {}),
        )
        for key, spec in config.functions.items()
        if "handler" in spec
    }
