"""The event types the project publishes: the trigger's `user-list-*` and `aggregate-list-*`
events, whose entities the API also returns, and the listener's `fault` events."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import Envelope
from shared.events.submission import Name, Number
from shared.events.types import AGGREGATE_TYPES, FAULT, USER_LIST_TYPES
from shared.lists.user_list import ListType


class UserListEntity(BaseModel):
    """One user's list, as the API returns it."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    title: Name
    user: Name
    type: ListType
    entries: dict[str, Number]
    updatedAt: int


class AggregateEntity(BaseModel):
    """The aggregate of a title, as the API returns it. `counts` and `ranking` are present for
    rank lists only."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

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

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

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

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

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


PUBLISHED_MODELS: dict[str, type[Envelope]] = {
    **{name: UserListEvent for name in USER_LIST_TYPES},
    **{name: AggregateListEvent for name in AGGREGATE_TYPES},
    FAULT: FaultEvent,
}
"""The event types the project publishes, with the model that describes each."""
