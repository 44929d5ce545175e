"""`listmgr up`: the whole stack on one machine.

1. a local AWS endpoint: moto in server mode, in this process;
2. the resources of serverless.yml's `resources` section, through moto's CloudFormation;
3. the functions' environment, resolved against those resources;
4. an event source mapping for every `- stream:` event, invoking handlers in this process;
5. the WSGI app of any function with HTTP events, on a real WSGI server, behind a gate that
   refuses writes while the stack drains;
6. `.listmgr/stack.json` describing all of it, removed again on the way out.

One stack per state folder (listmgr.runtime.folder_lock). On the way out, what the in-process endpoint
would forget (its tables' items, unfinished records, failure-queue messages) is saved, and put
back at the next start (listmgr.runtime.table_snapshot, listmgr.runtime.leftovers); while it runs, its tables'
items expire as DynamoDB's do (listmgr.runtime.expiry).
"""

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import EndpointConnectionError

from listmgr.cli import console_server
from listmgr.cli.progress import FunctionTotals
from listmgr.endpoint import moto_server, moto_tables
from listmgr.runtime import config as configuration
from listmgr.runtime import drain, expiry, leftovers, logbook, table_snapshot
from listmgr.runtime.folder_lock import FolderLock, FolderTaken
from listmgr.runtime.functions import LocalFunction, functions_of
from listmgr.runtime.mappings.mapping import EventSourceMapping
from listmgr.runtime.mappings.sources import InvalidSource, StreamSource, sources_of
from listmgr.runtime.resources import LocalResources, deploy
from services.admin import operations
from services.api.auth import hash_key, new_key
from shared import bootstrap
from shared.adapters.dynamodb import DynamoListStore
from shared.adapters.sql_archive import Archive
from shared.clock import now_ms
from shared.settings import Settings

log = logging.getLogger("listmgr")
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
HTTP_EVENTS = ("httpApi", "http")
DRAIN_WRITES_TIMEOUT = 30.0
"""Seconds a drain waits for the API's writes under way to finish."""


class StackError(RuntimeError):
    """The stack could not start; the message says why and what to do."""


@dataclass(frozen=True)
class StackOptions:
    config: Path = Path("serverless.yml")
    state_dir: Path = Path(".listmgr")
    host: str = "127.0.0.1"
    aws_port: int = 4566
    api_port: int = 8000
    stage: str = "dev"
    region: str = "us-east-1"
    endpoint_url: str | None = None
    """An AWS endpoint already running (an external moto server, LocalStack): used instead of
    starting moto, its resources created only if the stack is not there yet."""
    env: Mapping[str, str] = field(default_factory=dict)
    """The environment serverless.yml's `${env:NAME}` variables read (the command's)."""
    ttl_sweep_every: float = expiry.SWEEP_EVERY
    """Seconds between the deletions of expired items (listmgr.runtime.expiry)."""


@dataclass
class Stack:
    options: StackOptions
    config: configuration.ServerlessConfig | None = None
    resources: LocalResources | None = None
    functions: dict[str, LocalFunction] = field(default_factory=dict)
    mappings: list[EventSourceMapping] = field(default_factory=list)
    description: dict[str, Any] = field(default_factory=dict)
    api_key: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    """Every function's environment merged, resolved: what the stack itself reads its settings
    (table, stream, archive) from."""
    environments: dict[str, dict[str, str]] = field(default_factory=dict)
    """Each function's own environment, resolved; its handler runs with it."""
    settings: Settings = field(default_factory=Settings)
    """The stack's settings, read once from `environment`."""
    gate: drain.WriteGate | None = None
    saved: leftovers.Saved | None = None
    """What the last stop saved for the next start."""
    tables_saved: int | None = None
    """How many table items the last stop saved for the next start (None: it saved none)."""
    progress: Callable[[str], None] = field(default=lambda _line: None)
    """Told each phase of `start` as it begins (`listmgr up` prints them: the first start is slow)."""
    totals: FunctionTotals = field(default_factory=FunctionTotals)
    """Each function's metric counts, as it writes them: the faults `listmgr up` shows."""
    _stoppers: list[Callable[[], None]] = field(default_factory=list)
    _lock: FolderLock | None = None
    _described: bool = False

    @property
    def endpoint_url(self) -> str:
        return self.options.endpoint_url or f"http://{self.options.host}:{self.options.aws_port}"

    def start(self) -> None:
        options = self.options
        lock = FolderLock(options.state_dir)
        try:
            lock.acquire()
        except FolderTaken as error:
            raise StackError(str(error)) from error
        self._lock = lock
        try:
            self.config = configuration.load(
                options.config,
                configuration.Options(stage=options.stage, region=options.region, env=options.env),
            )
        except configuration.ConfigError as error:
            raise StackError(str(error)) from error
        for port, what in _ports_used(self.config, options):
            _require_free(options.host, port, what)
        self._stoppers.append(logbook.install(options.state_dir / "logs", self.totals.add))
        os.environ.update(LOCAL_CREDENTIALS)
        os.environ.update(
            AWS_ENDPOINT_URL=self.endpoint_url, AWS_DEFAULT_REGION=options.region, AWS_REGION=options.region
        )
        os.environ.setdefault("AWS_XRAY_CONTEXT_MISSING", "IGNORE_ERROR")
        if not options.endpoint_url:
            self.progress(f"starting the AWS endpoint on {self.endpoint_url}")
            self._start_moto()
        self.progress(f"creating the resources of {options.config}")
        try:
            self.resources = deploy(self.config, self.client, f"{self.config.service}-{options.stage}")
        except EndpointConnectionError as error:
            raise StackError(f"the AWS endpoint {self.endpoint_url} does not answer ({error})") from error
        self._export_environment()
        self._migrate_archive()
        self._keep_tables()
        self.functions = functions_of(self.config, options.stage, options.region, self.environments)
        if not options.endpoint_url:
            self._put_back_leftovers()
        self.progress("starting the event source mappings")
        self._start_mappings()
        self._start_http()
        self._write_description()
        self.progress("ready")

    def refuse_writes(self) -> bool:
        """Closes the API to writes; False if some under way did not end within the timeout."""
        return self.gate is None or self.gate.close(timeout=DRAIN_WRITES_TIMEOUT)

    def drain(self, forced: threading.Event) -> bool:
        """Runs the mappings until nothing moves any more (True) or until `forced` (False)."""
        return drain.drain(self.mappings, forced)

    def stop(self) -> None:
        for stop in reversed(self._stoppers):
            try:
                stop()
            except Exception:
                logging.getLogger("listmgr").exception("while stopping")
        self._stoppers.clear()
        if self._described:
            (self.options.state_dir / "stack.json").unlink(missing_ok=True)
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def client(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=self.endpoint_url, region_name=self.options.region, **_credentials()
        )

    def _start_moto(self) -> None:
        server = moto_server.start(self.options.host, self.options.aws_port)
        self._stoppers.append(server.stop)
        # Stoppers run last first: this one after the mappings stopped, before the endpoint.
        self._stoppers.append(self._save_leftovers)

    def _clients(self) -> dict[str, Any]:
        return {name: self.client(name) for name in ("kinesis", "dynamodbstreams", "sqs", "sns")}

    def _put_back_leftovers(self) -> None:
        try:
            restored = leftovers.restore(self.options.state_dir, self._clients())
        except leftovers.RestoreFailed as error:
            raise StackError(str(error)) from error
        if restored.records or restored.messages:
            self.description["put_back"] = (
                f"{restored.records} unfinished records and {restored.messages} failure-queue messages "
                "saved by the last stop"
            )

    def _save_leftovers(self) -> None:
        self.saved = leftovers.save(self.options.state_dir, self.mappings, self._clients())

    def _export_environment(self) -> None:
        assert self.config is not None and self.resources is not None
        self.environment = self._resolved(self.config.environment())
        self.api_key = self._dev_api_key()
        keys = json.dumps([{"name": "dev", "sha256": hash_key(self.api_key), "admin": True}])
        for key, spec in self.config.functions.items():
            environment = self._resolved(self.config.environment(key))
            if _has_http_events(spec):
                # Locally the API's keys come from the environment, not from a secret.
                environment["LISTMGR_API_KEYS"] = keys
            self.environments[key] = environment
        self.settings = Settings.from_env({**self.environment, "AWS_REGION": self.options.region})

    def _resolved(self, environment: Mapping[str, Any]) -> dict[str, str]:
        assert self.resources is not None
        resolved = self.resources.resolve(dict(environment))
        return {name: str(value) for name, value in resolved.items() if value is not None}

    def _migrate_archive(self) -> None:
        if "LISTMGR_ARCHIVE_URL" in self.environment:
            ports = bootstrap.Ports(self.settings)
            try:
                ports.migrate()
            finally:
                ports.close()

    def _keep_tables(self) -> None:
        """moto keeps nothing across restarts: the stack's tables are put back as the last stop
        saved them, every outcome and fingerprint with them (listmgr.runtime.table_snapshot), and saved
        again at the next stop; their items expire meanwhile (listmgr.runtime.expiry)."""
        assert self.resources is not None
        if self.options.endpoint_url:
            return  # an endpoint of its own keeps its tables, and expires their items or not
        dynamodb = self.client("dynamodb")
        tables = [
            moto_tables.LocalTable(dynamodb.describe_table(TableName=name)["Table"]["TableArn"])
            for name in self.resources.tables()
        ]
        archive = bootstrap.archive(self.settings) if "LISTMGR_TABLE" in self.environment else None
        try:
            kept = table_snapshot.KeptTables(
                self.options.state_dir, tables, None if archive is None else archive.describe
            )
            try:
                restored = kept.restore(time.time())
            except table_snapshot.RestoreFailed as error:
                raise StackError(str(error)) from error
            if restored is not None:
                expired = f" ({restored.expired} expired since)" if restored.expired else ""
                self.description["restored"] = f"{restored.items} items saved by the last stop{expired}"
            if archive is not None:
                self._check_lists(archive, restored, tables)
        finally:
            if archive is not None:
                archive.close()
        # Registered only now the tables are back: a start that failed before this point leaves
        # the saved file as it was for the next one. The sweeper stops first (stoppers run last
        # first), then the tables are saved, before the endpoint stops.
        self._stoppers.append(lambda: self._save_tables(kept))
        sweeper = expiry.Sweeper(tables, self.options.ttl_sweep_every)
        sweeper.start()
        self._stoppers.append(sweeper.stop)

    def _check_lists(
        self, archive: Archive, restored: table_snapshot.Restored | None, tables: list[moto_tables.LocalTable]
    ) -> None:
        """The archive is the lists' source of truth: where the tables put back differ from it
        (a stop forced before the drain ended, a crash after the stop that saved them), the
        lists are rebuilt from it, and wholly when nothing was put back."""
        settings = self.settings
        client = moto_tables.OnePassScans(bootstrap.list_store(settings).client, tables)
        store = DynamoListStore(client, settings.table_name, settings.dedup)
        now = now_ms()
        if restored is not None:
            differences = operations.verify(archive, store, now, settings.dedup)
            if not differences:
                self.description["restored"] += ", checked against the archive"
                return
            log.warning(
                "the table saved by the last stop differs from the archive in %s lists (a stop forced "
                "before the drain ended, or a crash after that stop): rebuilding them from the archive",
                len(differences),
            )
            operations.rebuild_store(archive, store, now, settings.dedup)
            self.description["restored"] += f"; {len(differences)} lists rebuilt from the archive"
        elif archive.count():
            log.warning(
                "no table saved by a clean stop: the lists are rebuilt from the archive, which keeps "
                "applied changes only, so the outcomes of superseded and rejected changes are forgotten"
            )
            report = operations.rebuild_store(archive, store, now, settings.dedup)
            self.description["restored"] = (
                f"{report.titles} titles and {report.user_lists} user lists from the archive"
            )

    def _save_tables(self, kept: table_snapshot.KeptTables) -> None:
        self.tables_saved = kept.save(now_ms())

    def _dev_api_key(self) -> str:
        """The local admin key: made once, kept in the state folder so it survives restarts."""
        path = self.options.state_dir / "api-key"
        if path.exists():
            return path.read_text().strip()
        self.options.state_dir.mkdir(parents=True, exist_ok=True)
        key = new_key()
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key

    def _start_mappings(self) -> None:
        assert self.config is not None and self.resources is not None
        clients = self._clients()
        for key, spec in self.config.functions.items():
            try:
                sources = sources_of(key, spec.get("events") or [], self.resources.resolve)
            except InvalidSource as error:
                raise StackError(f"{self.options.config}: {error}") from error
            for source in sources:
                mapping = EventSourceMapping(
                    source,
                    self.functions[key],
                    clients,
                    self.options.region,
                    checkpoints=self.options.state_dir / "checkpoints",
                )
                mapping.start()
                self.mappings.append(mapping)
                self._stoppers.append(mapping.stop)

    def _start_http(self) -> None:
        assert self.config is not None
        for key, spec in self.config.functions.items():
            if _has_http_events(spec):
                app = _wsgi_app(self.functions[key])
                if app is not None:
                    self.progress(
                        f"starting the API ({key}) on http://{self.options.host}:{self.options.api_port}"
                    )
                    self._serve(self._beside_console(self.functions[key].serve(app)))
                    self.description["api_handler"] = self.functions[key].handler_path
                    return

    def _beside_console(self, api: Any) -> Any:
        """The API with the console's local endpoints beside it (listmgr/cli/console_server.py)."""
        events = console_server.EventLog(console_server.stream_of(self))
        self._stoppers.append(events.stop)
        return console_server.beside(api, console_server.local_app(self, events))

    def _serve(self, app: Any) -> None:
        from waitress import create_server  # noqa: PLC0415

        self.gate = drain.WriteGate(app)
        server = create_server(
            self.gate, host=self.options.host, port=self.options.api_port, threads=8, ident="listmgr"
        )
        thread = threading.Thread(target=server.run, daemon=True, name="api")
        thread.start()
        self.description["api_url"] = f"http://{self.options.host}:{self.options.api_port}"
        self._stoppers.append(server.close)

    def _write_description(self) -> None:
        assert self.resources is not None
        physical = {
            resource["LogicalResourceId"]: resource["PhysicalResourceId"]
            for resource in self.client("cloudformation").describe_stack_resources(
                StackName=self.resources.stack_name
            )["StackResources"]
        }
        streams = [
            physical[key] for key, kind in self.resources.created.items() if kind == "AWS::Kinesis::Stream"
        ]
        tables = [
            physical[key] for key, kind in self.resources.created.items() if kind == "AWS::DynamoDB::Table"
        ]
        queues = [m.source.on_failure for m in self.mappings if m.source.on_failure]
        failure_queue = next((arn for arn in queues if arn.startswith("arn:aws:sqs:")), None)
        queue_url = None
        if failure_queue:
            queue_url = self.client("sqs").get_queue_url(QueueName=failure_queue.rsplit(":", 1)[-1])[
                "QueueUrl"
            ]
        self.description.update(
            service=self.config.service if self.config else None,
            aws_endpoint_url=self.endpoint_url,
            region=self.options.region,
            stage=self.options.stage,
            stream_name=self.environment.get("LISTMGR_STREAM") or (streams[0] if streams else None),
            table_name=self.environment.get("LISTMGR_TABLE") or (tables[0] if tables else None),
            failure_queue_url=queue_url,
            api_key=self.api_key,
            archive_url=self.environment.get("LISTMGR_ARCHIVE_URL"),
            config=str(self.options.config.resolve()),
            resources={key: physical.get(key) for key in self.resources.created},
            functions={key: function.name for key, function in self.functions.items()},
            environment=self.environment,
            environments=self.environments,
            mappings=[_describe_mapping(m.source, m.function) for m in self.mappings],
            not_emulated=self.resources.skipped,
            pid=os.getpid(),
        )
        self.description.setdefault("api_url", None)
        self.options.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.options.state_dir / "stack.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.description, indent=2) + "\n")
        temporary.replace(path)
        self._described = True


def _describe_mapping(source: StreamSource, function: LocalFunction) -> dict[str, Any]:
    return {
        "function": function.key,
        "type": source.kind,
        "source": source.arn,
        "enabled": source.enabled,
        "batchSize": source.batch_size,
        "batchWindow": source.batch_window,
        "startingPosition": source.starting_position,
        "maximumRetryAttempts": source.maximum_retry_attempts,
        "maximumRecordAgeInSeconds": source.maximum_record_age,
        "bisectBatchOnFunctionError": source.bisect,
        "reportBatchItemFailures": source.report_batch_item_failures,
        "parallelizationFactor": source.parallelization_factor,
        "tumblingWindowInSeconds": source.tumbling_window,
        "filterPatterns": list(source.filter_patterns),
        "onFailure": source.on_failure,
    }


def _ports_used(config: configuration.ServerlessConfig, options: StackOptions) -> list[tuple[int, str]]:
    """The ports this project's stack listens on: the API's only if a function has HTTP events
    (a subscriber run beside the list manager has none, and its API port is the other's), the
    AWS endpoint's only if it starts one."""
    ports = []
    if any(_has_http_events(spec) for spec in config.functions.values()):
        ports.append((options.api_port, "the API"))
    if not options.endpoint_url:
        ports.append((options.aws_port, "the AWS endpoint"))
    return ports


def _has_http_events(spec: Mapping[str, Any]) -> bool:
    events = spec.get("events") or []
    return any(isinstance(event, dict) and set(event) & set(HTTP_EVENTS) for event in events)


def _wsgi_app(function: LocalFunction) -> Any:
    module_path = function.handler_path.rpartition(".")[0].replace("/", ".")
    function.handler()  # imports the module the way Lambda would
    import importlib  # noqa: PLC0415

    return getattr(importlib.import_module(module_path), "app", None)


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def _require_free(host: str, port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise StackError(
                f"port {host}:{port} for {what} is taken ({error.strerror}); "
                "stop whatever uses it, or pick another port (listmgr up --help)"
            ) from error
