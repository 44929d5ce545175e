"""What each endpoint does: read its input, ask a connector, build the answer.

Writes never touch the table: they publish `list-update-submitted` / `list-delete-submitted`
events, which the listener applies exactly once, so a retry with the same Idempotency-Key is
applied once too. Reads answer from the table and the archive. Access checks, path names and
rendering are the app's (services/api/app.py), the same for every endpoint.
"""

import re
import uuid
from collections.abc import Mapping
from typing import Any

from flask import g, request
from pydantic import BaseModel, ValidationError

from services.api.auth import ApiKey, require_writer
from services.api.deps import ApiDeps
from services.api.errors import ApiError
from services.api.models import (
    Accepted,
    ChangeOutcome,
    Health,
    HistoryEntry,
    HistoryPage,
    TitlesPage,
    TitleSummary,
    UsersPage,
    UserSummary,
)
from services.api.pages import (
    HistoryCursor,
    TitlesCursor,
    UsersCursor,
    decode_cursor,
    encode_cursor,
    name_page,
    next_name,
    page_limit,
)
from services.api.waiting import wait_preference
from shared.events.codec import NotJson, dumps, loads
from shared.events.envelope import (
    DELETE_SUBMITTED,
    UPDATE_SUBMITTED,
    DeleteSubmitted,
    Envelope,
    UpdateSubmitted,
)
from shared.events.partition import partition_key
from shared.events.submission import ListRef, Submission
from shared.events.validation import describe
from shared.lists.changes import Change, Delete, Submit, fingerprint
from shared.lists.dedup import Remembered
from shared.lists.entities import aggregate_entity, user_list_entity
from shared.lists.store import ListStore
from shared.stream.publish import StreamUnavailable, encode
from shared.stream.publish import publish as publish_records

Body = BaseModel | Mapping[str, Any]
Reply = tuple[int, Body] | tuple[int, Body, Mapping[str, str]]
IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,256}")
"""Visible ASCII: an id every store and log keeps exactly."""
IDEMPOTENT_WRITES = uuid.UUID("6780bc16-aa88-4bc2-b566-2aaa61f04ab6")
"""The UUIDv5 namespace of the ids of writes sent with an Idempotency-Key (event_id)."""


# -- writes -------------------------------------------------------------------------------------


def submit(deps: ApiDeps, caller: ApiKey) -> Reply:
    submission = submission_in_body()
    require_writer(caller, submission.user)
    refuse_type_conflict(deps.store, submission)
    fields = envelope_fields(deps, UPDATE_SUBMITTED, submission.title, submission.user)
    asked = Submit(fields["id"], submission.title, submission.user, submission.type, submission.entries, 0)
    return write(deps, UpdateSubmitted(**fields, update=submission), asked)


def delete_user_list(deps: ApiDeps, caller: ApiKey, title: str, user: str) -> Reply:
    require_writer(caller, user)
    fields = envelope_fields(deps, DELETE_SUBMITTED, title, user)
    asked = Delete(fields["id"], title, user, 0)
    return write(deps, DeleteSubmitted(**fields, update=ListRef(title=title, user=user)), asked)


def write(deps: ApiDeps, event: Envelope, asked: Change) -> Reply:
    """Publishes the change, unless its Idempotency-Key already has an outcome; with
    `Prefer: wait=N`, answers that outcome once the listener has decided it (202 if N passes
    first, or when this process already has as many waiting requests as it allows)."""
    prior = None
    if request.headers.get("Idempotency-Key") is not None:
        prior = deps.store.change(asked.title, asked.user, asked.event_id)
        refuse_reuse(prior, asked)
    if prior is None:
        publish(deps, event)
    accepted: Reply = (202, Accepted(id=event.id))
    seconds = wait_preference(request.headers.getlist("Prefer"))
    if seconds is None:
        return accepted
    with deps.waiter.slot() as may_wait:
        if not may_wait:
            return accepted
        began = deps.waiter.monotonic()
        outcome = prior or deps.waiter.outcome(deps.store, asked.title, asked.user, asked.event_id, seconds)
        # On the waiter's clock, so a test's fake clock gives an exact WaitMs (services/api/app.py).
        g.wait_ms = (deps.waiter.monotonic() - began) * 1000
    if outcome is None:
        return accepted
    refuse_reuse(outcome, asked)
    return answer(deps, asked, outcome, {"Preference-Applied": f"wait={seconds}"})


def refuse_reuse(outcome: Remembered | None, asked: Change) -> None:
    if outcome is not None and outcome.fingerprint and outcome.fingerprint != fingerprint(asked):
        raise ApiError(
            409,
            "idempotency_key_reused",
            "this Idempotency-Key was already used for another change of this list; use a new key",
        )


def answer(deps: ApiDeps, asked: Change, outcome: Remembered, headers: Mapping[str, str]) -> Reply:
    if outcome.status == "rejected":
        return 422, {"error": {"code": "rejected", "message": outcome.reason}}, headers
    status = "deleted" if outcome.status == "applied" and isinstance(asked, Delete) else outcome.status
    user_list = deps.store.user_list(asked.title, asked.user)
    aggregate = deps.store.aggregate(asked.title)
    return (
        200,
        {
            "id": asked.event_id,
            "status": status,
            "list": None if user_list is None else user_list_entity(user_list),
            "aggregate": None if aggregate is None else aggregate_entity(aggregate),
        },
        headers,
    )


def submission_in_body() -> Submission:
    if request.mimetype and not is_json(request.mimetype):
        raise ApiError(
            400, "unsupported_media_type", "the body must be JSON (Content-Type: application/json)"
        )
    try:
        document = loads(request.get_data(cache=False))
    except NotJson as error:
        raise ApiError(400, "invalid_json", str(error)) from error
    try:
        return Submission.model_validate(document)
    except ValidationError as error:
        raise ApiError(422, "invalid_submission", describe(error)) from error


def is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


def refuse_type_conflict(store: ListStore, submission: Submission) -> None:
    """A list's type is fixed by its first submission; the listener would refuse the other
    type, so the API says so at once where it can see it."""
    aggregate = store.aggregate(submission.title)
    if aggregate is not None and aggregate.type != submission.type:
        raise ApiError(
            409,
            "type_conflict",
            f"{submission.title!r} is a {aggregate.type} list, not a {submission.type} one",
        )


def envelope_fields(deps: ApiDeps, event_type: str, title: str, user: str) -> dict[str, Any]:
    return {
        "id": event_id(title, user),
        "type": event_type,
        "timestamp": deps.clock(),
        # One key per user list, as for records put on the stream directly: its updates stay in order.
        "partitionKey": partition_key(title, user),
        "tags": {**deps.tags, "pipeline": event_type},
    }


def event_id(title: str, user: str) -> str:
    """The UUIDv5 (namespace IDEMPOTENT_WRITES) of the compact JSON array [title, user, key]
    when the request has an Idempotency-Key: a retry makes the same id, and the same key from
    another user list another id, where the raw key would have been one id on the stream for
    both. Without a key, a random id: every request is a new change."""
    given = request.headers.get("Idempotency-Key")
    if given is None:
        return str(uuid.uuid4())
    if not IDEMPOTENCY_KEY.fullmatch(given):
        raise ApiError(
            400, "invalid_idempotency_key", "Idempotency-Key must be 1 to 256 visible ASCII characters"
        )
    return keyed_id(title, user, given)


def keyed_id(title: str, user: str, key: str) -> str:
    return str(uuid.uuid5(IDEMPOTENT_WRITES, dumps([title, user, key])))


def publish(deps: ApiDeps, event: Envelope) -> None:
    """Through the shared publisher, which retries what Kinesis refuses with backoff; still
    refused once its attempts ran out, the write is a 503 to retry (errors.py)."""
    record = encode(event.model_dump(mode="python", by_alias=True, exclude_none=True), ref=0)
    if publish_records(deps.stream, [record], deps.publishing):
        raise StreamUnavailable("Kinesis refused the event on every attempt")


def change(deps: ApiDeps, title: str, user: str, id: str) -> Reply:
    """The outcome of one change of a user list, by its event id or by the Idempotency-Key it
    was sent with."""
    found, event_id = deps.store.change(title, user, id), id
    if found is None and IDEMPOTENCY_KEY.fullmatch(id):
        event_id = keyed_id(title, user, id)
        found = deps.store.change(title, user, event_id)
    outcome = ChangeOutcome(id=id, status="unknown")
    if found is not None:
        outcome = ChangeOutcome(id=event_id, status=found.status, reason=found.reason or None)
    return 200, outcome.model_dump(exclude_none=True)


# -- reads --------------------------------------------------------------------------------------


def aggregate(deps: ApiDeps, title: str) -> Reply:
    found = deps.store.aggregate(title)
    if found is None:
        raise ApiError(404, "not_found", f"no list titled {title!r}")
    return 200, aggregate_entity(found)


def user_list(deps: ApiDeps, title: str, user: str) -> Reply:
    found = deps.store.user_list(title, user)
    if found is None:
        raise ApiError(404, "not_found", f"{user!r} has no list titled {title!r}")
    return 200, user_list_entity(found)


def titles(deps: ApiDeps) -> Reply:
    found, last = deps.store.titles_page(*name_page(TitlesCursor, request.args))
    page = TitlesPage(
        items=[TitleSummary.of(summary) for summary in found], next=next_name(TitlesCursor, last)
    )
    return 200, page


def users(deps: ApiDeps, title: str) -> Reply:
    found, last = deps.store.users_page(title, *name_page(UsersCursor, request.args))
    page = UsersPage(items=[UserSummary.of(summary) for summary in found], next=next_name(UsersCursor, last))
    return 200, page


def history(deps: ApiDeps, title: str) -> Reply:
    limit = page_limit(request.args.get("limit"))
    cursor = decode_cursor(HistoryCursor, request.args.get("cursor"))
    # One row more than asked tells whether another page follows.
    rows = deps.archive.history(title, limit + 1, None if cursor is None else cursor.before)
    page = rows[:limit]
    more = len(rows) > limit
    return 200, HistoryPage(
        items=[HistoryEntry.of(row) for row in page],
        next=encode_cursor(HistoryCursor(before=(page[-1].version, page[-1].position))) if more else None,
    )


def health(deps: ApiDeps) -> Reply:
    checks = {name: check(probe) for name, probe in deps.probes.items()}
    healthy = all(outcome == "ok" for outcome in checks.values())
    return (200 if healthy else 503), Health(status="ok" if healthy else "degraded", checks=checks)


def check(probe: Any) -> str:
    try:
        probe()
    except Exception as error:
        # The type only: a dependency's message may name hosts or users.
        return f"unavailable: {type(error).__name__}"
    return "ok"
