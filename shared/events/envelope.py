"""The canonical event envelope and the event types the project reads (its submissions).

Each event is `{id, type, timestamp, partitionKey, tags, <entity>, raw}` as in seed 002: the
entity field is named after the entity (`update`, `list`, `fault`) and is the contract that
stays backwards compatible; `raw` carries the source's own data for audit. The types the project
publishes are in shared/events/published.py: the listener, which validates only these two, does
not build their models on its cold start.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shared.events.submission import ListRef, Submission
from shared.events.types import DELETE_SUBMITTED, UPDATE_SUBMITTED

# The type names are re-exported: they live apart from the models, for modules without pydantic.
__all__ = [
    "DELETE_SUBMITTED",
    "SUBMITTED_MODELS",
    "UPDATE_SUBMITTED",
    "DeleteSubmitted",
    "Envelope",
    "EventId",
    "UpdateSubmitted",
]

EventId = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^\u0000-\u001f\u007f]+$")]


class Envelope(BaseModel):
    """What every event carries."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid", defer_build=True)

    id: EventId = Field(description="Unique and deterministic: the same change always has the same id.")
    type: str
    timestamp: StrictInt = Field(
        ge=0, description='Epoch milliseconds of the change: a JSON integer (1.0, "1" or true is a fault).'
    )
    partitionKey: str | None = Field(
        default=None, min_length=1, max_length=256, description="Keeps the events of one list in order."
    )
    tags: dict[str, str | int] = Field(
        default_factory=dict,
        description="Routing information: source, stage, region, functionname, pipeline.",
    )


class UpdateSubmitted(Envelope):
    """A client submitted a list update."""

    type: Literal["list-update-submitted"]
    update: Submission
    raw: Any = None


class DeleteSubmitted(Envelope):
    """A client asked for a user's list to be removed."""

    type: Literal["list-delete-submitted"]
    update: ListRef
    raw: Any = None


SUBMITTED_MODELS: dict[str, type[Envelope]] = {
    UPDATE_SUBMITTED: UpdateSubmitted,
    DELETE_SUBMITTED: DeleteSubmitted,
}
"""The event types the project reads, with the model that describes each."""
