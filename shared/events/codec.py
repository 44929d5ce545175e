"""JSON in and out with exact numbers.

Numbers are parsed as Decimal (never float), NaN and Infinity are refused, an object with the same
key twice is refused (which of the two values counts is up to each parser, so the document means
different things to different readers: DESIGN.md makes it a fault), and on the way out a
number is written as an integer where integral and as its exact decimal otherwise: 108.5, 0.3,
never "108.5" and never 0.30000000000000004.

Reading takes jiter (pydantic's Rust JSON parser) for every document it accepts: it builds the
Decimals from the number's own text and refuses a duplicate key in Rust. Anything it refuses goes
to simplejson, the reference, which decides the outcome and words the reason: jiter refuses a
little more than we accept (nesting beyond 200 levels, an escaped lone surrogate, a byte-order
mark) and says why in words of its own, so every document reads and every refusal reads as it
did before jiter (tests/unit/test_codec.py holds the two to that).
"""

from collections.abc import Mapping
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

import jiter
import simplejson

from shared.lists.numbers import plain


class NotJson(ValueError):
    """Text that is not a JSON document we accept."""


def _refuse_constant(name: str) -> Any:
    raise NotJson(f"{name} is not a finite number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return document


def loads(text: str | bytes) -> Any:
    try:
        return quick_loads(text if isinstance(text, bytes) else text.encode())
    except ValueError:  # jiter's refusals, and a str with a lone surrogate, which cannot encode
        return reference_loads(text)


def quick_loads(data: bytes) -> Any:
    """What `loads` answers for the documents jiter accepts; ValueError for any other, which
    `loads` leaves to the reference."""
    return jiter.from_json(data, catch_duplicate_keys=True, float_mode="decimal", allow_inf_nan=False)


def reference_loads(text: str | bytes) -> Any:
    """What `loads` answers, at simplejson's pace: the outcome and the reason of a refusal."""
    try:
        return simplejson.loads(
            text, use_decimal=True, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys
        )
    except simplejson.JSONDecodeError as error:
        raise NotJson(f"not valid JSON: {error}") from error
    except RecursionError as error:
        raise NotJson("not valid JSON: nested too deeply") from error
    except ValueError as error:
        # An integer longer than Python's int conversion limit (4300 digits), or bytes that are
        # not UTF-8: a document we refuse, not a crash.
        raise NotJson(f"not valid JSON: {error}") from error


def dumps(value: Any) -> str:
    text: str = _ENCODER.encode(_plain_numbers(value))
    return text


def dumps_entries(entries: Mapping[str, Decimal]) -> str:
    """`dumps(entries)` for a list's entries, names to numbers, written out directly: the
    encoder's setup costs more than the text of a few entries, and this runs once a record (the
    archive keeps every record's entries; tests/unit/test_codec.py holds it to `dumps`)."""
    return (
        "{" + ",".join(f"{encode_basestring(key)}:{plain(value)!s}" for key, value in entries.items()) + "}"
    )


_ENCODER = simplejson.JSONEncoder(use_decimal=True, ensure_ascii=False, separators=(",", ":"))
"""Built once: simplejson.dumps with options builds an encoder on every call."""


def _plain_numbers(value: Any) -> Any:
    # Concrete types first: an isinstance check against the Mapping ABC costs ten times more,
    # and this runs on every value of every event published.
    if isinstance(value, dict):
        return {key: _plain_numbers(item) for key, item in value.items()}
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain_numbers(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain_numbers(item) for key, item in value.items()}
    return value
