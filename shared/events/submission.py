"""The submission document of the original sample, and the request to delete a user's list."""

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)

from shared.lists import numbers
from shared.lists.limits import MAX_ENTRIES_PER_SUBMISSION, MAX_NAME_LENGTH
from shared.lists.user_list import ListType

_CONTROL_CHARACTERS = r"\u0000-\u001f\u007f-\u009f"
"""Unicode's category Cc, written so that both pydantic-core's Rust regex and Python's read it."""

NAME_PATTERN = rf"^[^{_CONTROL_CHARACTERS}]+$"
"""What a name may hold: no control characters (Unicode's category Cc). pydantic-core checks it
in Rust, with the lengths, where a validator of ours would be a call into Python for each title,
user and entry key (docs/benchmarks.md, Decoding). A lone surrogate, which no UTF-8 text can
carry, is refused before it: pydantic-core cannot read it as a string."""

_CONTROL = re.compile(f"[{_CONTROL_CHARACTERS}]")


def name_problem(value: str) -> str:
    """Why `value`, refused by NAME_PATTERN, is not a name: its first control character."""
    found = _CONTROL.search(value)
    assert found is not None, "only asked of a name the pattern refused"
    return f"must not contain control characters (found U+{ord(found.group()):04X})"


Name = Annotated[
    str,
    Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=NAME_PATTERN),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH, "pattern": NAME_PATTERN}),
]
"""A title, a user or an entry key: any non-empty Unicode string of at most 128 characters
without control characters."""


def _number(value: Any) -> Decimal:
    """The Decimal of a number the listener can apply, or ValueError with the reason.

    JSON's whole numbers arrive as ints, and one of at most 38 digits passes every check of the
    careful way unchanged: it takes the short way, a fifth of the time (the careful way runs
    four checks, each a call; tests/unit/test_number_rule.py holds the two ways equal)."""
    if type(value) is int and -_WHOLE_LIMIT < value < _WHOLE_LIMIT:
        return Decimal(value)
    return _storable(_finite(_as_decimal(value)))


_WHOLE_LIMIT = 10**38


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number")
    # A float only reaches here from Python callers; its shortest repr is what they meant.
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _finite(value: Decimal) -> Decimal:
    # pydantic's own words for a Decimal that is not finite, as its Decimal type says them.
    if not value.is_finite():
        raise ValueError("Input should be a finite number")
    return value


def _storable(value: Decimal) -> Decimal:
    """The listener's rule, applied wherever a submission is read (the API and the listener), so
    both refuse the same numbers. The number must be storable as given and as it travels: the
    codec writes an integral value with all its digits (1E+38 as 1 and 38 zeros) and a tally
    sum starting at 0 has them too, so a whole number needs at most 38 digits."""
    try:
        numbers.storable(value)
    except numbers.NumberOutOfRange as error:
        raise ValueError(str(error)) from error
    try:
        return numbers.storable(Decimal(numbers.plain(value)))
    except numbers.NumberOutOfRange as error:
        raise ValueError(f"{value} is a whole number of more than 38 digits") from error


Number = Annotated[
    Decimal,
    PlainValidator(_number),
    WithJsonSchema({"type": "number"}),
]
"""A finite number DynamoDB can store exactly: at most 38 significant digits within
1E-130..1E+126, and a whole number at most 38 digits."""


class ListRef(BaseModel):
    """A user's list: the entity of a `list-delete-submitted` event."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    title: Name
    user: Name


class Submission(ListRef):
    """A list update: tally entries are added to the user's values, rank entries replace the
    user's whole ranking."""

    type: ListType
    entries: Annotated[
        dict[Name, Number],
        Field(min_length=1, max_length=MAX_ENTRIES_PER_SUBMISSION),
    ]

    @model_validator(mode="after")
    def _ranks_are_positive_integers(self) -> "Submission":
        if self.type == "rank":
            for key, value in self.entries.items():
                if value <= 0 or value != value.to_integral_value():
                    raise ValueError(f"rank of {key!r} must be a positive integer, not {value}")
        return self
