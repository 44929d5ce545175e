"""The trigger's publishing: Kinesis requests per 1,000 table changes, PutRecords in order vs one
PutRecord per event (the same events)."""

import json
from decimal import Decimal
from typing import Any

from bench.listener_bench import TAGS, create_stream
from bench.results import Figure, cost
from services.trigger.rules import RULES
from shared.adapters.dynamodb import layout
from shared.adapters.kinesis import KinesisStream
from shared.events.testing import dynamodb_record
from shared.lists.coalesce import Slot
from shared.lists.user_list import UserList
from shared.stream.batch import batch_response
from shared.stream.decoders import from_dynamodb
from shared.stream.flavors.crud import CrudOptions, crud
from shared.stream.memory import MemoryStream
from tests.support.aws import Aws

CHANGES = 500


def table_changes() -> dict[str, Any]:
    changes = []
    for n in range(CHANGES):
        title, user = f"title {n % 20}", f"user {n}"
        user_list = UserList(title, user, "tally", {"xp": Decimal(n)}, n)
        item = layout.user_list_item(title, user, Slot(user_list), 1, 0)
        changes.append(
            dynamodb_record("INSERT", layout.as_key(layout.key_of(item)), new=item, sequence_number=n + 1)
        )
    return {"Records": changes}


def figure(aws: Aws) -> Figure:
    event = table_changes()
    kinesis = aws.client("kinesis")
    calls = [0]
    kinesis.meta.events.register("before-call.kinesis", lambda **_: calls.__setitem__(0, calls[0] + 1))
    stream = KinesisStream(kinesis, create_stream(aws))
    batch_response(crud(RULES, CrudOptions(stream=stream, tags=TAGS))(from_dynamodb(event)))
    ours = calls[0]
    calls[0] = 0
    published = [
        u.published for u in crud(RULES, CrudOptions(stream=MemoryStream(), tags=TAGS))(from_dynamodb(event))
    ]
    for entry in published:
        assert entry is not None
        kinesis.put_record(
            StreamName=stream.stream_name,
            PartitionKey=entry["partitionKey"],
            Data=json.dumps(entry, default=str).encode(),
        )
    theirs = calls[0]
    print(f"   trigger: {ours} Kinesis calls for {CHANGES} changes vs {theirs} one by one", flush=True)
    return cost(
        "trigger_requests_per_1000_vs_put_record",
        "Kinesis requests / 1,000 changes",
        ours * 1000 / CHANGES,
        theirs * 1000 / CHANGES,
    )
