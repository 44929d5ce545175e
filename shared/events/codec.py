"""JSON in and out with exact numbers.

Numbers are parsed as Decimal (never float), NaN and Infinity are refused, an object with the same
key twice is refused (which of the two values counts is up to each parser, so the document means
different things to different readers: DESIGN.md makes it a fault), and on the way out a
number is written as an integer where integral and as its exact decimal otherwise: 108.5, 0.3,
never "108.5" and never 0.30000000000000004.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

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
    return simplejson.dumps(
        _plain_numbers(value), use_decimal=True, ensure_ascii=False, separators=(",", ":")
    )


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
