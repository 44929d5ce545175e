"""The trigger: DynamoDB Streams records of the list table out as events on Kinesis.

from_dynamodb(event)  ->  crud(RULES)  ->  batch response
"""

from services.trigger.rules import RULES
from shared.bootstrap import Handler, Ports, Tags, stream_handler
from shared.stream import observe
from shared.stream.decoders import from_dynamodb
from shared.stream.flavors.crud import CrudOptions, crud
from shared.stream.pipeline import Step
from shared.stream.publish import PublishOptions
from shared.stream.unit_of_work import UnitOfWork


def handler(ports: Ports) -> Handler:
    return stream_handler(ports, OBSERVED, from_dynamodb, trigger)


def trigger(ports: Ports, tags: Tags) -> Step:
    """The trigger's pipeline on `ports`: what its handler runs over each decoded batch."""
    return crud(
        RULES,
        CrudOptions(
            stream=ports.stream, tags=tags, publish=PublishOptions(sleep=ports.sleep), clock=ports.clock
        ),
    )


def summary(units: list[UnitOfWork]) -> dict[str, int]:
    """Records of the batch, those set aside (faults) and those failed for a cause that may pass."""
    failed = sum(1 for unit in units if unit.failed is not None)
    faults = sum(1 for unit in units if unit.fault is not None and unit.failed is None)
    return {"records": len(units), "faults": faults, "failed": failed}


OBSERVED = observe.Observed("trigger", "published", summary)
