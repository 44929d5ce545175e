"""Turning a decoded document into a typed event, with a reason a person can act on when it
is not one."""

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from shared.events.envelope import SUBMITTED_MODELS, Envelope
from shared.events.submission import NAME_PATTERN, name_problem


class InvalidEvent(ValueError):
    """A document that violates the schema of its event type."""


def describe(error: ValidationError) -> str:
    """'update.entries.xp: must be a number; update.user: String should have at least 1 character'"""
    parts = []
    for problem in error.errors(include_url=False):
        where = ".".join(_shortened(str(step)) for step in problem["loc"]) or "document"
        parts.append(f"{where}: {message(problem)}")
    return "; ".join(parts)


def message(problem: ErrorDetails) -> str:
    """What is wrong, in pydantic's words or in a validator's, or for a name (the pattern's
    refusal is worded by the character it found: "must not contain control characters (found
    U+0007)")."""
    if problem["type"] == "string_pattern_mismatch" and problem.get("ctx", {}).get("pattern") == NAME_PATTERN:
        return name_problem(problem["input"])
    return problem["msg"].removeprefix("Value error, ")


def _shortened(step: str) -> str:
    # A location names the offending key, which may be what is wrong with it (a 1 MiB key): the
    # reason must stay readable and small enough to publish in a fault event.
    return step if len(step) <= MAX_STEP_CHARS else step[: MAX_STEP_CHARS - 1] + "…"


MAX_STEP_CHARS = 64


def parse_event(document: Any) -> Envelope:
    """The typed event for `document`, whose `type` must be one the project reads (SUBMITTED_MODELS)."""
    if not isinstance(document, dict):
        raise InvalidEvent("an event must be a JSON object")
    event_type = document.get("type")
    validate = _VALIDATE.get(event_type) if isinstance(event_type, str) else None
    if validate is None:
        validate = _validator(event_type)
    try:
        return validate(document)
    except ValidationError as error:
        raise InvalidEvent(describe(error)) from error


def _validator(event_type: object) -> Callable[[Any], Envelope]:
    """The validator of `event_type`'s model, built by its first use (a function builds only
    the models it validates: docs/benchmarks.md, Cold start) and then looked up directly."""
    if not isinstance(event_type, str) or (model := SUBMITTED_MODELS.get(event_type)) is None:
        raise InvalidEvent(f"unknown event type {event_type!r}")
    validate: Callable[[Any], Envelope] = model.__pydantic_validator__.validate_python
    _VALIDATE[event_type] = validate
    return validate


_VALIDATE: dict[str, Callable[[Any], Envelope]] = {}
"""Each model's validator itself, looked up once: model_validate's handling of its options costs
0.7 µs a record more (docs/benchmarks.md, Decoding), the attribute lookup and a `cast` on every
call 1.5 % of decoding and validating a submission."""
