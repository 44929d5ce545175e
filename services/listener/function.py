"""The listener: Kinesis records in, lists materialized in DynamoDB and archived, exactly once.

from_kinesis(event)  ->  materialize(RULES)  ->  publish_faults  ->  batch response
"""

from services.listener.rules import RULES
from shared.bootstrap import Handler, Ports, Tags, stream_handler
from shared.stream import observe
from shared.stream.decoders import from_kinesis
from shared.stream.faults import publish_faults
from shared.stream.flavors.materialize import MaterializeOptions, materialize
from shared.stream.pipeline import Step, pipeline
from shared.stream.publish import PublishOptions
from shared.stream.unit_of_work import UnitOfWork


def handler(ports: Ports) -> Handler:
    return stream_handler(ports, OBSERVED, from_kinesis, listener)


def listener(ports: Ports, tags: Tags) -> Step:
    """The listener's pipeline on `ports`: what its handler runs over each decoded batch."""
    options = MaterializeOptions(
        store=ports.store,
        archive=ports.archive,
        dedup=ports.settings.dedup,
        clock=ports.clock,
        sleep=ports.sleep,
    )
    return pipeline(
        materialize(RULES, options),
        publish_faults(ports.stream, {**tags, "pipeline": "faults"}, PublishOptions(sleep=ports.sleep)),
    )


def summary(units: list[UnitOfWork]) -> dict[str, int]:
    """How many records of the batch had each outcome; a record set aside before it became a
    change (unreadable, a schema violation) counts as a fault, and records of other services'
    types as ignored."""
    counts = dict.fromkeys(("applied", "superseded", "duplicate", "faults", "failed", "ignored"), 0)
    for unit in units:
        if unit.failed is not None:
            counts["failed"] += 1
        elif unit.fault is not None:
            counts["faults"] += 1
        elif unit.outcome in counts:
            counts[unit.outcome] += 1
        else:
            counts["ignored"] += 1
    return {"records": len(units), **counts}


OBSERVED = observe.Observed("listener", "fault", summary)
