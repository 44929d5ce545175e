"""The commands that work against a running stack: send, tail, invoke, db migrate."""

import argparse
import json
import logging
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, TextIO

import boto3

from listmgr.runtime import logbook
from listmgr.runtime.resources import LocalResources
from services.admin import operations
from shared import bootstrap
from shared.adapters.kinesis import KinesisStream
from shared.adapters.sql_archive import open_archive
from shared.clock import now_ms
from shared.events.codec import NotJson, dumps, loads
from shared.events.partition import partition_key
from shared.settings import DEFAULT_ARCHIVE_URL, Settings
from shared.stream.decoders import NotABatch, is_submission
from shared.stream.publish import Outgoing, PublishOptions, publish


class CommandError(RuntimeError):
    """A command that cannot do what was asked; the message says why."""


@dataclass(frozen=True)
class LocalSettings:
    """What the `listmgr` command takes from its environment, read once by the entrypoint."""

    archive_url: str | None = None
    """LISTMGR_ARCHIVE_URL: the archive `listmgr db migrate` migrates when no stack says."""
    environ: Mapping[str, str] = field(default_factory=dict)
    """The whole environment, for serverless.yml's `${env:NAME}` variables."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "LocalSettings":
        return cls(archive_url=env.get("LISTMGR_ARCHIVE_URL") or None, environ=dict(env))


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("botocore").setLevel(logging.WARNING)


def read_stack(state_dir: Path) -> dict[str, Any]:
    path = state_dir / "stack.json"
    try:
        stack: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as error:
        raise CommandError(f"no running stack: {path} does not exist (start one with `make run`)") from error
    return stack


def aws_client(stack: Mapping[str, Any], service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=stack["aws_endpoint_url"],
        region_name=stack["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def send(arguments: argparse.Namespace) -> int:
    stack = read_stack(arguments.state_dir)
    stream = KinesisStream(aws_client(stack, "kinesis"), stack["stream_name"])
    with _open_input(arguments.file) as lines:
        outgoing = [_outgoing(line, number) for number, line in _numbered(lines)]
    unsent = publish(stream, outgoing, PublishOptions())
    print(f"sent {len(outgoing) - len(unsent)} records to {stack['stream_name']}")
    if unsent:
        print(
            f"listmgr: {len(unsent)} records could not be sent (lines {', '.join(map(str, unsent))})",
            file=sys.stderr,
        )
        return 1
    return 0


def _numbered(lines: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, line.strip()


def _outgoing(line: str, number: int) -> Outgoing:
    """A line as a Kinesis record, keyed like the API keys it so one list's records stay in order.
    A line that is not valid JSON is sent anyway: the listener sets it aside as a fault."""
    try:
        document = loads(line)
    except NotJson:
        print(f"listmgr: line {number} is not JSON; sending it as it is", file=sys.stderr)
        document = None
    return Outgoing(ref=number, partition_key=_partition_key(document, number), data=line.encode())


def _partition_key(document: Any, number: int) -> str:
    if isinstance(document, dict):
        entity = document if is_submission(document) else document.get("update")
        if (
            isinstance(entity, dict)
            and isinstance(entity.get("title"), str)
            and isinstance(entity.get("user"), str)
        ):
            return partition_key(entity["title"], entity["user"])
        if isinstance(document.get("partitionKey"), str) and document["partitionKey"]:
            return str(document["partitionKey"])
    return f"listmgr-send-{number}"


class _open_input:  # noqa: N801 - used like open()
    def __init__(self, name: str) -> None:
        self.name = name
        self.file: TextIO | None = None

    def __enter__(self) -> TextIO:
        if self.name == "-":
            return sys.stdin
        try:
            self.file = Path(self.name).open(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot read {self.name}: {error.strerror}") from error
        return self.file

    def __exit__(self, *_: object) -> None:
        if self.file is not None:
            self.file.close()


def tail(arguments: argparse.Namespace) -> int:
    stack = read_stack(arguments.state_dir)
    iterator_type = "TRIM_HORIZON" if arguments.start == "trim-horizon" else "LATEST"
    deadline = None if arguments.timeout is None else time.monotonic() + arguments.timeout
    printed = 0
    records = stream_records(
        aws_client(stack, "kinesis"),
        stack["stream_name"],
        iterator_type,
        lambda: deadline is None or time.monotonic() < deadline,
    )
    for record in records:
        event = published_event(record["Data"], arguments.pattern)
        if event is None:
            continue
        print(dumps(event), flush=True)
        printed += 1
        if arguments.limit is not None and printed >= arguments.limit:
            return 0
    if arguments.limit is not None:
        print(f"listmgr: timed out after {printed} of {arguments.limit} events", file=sys.stderr)
        return 1
    return 0


IDLE_READ_PAUSE = 0.25
"""Seconds between reads of a stream that brought nothing."""


def stream_records(
    kinesis: Any,
    stream: str,
    iterator_type: str,
    keep_going: Callable[[], bool],
    pause: Callable[[float], object] = time.sleep,
) -> Iterator[dict[str, Any]]:
    """Every record of every shard of `stream` from `iterator_type` on (GetRecords' records),
    while `keep_going()`: `listmgr tail` and the console's event view (listmgr/cli/console_server.py)."""
    iterators = {
        shard["ShardId"]: kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType=iterator_type
        )["ShardIterator"]
        for shard in kinesis.list_shards(StreamName=stream)["Shards"]
    }
    while keep_going():
        received = False
        for shard, iterator in list(iterators.items()):
            response = kinesis.get_records(ShardIterator=iterator, Limit=1000)
            iterators[shard] = response["NextShardIterator"]
            received = received or bool(response["Records"])
            yield from response["Records"]
        if not received:
            pause(IDLE_READ_PAUSE)


def published_event(data: bytes, pattern: str = "*") -> dict[str, Any] | None:
    """The record as an event envelope if it is one whose type matches the glob `pattern`."""
    try:
        document = loads(data)
    except (NotJson, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or is_submission(document):
        return None
    event_type = document.get("type")
    if not isinstance(event_type, str) or not fnmatchcase(event_type, pattern):
        return None
    return document


def invoke(arguments: argparse.Namespace) -> int:
    stack = read_stack(arguments.state_dir)
    with _open_input(arguments.event) as source:
        try:
            event = loads(source.read())
        except NotJson as error:
            raise CommandError(f"the event is not JSON: {error}") from error
    use_stack_endpoint(stack)
    from listmgr.runtime import config as configuration  # noqa: PLC0415
    from listmgr.runtime.functions import functions_of  # noqa: PLC0415

    settings: LocalSettings = arguments.settings
    loaded = configuration.load(
        stack["config"],
        configuration.Options(stage=stack["stage"], region=stack["region"], env=settings.environ),
    )
    # The function runs with its own environment, as the stack runs it.
    functions = functions_of(loaded, stack["stage"], stack["region"], stack.get("environments") or {})
    if arguments.function not in functions:
        raise CommandError(f"no function {arguments.function!r}; there are: {', '.join(sorted(functions))}")
    # The function's log lines go to its file (`listmgr logs`), as the stack's own do.
    uninstall = logbook.install(arguments.state_dir / "logs")
    try:
        response = functions[arguments.function].invoke(event)
    except NotABatch as error:
        raise CommandError(str(error)) from error
    finally:
        uninstall()
    print(dumps(response))
    return 0


def use_stack_endpoint(stack: Mapping[str, Any]) -> None:
    """This process's AWS clients pointed at the stack's endpoint."""
    os.environ.update(
        AWS_ENDPOINT_URL=stack["aws_endpoint_url"],
        AWS_REGION=stack["region"],
        AWS_DEFAULT_REGION=stack["region"],
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
    )


def replay(arguments: argparse.Namespace) -> int:
    stack = read_stack(arguments.state_dir)
    use_stack_endpoint(stack)
    settings = Settings.from_env({**(stack.get("environment") or {}), "AWS_REGION": stack["region"]})
    ports = bootstrap.Ports(settings)
    archive, table = ports.sql_archive(), ports.store
    now = now_ms()
    if arguments.verify:
        differences = operations.verify(archive, table, now, settings.dedup)
        for difference in differences:
            print(difference.describe())
        print(
            f"{len(differences)} lists differ between the table and the archive"
            if differences
            else "the table matches the archive"
        )
        return 1 if differences else 0
    report = operations.rebuild_store(archive, table, now, settings.dedup)
    print(
        f"rebuilt {report.titles} titles and {report.user_lists} user lists from {archive.describe} "
        f"({report.items_written} items written, {report.items_removed} removed)"
    )
    for refused in report.refused:
        print(f"not applied: {refused}", file=sys.stderr)
    return 1 if report.refused else 0


def migrate(arguments: argparse.Namespace) -> int:
    settings: LocalSettings = arguments.settings
    url = settings.archive_url
    if not url:
        stack_path = arguments.state_dir / "stack.json"
        url = json.loads(stack_path.read_text()).get("archive_url") if stack_path.exists() else None
    archive = open_archive(url or DEFAULT_ARCHIVE_URL)
    try:
        applied = archive.migrate()
    finally:
        archive.close()
    print(f"archive {archive.describe}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))
    return 0


# The handler of the list manager's own HTTP API: only its banner suggests a request to /lists.
LIST_API_HANDLER = "services/api/handler.handle"
SAMPLE_SUBMISSION = '{"title":"stats","user":"bill","type":"tally","entries":{"xp":83}}'


def banner(description: Mapping[str, Any], resources: LocalResources | None, verbose: bool = False) -> str:
    """What `listmgr up` prints once the stack is ready: the service's own name and only what it
    has (another project run with --config may have no API, stream or table). It fits an 80x24
    terminal with the mappings' display below it, so the API's URL and key stay on screen: the
    resources left out are counted, and named only with `verbose` (stack.json names them too)."""
    endpoint = f"{description['aws_endpoint_url']}, region {description['region']}, HTTP/1.1 and HTTP/2"
    queue_url = description.get("failure_queue_url")
    rows = [
        ("API", description.get("api_url")),
        ("AWS endpoint", endpoint),
        ("event stream", description.get("stream_name")),
        ("table", description.get("table_name")),
        # Its name: the URL (in stack.json) would take two rows.
        ("failure queue", queue_url and queue_url.rsplit("/", 1)[-1]),
        ("archive", description.get("archive_url")),
        ("restored", description.get("restored")),
    ]
    rows += [
        ("mapping", f"{mapping['type']} -> {mapping['function']} (batch {mapping['batchSize']})")
        for mapping in description.get("mappings", [])
    ]
    if description.get("put_back"):
        rows.append(("put back", description["put_back"]))
    if resources and resources.skipped:
        rows.append(("not emulated", not_emulated(resources.skipped, verbose)))
    list_api = description.get("api_url") and description.get("api_handler") == LIST_API_HANDLER
    if list_api:
        rows.append(("console", console_url(description)))
        rows.append(("API key", description.get("api_key")))
    lines = [f"{description.get('service') or 'the stack'} is running"]
    lines += [f"  {label:<13} {value}" for label, value in rows if value]
    if list_api:
        lines.append(f"Try:  {try_command(description)}")
    lines.append("Stop: Ctrl-C        (all of it, for scripts: .listmgr/stack.json)")
    return "\n".join(lines)


def not_emulated(skipped: Mapping[str, str], verbose: bool) -> str:
    """The resources `listmgr up` leaves out (alarms, roles, secrets...): a count, or every one."""
    if verbose:
        return ", ".join(f"{key} ({kind})" for key, kind in skipped.items())
    kinds = len(set(skipped.values()))
    return f"{len(skipped)} resources of {kinds} types (--verbose or stack.json lists them)"


def console_url(description: Mapping[str, Any]) -> str:
    """The web console the API serves (services/api/console/), its local views included."""
    return f"{description['api_url']}/ui/"


def try_command(description: Mapping[str, Any]) -> str:
    """A curl command line that submits a sample list to the running API, ready to paste."""
    return shlex.join(
        [
            "curl",
            "-s",
            "-X",
            "POST",
            f"{description['api_url']}/lists",
            "-H",
            f"Authorization: Bearer {description['api_key']}",
            "-H",
            "Content-Type: application/json",
            "-d",
            SAMPLE_SUBMISSION,
        ]
    )
