"""Titles and users in paths: each segment percent-decoded once, as UTF-8, and held to the
same rules as in a submission."""

from urllib.parse import unquote_to_bytes

from pydantic import ConfigDict, TypeAdapter, ValidationError

from services.api.errors import ApiError
from shared.events.envelope import EventId
from shared.events.submission import Name
from shared.events.validation import message

# Built by their first use: a request without names in its path (POST /lists) needs neither.
_DEFERRED = ConfigDict(defer_build=True)
_NAME = TypeAdapter(Name, config=_DEFERRED)
_EVENT_ID = TypeAdapter(EventId, config=_DEFERRED)


def path_name(segment: str, what: str) -> str:
    """The title or user a still-encoded path segment names (see services.api.raw_path)."""
    try:
        name = unquote_to_bytes(segment).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(400, "invalid_path", f"the {what} in the path is not percent-encoded UTF-8") from error
    if what == "id":
        try:
            return _EVENT_ID.validate_python(name)
        except ValidationError as error:
            raise ApiError(
                400, "invalid_path", "the id in the path: 1 to 256 characters, no controls"
            ) from error
    return valid_name(name, what, "invalid_path")


def valid_name(name: str, what: str, code: str) -> str:
    try:
        return _NAME.validate_python(name)
    except ValidationError as error:
        problem = message(error.errors(include_url=False)[0])
        raise ApiError(400, code, f"the {what} {name[:40]!r}: {problem}") from error
