"""`listmgr dlq list | show ID | redrive [ID]`: the on-failure queue of the stream functions.

Against the running local stack (the queue of `.listmgr/stack.json`), a re-drive runs the
function's handler in this process, as `listmgr invoke` does. With `--queue-url` it works on any
queue, a deployed stack's with the default AWS credentials (`--endpoint-url` for another
endpoint), and re-drives through Lambda Invoke of the function the record names. What a message
holds and when it is deleted: services/admin/redrive.py.
"""

import argparse
import base64
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

from listmgr.cli import commands
from listmgr.runtime import logbook
from listmgr.runtime.functions import LocalFunction
from services.admin import redrive
from services.admin.failed_batches import FailedBatch, fetch
from shared import logs
from shared.stream.decoders import plain_image


@dataclass(frozen=True)
class Target:
    queue: redrive.FailureQueue
    clients: Mapping[str, Any]
    region: str
    invoke: redrive.Invoke


def add_parser(sub: Any) -> None:
    """The `dlq` command and its actions, for listmgr/cli/main.py."""
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--queue-url",
        default=None,
        help="work on this queue with the default AWS credentials, re-driving through Lambda "
        "Invoke (default: the running local stack's failure queue, re-driven in-process)",
    )
    where.add_argument(
        "--endpoint-url",
        default=None,
        help="the AWS endpoint for --queue-url (default: AWS's own, or AWS_ENDPOINT_URL)",
    )
    where.add_argument(
        "--region", default=None, help="the region for --queue-url (default: the AWS configuration's)"
    )
    dlq = sub.add_parser("dlq", help="the on-failure queue: list, show and re-drive failed batches")
    actions = dlq.add_subparsers(required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[where], help="one line per failed batch on the queue")
    listing.set_defaults(run=list_command)
    show = actions.add_parser(
        "show", parents=[where], help="a failed batch's record and the stream records it points at"
    )
    show.add_argument("id", help="the message id (or its first characters), as `dlq list` prints it")
    show.set_defaults(run=show_command)
    again = actions.add_parser(
        "redrive", parents=[where], help="run the records of failed batches through their function again"
    )
    again.add_argument("id", nargs="?", default=None, help="only this message (default: every message)")
    again.set_defaults(run=redrive_command)


def target(arguments: argparse.Namespace) -> Target:
    if arguments.queue_url:
        session = boto3.session.Session(region_name=arguments.region)
        region = session.region_name or "us-east-1"
        clients = {
            name: session.client(name, endpoint_url=arguments.endpoint_url, region_name=region)
            for name in ("sqs", "kinesis", "dynamodbstreams", "lambda")
        }
        queue = redrive.FailureQueue(clients["sqs"], arguments.queue_url)
        return Target(queue, clients, region, redrive.lambda_invoke(clients["lambda"]))
    stack = commands.read_stack(arguments.state_dir)
    return local_target(stack, in_process(stack, arguments))


def local_target(stack: Mapping[str, Any], invoke: redrive.Invoke) -> Target:
    """The failure queue of the running local stack that `stack` (its stack.json) describes;
    `listmgr up` itself uses it for the console's queue view (listmgr/cli/console_server.py)."""
    if not stack.get("failure_queue_url"):
        raise commands.CommandError(
            "the running stack has no on-failure queue (see onFailure in serverless.yml)"
        )
    clients = {name: commands.aws_client(stack, name) for name in ("sqs", "kinesis", "dynamodbstreams")}
    queue = redrive.FailureQueue(clients["sqs"], stack["failure_queue_url"])
    return Target(queue, clients, stack["region"], invoke)


def in_process(stack: Mapping[str, Any], arguments: argparse.Namespace) -> redrive.Invoke:
    """Runs the function the record names in this process, loaded as `listmgr invoke` loads
    it, its log lines going to its file as the stack's own do."""
    loaded: dict[str, LocalFunction] = {}

    def functions() -> Mapping[str, LocalFunction]:
        if not loaded:
            loaded.update(_functions(stack, arguments.settings.environ))
        return loaded

    return invoking(functions, lambda: logbook.install(arguments.state_dir / "logs"))


def invoking(
    functions: Callable[[], Mapping[str, LocalFunction]],
    log_to_files: Callable[[], Callable[[], None]] = lambda: lambda: None,
) -> redrive.Invoke:
    """Runs the function a failed batch names (by its deployed name) among `functions`, in this
    process; `log_to_files` routes the function's log lines for the invocation and returns the
    undo (the running stack's own are routed already)."""

    def invoke(batch: FailedBatch, event: dict[str, Any]) -> redrive.Invoked:
        by_name = {function.name: function for function in functions().values()}
        function = by_name.get(batch.function_name)
        if function is None:
            return redrive.Invoked(f"no function {batch.function_name!r} in the running stack")
        undo = log_to_files()
        try:
            # Through JSON, as Lambda delivers it: the same types the mapping's invocations see.
            return redrive.Invoked(None, function.invoke(json.loads(json.dumps(event))))
        except Exception as error:
            return redrive.Invoked(f"Unhandled: {type(error).__name__}: {error}")
        finally:
            undo()

    return invoke


def _functions(stack: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, LocalFunction]:
    """The stack's functions, each to run with its own environment, as `listmgr invoke` runs them."""
    from listmgr.runtime import config as configuration  # noqa: PLC0415 - only a re-drive needs them
    from listmgr.runtime.functions import functions_of  # noqa: PLC0415

    commands.use_stack_endpoint(stack)
    loaded = configuration.load(
        stack["config"], configuration.Options(stage=stack["stage"], region=stack["region"], env=environ)
    )
    return dict(functions_of(loaded, stack["stage"], stack["region"], stack.get("environments") or {}))


def list_command(arguments: argparse.Namespace) -> int:
    where = target(arguments)
    batches = sorted(where.queue.peek(), key=lambda batch: batch.timestamp)
    _unreadable(where.queue)
    for batch in batches:
        print(line(batch))
    _in_flight(where.queue, listed=bool(batches))
    return 0


def line(batch: FailedBatch) -> str:
    invokes = f", {batch.invoke_count} invocations" if batch.invoke_count is not None else ""
    return (
        f"{batch.message_id}  {batch.timestamp}  {batch.function_name}  {batch.source} {batch.shard_id} "
        f"{batch.start}..{batch.end}  {batch.size} records  {batch.condition}{invokes}"
    )


def show_command(arguments: argparse.Namespace) -> int:
    where = target(arguments)
    try:
        batch = redrive.select(where.queue.peek(), arguments.id)
    except LookupError as error:
        raise commands.CommandError(str(error)) from error
    fetched = fetch(batch, where.clients, where.region)
    print(line(batch))
    print(json.dumps(batch.document, indent=2))
    print(f"records ({len(fetched.records)} of {batch.size} on the stream):")
    for record in fetched.records:
        print(logs.dumps(readable(record)))
    if fetched.missing:
        print(f"note: {fetched.missing}")
    return 0


def readable(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record of a Lambda event as a person reads it: a Kinesis record's data decoded (as JSON
    when it is), a DynamoDB Streams record's images as plain values."""
    if "kinesis" in record:
        kinesis = record["kinesis"]
        raw = base64.b64decode(kinesis["data"])
        try:
            data: Any = json.loads(raw)
        except ValueError:
            data = raw.decode("utf-8", "replace")
        return {
            "sequenceNumber": kinesis["sequenceNumber"],
            "arrival": _iso(kinesis["approximateArrivalTimestamp"]),
            "partitionKey": kinesis["partitionKey"],
            "data": data,
        }
    change = record["dynamodb"]
    return {
        "sequenceNumber": change["SequenceNumber"],
        "arrival": _iso(change["ApproximateCreationDateTime"]),
        "eventName": record["eventName"],
        "keys": plain_image(change.get("Keys")),
        "new": plain_image(change.get("NewImage")),
        "old": plain_image(change.get("OldImage")),
    }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(float(epoch), UTC).isoformat(timespec="milliseconds")


def redrive_command(arguments: argparse.Namespace) -> int:
    where = target(arguments)
    try:
        results = redrive.redrive_queue(where.queue, where.clients, where.region, where.invoke, arguments.id)
    except LookupError as error:
        raise commands.CommandError(str(error)) from error
    _unreadable(where.queue)
    for result in results:
        print(f"{result.message_id}: {result.detail}")
    in_flight = _in_flight(where.queue, listed=bool(results))
    # Messages in flight stay on the queue, not re-driven: as for a message kept, exit 1.
    return 0 if all(result.deleted for result in results) and not in_flight else 1


def _in_flight(queue: redrive.FailureQueue, listed: bool) -> int:
    """Says how many messages other readers hold and when they come back, or that the queue is
    empty when it is; returns how many they hold."""
    held = queue.in_flight()
    if held.count:
        print(("and " if listed else "no message is visible on the failure queue; ") + held.describe())
    elif not listed:
        print("the failure queue is empty")
    return held.count


def _unreadable(queue: redrive.FailureQueue) -> None:
    for reason in queue.unreadable:
        print(f"listmgr: left on the queue: {reason}", file=sys.stderr)
