"""What the API answers, as models: the views build them and the OpenAPI document is generated
from them (with the submission and list entities of shared.events)."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.codec import loads
from shared.events.envelope import EventId
from shared.events.published import AggregateEntity, UserListEntity
from shared.events.submission import Name, Number
from shared.lists import store as lists
from shared.lists.archive import ArchivedRecord
from shared.lists.user_list import ListType


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Accepted(_Answer):
    """The change is on the event stream; the listener applies it, once, shortly."""

    id: EventId = Field(
        description="The event id: a UUIDv5 of [title, user, Idempotency-Key] with a key, else random."
    )
    status: Literal["accepted"] = "accepted"


class Written(_Answer):
    """With `Prefer: wait=N`: the change has its outcome, and the lists are as they are now."""

    id: EventId
    status: Literal["applied", "superseded", "deleted"] = Field(
        description="applied (a submission), deleted (a delete applied) or superseded (a newer change "
        "of that user list already held; nothing changed)."
    )
    list: UserListEntity | None = Field(description="The user's list now; null if it has none.")
    aggregate: AggregateEntity | None = Field(description="The title's aggregate now; null if none.")


class ChangeOutcome(_Answer):
    """The outcome of one change, as the listener remembers it with its id."""

    id: str = Field(
        description="The change's event id (derived from the Idempotency-Key when one was asked)."
    )
    status: Literal["applied", "superseded", "rejected", "unknown"]
    reason: str | None = Field(default=None, description="Why a rejected change was set aside.")


class ErrorDetail(_Answer):
    code: str = Field(description="Stable and machine-readable, e.g. invalid_submission.")
    message: str = Field(description="What was wrong, for a person.")


class ErrorBody(_Answer):
    """Every error response."""

    error: ErrorDetail


class TitleSummary(_Answer):
    title: Name
    type: ListType
    users: int = Field(ge=0)
    updatedAt: int

    @classmethod
    def of(cls, summary: lists.TitleSummary) -> "TitleSummary":
        return cls(title=summary.title, type=summary.type, users=summary.users, updatedAt=summary.updated_at)


class UserSummary(_Answer):
    title: Name
    user: Name
    type: ListType
    updatedAt: int

    @classmethod
    def of(cls, summary: lists.UserSummary) -> "UserSummary":
        return cls(title=summary.title, user=summary.user, type=summary.type, updatedAt=summary.updated_at)


class HistoryEntry(_Answer):
    """One archived submission or deletion of a user's list under the title."""

    id: str = Field(description="The event id.")
    event: Literal["list-update-submitted", "list-delete-submitted"]
    user: Name
    type: ListType | None = Field(description="Updates only; null for a deletion.")
    entries: dict[str, Number] | None = Field(description="Updates only, as submitted; null for a deletion.")
    timestamp: int = Field(description="Epoch milliseconds of the submission.")

    @classmethod
    def of(cls, row: ArchivedRecord) -> "HistoryEntry":
        return cls.model_validate(
            {
                "id": row.id,
                "event": row.event_type,
                "user": row.user_name,
                "type": row.list_type,
                "entries": loads(row.entries) if row.entries else None,
                "timestamp": row.timestamp,
            }
        )


def _next_cursor() -> Any:
    return Field(description="The cursor of the next page; null on the last page.")


class TitlesPage(_Answer):
    items: list[TitleSummary] = Field(description="Live lists, by title.")
    next: str | None = _next_cursor()


class UsersPage(_Answer):
    items: list[UserSummary] = Field(description="The users with a list under the title, by user.")
    next: str | None = _next_cursor()


class HistoryPage(_Answer):
    items: list[HistoryEntry] = Field(description="Newest first.")
    next: str | None = _next_cursor()


class Health(_Answer):
    status: Literal["ok", "degraded"]
    checks: dict[str, str] = Field(description="Per dependency: ok, or why it is unavailable.")
