"""Pagination: a bounded `limit` and opaque cursors.

A cursor is base64url (unpadded) JSON naming the listing it belongs to and the position after
which the next page starts: the last title or user of the page, or for history the archive's
(version, position) of the last record. Clients treat it as opaque; the API checks it like any
other input, so a cursor that was edited, truncated, or taken from another listing is a 400,
and a position is never passed on to the table unchecked.
"""

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.api.errors import ApiError
from shared.events.codec import NotJson, dumps, loads
from shared.events.submission import Name
from shared.lists.archive import MAX_INTEGER

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_CURSOR_LENGTH = 1024
_DIGITS = re.compile(r"[0-9]{1,6}")


class TitlesCursor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)

    listing: Literal["titles"] = "titles"
    after: Name


class UsersCursor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)

    listing: Literal["users"] = "users"
    after: Name


# What the archive's version and position columns hold: a larger number would reach the
# database driver, which cannot bind it.
ArchivePosition = Annotated[int, Field(ge=0, le=MAX_INTEGER)]


class HistoryCursor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)

    listing: Literal["history"] = "history"
    before: tuple[ArchivePosition, ArchivePosition]


Cursor = TypeVar("Cursor", TitlesCursor, UsersCursor, HistoryCursor)
NameCursor = TypeVar("NameCursor", TitlesCursor, UsersCursor)


def name_page(model: type[NameCursor], args: Mapping[str, str]) -> tuple[int, str | None]:
    """The `limit` and `cursor` query parameters of a listing by name: how many, after which."""
    cursor = decode_cursor(model, args.get("cursor"))
    return page_limit(args.get("limit")), None if cursor is None else cursor.after


def next_name(model: type[NameCursor], last: str | None) -> str | None:
    """The cursor of the page after the one ending at `last`; None on the last page."""
    return None if last is None else encode_cursor(model(after=last))


def page_limit(value: str | None) -> int:
    """The `limit` query parameter: 1 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when absent."""
    if value is None:
        return DEFAULT_PAGE_SIZE
    if not _DIGITS.fullmatch(value) or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise ApiError(400, "invalid_limit", f"limit must be an integer from 1 to {MAX_PAGE_SIZE}")
    return int(value)


def encode_cursor(cursor: BaseModel) -> str:
    return base64.urlsafe_b64encode(dumps(cursor.model_dump()).encode()).rstrip(b"=").decode()


def decode_cursor(model: type[Cursor], value: str | None) -> Cursor | None:
    """The cursor of `model`'s listing in the `cursor` query parameter; None when absent."""
    if value is None:
        return None
    try:
        return model.model_validate(_document(value))
    except (ValueError, ValidationError) as error:
        raise ApiError(400, "invalid_cursor", "cursor is not one this listing returned") from error


def _document(value: str) -> Any:
    if len(value) > MAX_CURSOR_LENGTH or not value.isascii():
        raise ValueError("not a cursor")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except binascii.Error as error:
        raise ValueError("not base64url") from error
    try:
        document = loads(raw)
    except NotJson as error:
        raise ValueError("not JSON") from error
    if isinstance(document, dict) and isinstance(document.get("before"), list):
        # JSON has no tuples: the (version, position) pair comes back as a list.
        document["before"] = tuple(document["before"])
    return document
