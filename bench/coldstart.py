"""Cold start of each handler against a boto3 baseline, in fresh processes.

A fresh process imports the handler and runs its first one-record invocation against a local moto;
it reports the milliseconds from its first line to the end of that invocation (the interpreter's
own start-up, the same on both sides, is left out). The baseline process imports boto3 only,
makes the same clients and replays the very requests the handler made (captured from a run of the
handler in the parent), so the difference is what our code costs on top of the SDK.

    python -m bench.coldstart listener|trigger|api [SPEC]      # the handler
    python -m bench.coldstart boto3 SPEC                       # the baseline
"""

import time

STARTED = time.perf_counter()

import contextlib
import json
import os
import sys
import uuid
from typing import Any


def listener_event() -> dict[str, Any]:
    import base64

    document = {"title": "cold start", "user": uuid.uuid4().hex, "type": "tally", "entries": {"xp": 1}}
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "cold",
                    "sequenceNumber": str(uuid.uuid4().int % 10**20),
                    "data": base64.b64encode(json.dumps(document).encode()).decode(),
                    "approximateArrivalTimestamp": time.time(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{uuid.uuid4().int % 10**20}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/listener",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/events",
            }
        ]
    }


def trigger_event() -> dict[str, Any]:
    # The trigger imports all of these itself: building the item costs its cold start nothing more.
    from decimal import Decimal

    from shared.adapters.dynamodb import attributes, layout
    from shared.clock import now_ms
    from shared.lists.coalesce import Slot
    from shared.lists.user_list import UserList

    user = uuid.uuid4().hex
    user_list = UserList("cold start", user, "tally", {"xp": Decimal(1)}, now_ms())
    item = attributes.to_attributes(layout.user_list_item("cold start", user, Slot(user_list), 1, 0))
    return {
        "Records": [
            {
                "eventID": uuid.uuid4().hex,
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": time.time(),
                    "Keys": attributes.to_attributes(layout.as_key(layout.user_list_key("cold start", user))),
                    "NewImage": item,
                    "SequenceNumber": str(uuid.uuid4().int % 10**20),
                    "SizeBytes": 200,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/lists/stream/1",
            }
        ]
    }


def api_event() -> dict[str, Any]:
    body = {"title": "cold start", "user": uuid.uuid4().hex, "type": "tally", "entries": {"xp": 1}}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/lists",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "authorization": f"Bearer {os.environ['BENCH_API_KEY']}",
            "host": "localhost",
        },
        "requestContext": {"http": {"method": "POST", "path": "/lists", "sourceIp": "127.0.0.1"}},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


EVENTS = {"listener": listener_event, "trigger": trigger_event, "api": api_event}


def run_handler(function: str, capture: str | None) -> None:
    import importlib

    module = importlib.import_module(f"services.{function}.handler")
    calls: list[tuple[str, str, dict[str, Any]]] = []
    if capture:
        import botocore.session

        # Every client the handler makes registers on the default session's event system.
        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            calls.append((model.service_model.service_name, model.name, dict(params)))

        original = botocore.session.Session.create_client

        def create_client(self: Any, *arguments: Any, **keywords: Any) -> Any:
            client = original(self, *arguments, **keywords)
            client.meta.events.register("provide-client-params", record)
            return client

        botocore.session.Session.create_client = create_client
    response = module.handle(EVENTS[function](), None)
    elapsed = (time.perf_counter() - STARTED) * 1000
    if capture:
        import pickle

        with open(capture, "wb") as out:
            pickle.dump(calls, out)
    print(json.dumps({"ms": elapsed, "response": str(response)[:200]}))


def run_boto3(spec: str) -> None:
    import pickle

    import boto3
    from botocore.exceptions import ClientError

    with open(spec, "rb") as source:
        calls = pickle.load(source)
    clients = {service: boto3.client(service) for service in dict.fromkeys(call[0] for call in calls)}
    for service, operation, params in calls:
        method = clients[service].meta.method_to_api_mapping
        name = next(python for python, api in method.items() if api == operation)
        # A replayed conditional write may be refused: the round trip is what counts.
        with contextlib.suppress(ClientError):
            getattr(clients[service], name)(**params)
    elapsed = (time.perf_counter() - STARTED) * 1000
    print(json.dumps({"ms": elapsed, "calls": len(calls)}))


if __name__ == "__main__":
    if sys.argv[1] == "boto3":
        run_boto3(sys.argv[2])
    else:
        run_handler(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
