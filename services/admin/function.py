"""The admin function: `{"action": "migrate" | "stats" | "verify" | "rebuild" | "purge" |
"failures" | "redrive"}`.

`purge` also needs `"confirm": "purge"`. `failures` lists the on-failure queue; `redrive` (with
an optional `"id"`, a message id or its first characters) re-drives its batches to their functions
through Lambda Invoke (services/admin/redrive.py). Every action answers `{"action", "ok", ...}`.
"""

from collections.abc import Mapping
from typing import Any

from services.admin import operations, redrive
from services.admin.failed_batches import describe
from shared import logs
from shared.adapters.aws import client
from shared.bootstrap import Handler, Ports
from shared.settings import Settings


def handler(ports: Ports) -> Handler:
    def handle(event: Any, context: Any) -> dict[str, Any]:
        with logs.invocation("admin", context):
            return act(event, ports)

    return handle


def act(event: Any, ports: Ports) -> dict[str, Any]:
    if not isinstance(event, Mapping):
        return {"action": None, "ok": False, "error": 'the admin function takes an object: {"action": ...}'}
    settings, archive, table = ports.settings, ports.archive, ports.store
    action = event.get("action")
    now = ports.clock()
    if action == "migrate":
        return {"action": action, "ok": True, "applied": ports.migrate()}
    if action == "stats":
        return {"action": action, "ok": True, **operations.stats(archive, table)}
    if action == "verify":
        differences = operations.verify(archive, table, now, settings.dedup)
        described = [difference.describe() for difference in differences]
        return {"action": action, "ok": not differences, "differences": described}
    if action == "rebuild":
        report = operations.rebuild_store(archive, table, now, settings.dedup)
        return {"action": action, "ok": not report.refused, **vars(report)}
    if action == "purge":
        if event.get("confirm") != "purge":
            return {
                "action": action,
                "ok": False,
                "error": 'purge removes everything: send "confirm": "purge"',
            }
        return {"action": action, "ok": True, **operations.purge(archive, table)}
    if action in ("failures", "redrive"):
        return failure_queue_action(event, failure_target(settings))
    return {
        "action": action,
        "ok": False,
        "error": "unknown action; use migrate, stats, verify, rebuild, purge, failures or redrive",
    }


def failure_target(settings: Settings) -> tuple[redrive.FailureQueue, dict[str, Any], str, redrive.Invoke]:
    """The on-failure queue, the clients that read its records back, and Lambda Invoke."""
    region = settings.region
    sqs = client("sqs", region)
    url = sqs.get_queue_url(QueueName=settings.failure_queue_name)["QueueUrl"]
    clients = {name: client(name, region) for name in ("kinesis", "dynamodbstreams")}
    return redrive.FailureQueue(sqs, url), clients, region, redrive.lambda_invoke(client("lambda", region))


def failure_queue_action(
    event: Mapping[str, Any], target: tuple[redrive.FailureQueue, dict[str, Any], str, redrive.Invoke]
) -> dict[str, Any]:
    queue, clients, region, invoke = target
    action = event["action"]
    if action == "failures":
        batches = sorted(queue.peek(), key=lambda batch: batch.timestamp)
        listed = [describe(batch) for batch in batches]
        return {
            "action": action,
            "ok": True,
            "failures": listed,
            "unreadable": queue.unreadable,
            "inFlight": in_flight(queue),
        }
    try:
        results = redrive.redrive_queue(queue, clients, region, invoke, event.get("id"))
    except LookupError as error:
        return {"action": action, "ok": False, "error": str(error)}
    for result in results:
        write = logs.log if result.deleted else logs.warn
        write("redrive", messageId=result.message_id, detail=result.detail)
    return {
        "action": action,
        "ok": all(result.deleted for result in results),
        "redriven": [vars(result) for result in results],
        "unreadable": queue.unreadable,
        "inFlight": in_flight(queue),
    }


def in_flight(queue: redrive.FailureQueue) -> dict[str, Any]:
    """The messages other readers hold, which neither action sees until they come back."""
    held = queue.in_flight()
    return {"count": held.count, "visibilityTimeout": held.visibility_timeout} | (
        {"note": held.describe()} if held.count else {}
    )
