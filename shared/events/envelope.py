"""The canonical event envelope and every event type the project reads or publishes.

Each event is `{id, type, timestamp, partitionKey, tags, <entity>, raw}` as in seed 002: the
entity field is named after the entity (`update`, `list`, `fault`) and is the contract that
stays backwards compatible; `raw` carries the source's own data for audit.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shared.events.submission import ListRef, Name, Number, Submission
from shared.events.types import AGGREGATE_TYPES, DELETE_SUBMITTED, FAULT, UPDATE_SUBMITTED, USER_LIST_TYPES
from shared.lists.user_list import ListType

# The type names are re-exported: they live apart from the models, for modules without pydantic.
__all__ = [
    "AGGREGATE_TYPES",
    "DELETE_SUBMITTED",
    "EVENT_MODELS",
    "FAULT",
    "UPDATE_SUBMITTED",
    "USER_LIST_TYPES",
    "AggregateEntity",
    "AggregateListEvent",
    "DeleteSubmitted",
    "Envelope",
    "EventId",
    "Fault",
    "FaultEvent",
    "Images",
    "UpdateSubmitted",
    "UserListEntity",
    "UserListEvent",
]

EventId = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^\u0000-\u001f\u007f]+$")]


class Envelope(BaseModel):
    """What every event carries."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

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


class UserListEntity(BaseModel):
    """One user's list, as the API returns it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Name
    user: Name
    type: ListType
    entries: dict[str, Number]
    updatedAt: int


class AggregateEntity(BaseModel):
    """The aggregate of a title, as the API returns it. `counts` and `ranking` are present for
    rank lists only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Name
    type: ListType
    entries: dict[str, Number] = Field(description="Per key, the sum over users.")
    users: int = Field(ge=0, description="How many users have a list under this title.")
    updatedAt: int
    counts: dict[str, int] | None = Field(default=None, description="Rank only: users ranking each key.")
    ranking: list[str] | None = Field(
        default=None, description="Rank only: keys by mean rank, then more users, then key."
    )


class Images(BaseModel):
    """The item before and after the change, as plain JSON (not AttributeValue-typed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    new: dict[str, Any] | None = None
    old: dict[str, Any] | None = None


class UserListEvent(Envelope):
    type: Literal["user-list-created", "user-list-updated", "user-list-deleted"]
    list_: UserListEntity = Field(alias="list")
    raw: Images


class AggregateListEvent(Envelope):
    type: Literal["aggregate-list-created", "aggregate-list-updated", "aggregate-list-deleted"]
    list_: AggregateEntity = Field(alias="list")
    raw: Images


class Fault(BaseModel):
    """A record the listener can never apply, set aside so its shard goes on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str
    id: str | None = Field(
        description="The original record's id: its event id when it could be read, else its Kinesis eventID."
    )
    shard: str | None
    sequenceNumber: str
    data: str = Field(description="The original record's data, base64 as Kinesis delivered it.")


class FaultEvent(Envelope):
    type: Literal["fault"]
    fault: Fault
    raw: Any = None


EVENT_MODELS: dict[str, type[Envelope]] = {
    UPDATE_SUBMITTED: UpdateSubmitted,
    DELETE_SUBMITTED: DeleteSubmitted,
    **{name: UserListEvent for name in USER_LIST_TYPES},
    **{name: AggregateListEvent for name in AGGREGATE_TYPES},
    FAULT: FaultEvent,
}
"""Every event type the project reads or publishes, with the model that describes it."""
