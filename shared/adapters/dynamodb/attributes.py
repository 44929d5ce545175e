"""Items to and from DynamoDB's AttributeValue form, for the value types the table's items hold.

boto3's TypeSerializer and TypeDeserializer answer the same for these types (a property test
compares them), but ask a chain of isinstance questions of every value; on the listener's hot
path (every user list and aggregate a batch reads and writes) they took more CPU than the rest of
the adapter. Numbers go through boto3's own DynamoDB decimal context, so what cannot be stored
exactly is refused the same way.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT, Binary

_EXACT_INTEGERS = 10**DYNAMODB_CONTEXT.prec
"""Integers below this in magnitude have at most the context's 38 digits: stored exactly."""


def to_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: attribute(value) for name, value in item.items()}


def from_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value_of(typed) for name, typed in item.items()}


def attribute(value: Any) -> dict[str, Any]:
    # bool before int: True is an int too.
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int or kind is Decimal:
        return {"N": _number(value)}
    if kind is dict:
        return {"M": {name: attribute(member) for name, member in value.items()}}
    if kind is list or kind is tuple:
        return {"L": [attribute(member) for member in value]}
    if kind is bytes or kind is bytearray:
        return {"B": bytes(value)}
    if value is None:
        return {"NULL": True}
    return _other(value)


def _other(value: Any) -> dict[str, Any]:
    """The rarer shapes: subclasses, mappings of other kinds, Binary, sets."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": str(value)}
    if isinstance(value, int | Decimal):
        return {"N": _number(value)}
    if isinstance(value, Binary):
        return {"B": value.value}
    if isinstance(value, Mapping):
        return {"M": {name: attribute(member) for name, member in value.items()}}
    if isinstance(value, set | frozenset) and value:
        members = list(value)
        if all(isinstance(member, str) for member in members):
            return {"SS": members}
        if all(isinstance(member, int | Decimal) and not isinstance(member, bool) for member in members):
            return {"NS": [_number(member) for member in members]}
        if all(isinstance(member, bytes | bytearray | Binary) for member in members):
            return {
                "BS": [member.value if isinstance(member, Binary) else bytes(member) for member in members]
            }
    raise TypeError(f"cannot store a {type(value).__name__} in a DynamoDB item: {value!r}")


def _number(value: int | Decimal) -> str:
    if type(value) is int and -_EXACT_INTEGERS < value < _EXACT_INTEGERS:
        return str(value)  # what the decimal context makes of it, without building a Decimal
    number = str(DYNAMODB_CONTEXT.create_decimal(value))
    if number in ("Infinity", "NaN"):
        raise TypeError("Infinity and NaN not supported")
    return number


def value_of(typed: Mapping[str, Any]) -> Any:
    ((kind, content),) = typed.items()
    if kind == "S":
        return content
    if kind == "N":
        return DYNAMODB_CONTEXT.create_decimal(content)
    if kind == "M":
        return {name: value_of(member) for name, member in content.items()}
    if kind == "L":
        return [value_of(member) for member in content]
    if kind == "B":
        return Binary(content)
    if kind == "BOOL":
        return content
    if kind == "NULL":
        return None
    if kind == "SS":
        return set(content)
    if kind == "NS":
        return {DYNAMODB_CONTEXT.create_decimal(member) for member in content}
    if kind == "BS":
        return {Binary(member) for member in content}
    raise TypeError(f"DynamoDB type {kind} is not supported")
