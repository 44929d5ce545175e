"""Pipelines: a step takes the units of work of a batch and returns them, in the same order,
each one either unchanged or replaced by a new unit carrying what the step learned.

Steps work on the whole batch rather than one record at a time because coalescing needs to see
every record of a title at once; a step that only cares about some units passes the others on.
"""

from collections.abc import Callable, Sequence

from shared.stream.unit_of_work import UnitOfWork

Step = Callable[[Sequence[UnitOfWork]], list[UnitOfWork]]


def pipeline(*steps: Step) -> Step:
    """The steps run one after the other."""

    def run(units: Sequence[UnitOfWork]) -> list[UnitOfWork]:
        current = list(units)
        for step in steps:
            current = step(current)
        return current

    return run


def pending(unit: UnitOfWork) -> bool:
    """A unit still to be worked on: neither set aside as a fault nor failed."""
    return unit.fault is None and unit.failed is None
