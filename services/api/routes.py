"""Every endpoint, declared once: the app routes from this table and the OpenAPI document is
generated from it, so the two cannot drift apart."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from services.api import views
from services.api.models import (
    Accepted,
    ChangeOutcome,
    Health,
    HistoryPage,
    TitlesPage,
    UsersPage,
    Written,
)
from services.api.pages import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from shared.events.published import AggregateEntity, UserListEntity
from shared.events.submission import Submission

Access = Literal["write", "read", "open"]
"""write: needs a key; read: public unless reads are configured to need one; open: always public."""


@dataclass(frozen=True)
class Parameter:
    name: str
    where: Literal["query", "header"]
    schema: Mapping[str, Any]
    description: str


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    """An OpenAPI path template: /lists/{title}/users/{user}."""
    view: Callable[..., views.Reply]
    summary: str
    answers: Mapping[int, type[BaseModel]]
    errors: tuple[int, ...]
    access: Access = "read"
    body: type[BaseModel] | None = None
    parameters: tuple[Parameter, ...] = ()

    @property
    def conditional(self) -> bool:
        """Answers with an ETag and honors If-None-Match (services/api/conditional.py): the
        reads of lists, which a client may poll."""
        return self.method == "GET" and self.access == "read"


LIMIT = Parameter(
    "limit",
    "query",
    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
    "How many items a page holds at most.",
)
CURSOR = Parameter(
    "cursor",
    "query",
    {"type": "string"},
    "The `next` of the previous page, as it was returned; absent for the first page.",
)
IDEMPOTENCY_KEY = Parameter(
    "Idempotency-Key",
    "header",
    {"type": "string", "pattern": "^[!-~]{1,256}$"},
    "Becomes the event id: the same key sent again is applied once. A UUID is made when absent.",
)
PREFER = Parameter(
    "Prefer",
    "header",
    # No pattern: RFC 7240 has a server ignore a preference it cannot read, not refuse the request.
    {"type": "string", "examples": ["wait=10"]},
    "`wait=N` (0 to 20 seconds): answer once the change has its outcome (200, or 422 if it was "
    "rejected), or 202 if N passes first. Larger values are taken as 20; a malformed preference "
    "is ignored.",
)
PAGED = (LIMIT, CURSOR)
IF_NONE_MATCH = Parameter(
    "If-None-Match",
    "header",
    {"type": "string", "examples": ['"5d41402abc4b2a76b9719d911017c592"']},
    "The `ETag` of the answer the client holds (or `*`): a 304 with no body if it is still current.",
)
"""Every conditional read takes it (Endpoint.conditional)."""

ENDPOINTS = (
    Endpoint(
        "POST",
        "/lists",
        views.submit,
        "Submit a list update: tally entries are added, a ranking replaces the user's",
        {202: Accepted, 200: Written},
        (400, 409, 413, 422),
        access="write",
        body=Submission,
        parameters=(IDEMPOTENCY_KEY, PREFER),
    ),
    Endpoint(
        "GET", "/lists", views.titles, "The lists, by title", {200: TitlesPage}, (400,), parameters=PAGED
    ),
    Endpoint(
        "GET", "/lists/{title}", views.aggregate, "A list's aggregate", {200: AggregateEntity}, (400, 404)
    ),
    Endpoint(
        "GET",
        "/lists/{title}/users",
        views.users,
        "The users with a list under a title, by user",
        {200: UsersPage},
        (400, 404),
        parameters=PAGED,
    ),
    Endpoint(
        "GET",
        "/lists/{title}/users/{user}",
        views.user_list,
        "One user's list",
        {200: UserListEntity},
        (400, 404),
    ),
    Endpoint(
        "DELETE",
        "/lists/{title}/users/{user}",
        views.delete_user_list,
        "Remove a user's list; its contribution leaves the aggregate",
        {202: Accepted, 200: Written},
        (400, 404, 409, 422),
        access="write",
        parameters=(IDEMPOTENCY_KEY, PREFER),
    ),
    Endpoint(
        "GET",
        "/lists/{title}/users/{user}/changes/{id}",
        views.change,
        "The outcome of one change, by its event id or the Idempotency-Key it was sent with",
        {200: ChangeOutcome},
        (400,),
    ),
    Endpoint(
        "GET",
        "/lists/{title}/history",
        views.history,
        "The archived submissions and deletions under a title, newest first",
        {200: HistoryPage},
        (400, 404),
        parameters=PAGED,
    ),
    Endpoint(
        "GET",
        "/health",
        views.health,
        "Liveness, with each dependency checked",
        {200: Health, 503: Health},
        (),
        access="open",
    ),
)
