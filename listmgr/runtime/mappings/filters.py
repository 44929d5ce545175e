"""Lambda event filtering: `filterPatterns`, matched against each record before it is batched.

A record is delivered when it matches any pattern (no patterns: every record). A pattern is an
object whose keys name fields and whose values are either a nested pattern or a list of rules, any
one of which must hold: an exact value (string, number, true/false, null), `{"prefix": s}`,
`{"suffix": s}`, `{"equals-ignore-case": s}`, `{"anything-but": value | [values] | {"prefix": s}
| {"suffix": s}}`, `{"numeric": [">", 0, "<=", 5]}` (or `["=", n]`) and `{"exists": true|false}`;
`"$or": [pattern, ...]` holds when any alternative does. An array in the record matches when any
of its elements does; an array of objects, when one of its objects matches the nested pattern.

Kinesis patterns match the record's `kinesis` fields with `data` decoded from base64 JSON (a
pattern on `data` never matches a record whose data is not JSON); DynamoDB patterns match the
record as delivered (`eventName`, `dynamodb.Keys`, `dynamodb.NewImage`, ...).
"""

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from listmgr.runtime.mappings.records import KINESIS, StreamRecord

COMPARISONS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "=": lambda value, bound: value == bound,
    "<": lambda value, bound: value < bound,
    "<=": lambda value, bound: value <= bound,
    ">": lambda value, bound: value > bound,
    ">=": lambda value, bound: value >= bound,
}


class InvalidPattern(ValueError):
    """A filter pattern Lambda would refuse."""


class _NotJson:
    """Stands for record data that is not JSON: no pattern on it matches."""


NOT_JSON = _NotJson()


@dataclass(frozen=True)
class FilterCriteria:
    kind: str
    patterns: Sequence[Mapping[str, Any]]

    def accepts(self, record: StreamRecord) -> bool:
        if not self.patterns:
            return True
        document = kinesis_document(record.event_record) if self.kind == KINESIS else record.event_record
        return any(matches(pattern, document) for pattern in self.patterns)


def kinesis_document(event_record: Mapping[str, Any]) -> dict[str, Any]:
    fields = dict(event_record["kinesis"])
    try:
        fields["data"] = json.loads(base64.b64decode(fields["data"]))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        fields["data"] = NOT_JSON
    return fields


def matches(pattern: Mapping[str, Any], document: Any) -> bool:
    """Whether `document` satisfies every field of `pattern`."""
    fields = document if isinstance(document, Mapping) else {}
    return all(_field_matches(key, rule, fields) for key, rule in pattern.items())


def _field_matches(key: str, rule: Any, fields: Mapping[str, Any]) -> bool:
    if key == "$or":
        return any(matches(alternative, fields) for alternative in rule)
    present = key in fields
    value = fields.get(key)
    if value is NOT_JSON:
        return False
    if isinstance(rule, Mapping):
        # Nested patterns are paths: a missing parent is an object without the child fields. An
        # array of objects matches when one of its objects matches the whole nested pattern, as
        # EventBridge's matcher (event-ruler, array-consistent) takes it: a producer's JSON array
        # reaches a function whose pattern one of its elements meets.
        if isinstance(value, list):
            return any(matches(rule, element) for element in value if isinstance(element, Mapping))
        return matches(rule, value)
    if any(isinstance(item, Mapping) and "exists" in item and item["exists"] == present for item in rule):
        return True
    if not present:
        return False
    candidates = value if isinstance(value, list) else [value]
    return any(_rule_holds(item, candidate) for item in rule for candidate in candidates)


def _rule_holds(rule: Any, value: Any) -> bool:
    if not isinstance(rule, Mapping):
        return _equal(rule, value)
    ((operator, operand),) = rule.items()
    if operator == "exists":
        return False  # decided by the caller, which knows whether the field is present
    if operator == "anything-but":
        return not _any_of(operand, value)
    if operator == "numeric":
        return _numeric(operand, value)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == str(operand).casefold()
    return _affix(operator, operand, value)


def _any_of(operand: Any, value: Any) -> bool:
    if isinstance(operand, Mapping):
        ((operator, affix),) = operand.items()
        return _affix(operator, affix, value)
    candidates = operand if isinstance(operand, list) else [operand]
    return any(_equal(candidate, value) for candidate in candidates)


def _affix(operator: str, affix: Any, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    return value.startswith(affix) if operator == "prefix" else value.endswith(affix)


def _equal(expected: Any, value: Any) -> bool:
    if _is_number(expected) and _is_number(value):
        return _decimal(expected) == _decimal(value)
    return type(expected) is type(value) and bool(expected == value)


def _numeric(comparisons: Sequence[Any], value: Any) -> bool:
    if not _is_number(value):
        return False
    number = _decimal(value)
    pairs = zip(comparisons[::2], comparisons[1::2], strict=True)
    return all(COMPARISONS[operator](number, _decimal(bound)) for operator, bound in pairs)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def check(pattern: Any, where: str = "pattern") -> None:
    """Raises InvalidPattern naming the first part of `pattern` Lambda would refuse."""
    if not isinstance(pattern, Mapping) or not pattern:
        raise InvalidPattern(f"{where}: a pattern is a non-empty object, not {pattern!r}")
    for key, rule in pattern.items():
        if key == "$or":
            if not isinstance(rule, list) or len(rule) < 2:
                raise InvalidPattern(f"{where}.$or: a list of at least two patterns, not {rule!r}")
            for index, alternative in enumerate(rule):
                check(alternative, f"{where}.$or[{index}]")
        elif isinstance(rule, Mapping):
            check(rule, f"{where}.{key}")
        elif isinstance(rule, list) and rule:
            for item in rule:
                _check_rule(item, f"{where}.{key}")
        else:
            raise InvalidPattern(
                f"{where}.{key}: a nested pattern or a non-empty list of rules, not {rule!r}"
            )


def _check_rule(rule: Any, where: str) -> None:
    if not isinstance(rule, Mapping):
        if isinstance(rule, list):
            raise InvalidPattern(f"{where}: a rule is a value or an object, not a list")
        return
    if len(rule) != 1:
        raise InvalidPattern(f"{where}: a rule object has exactly one operator, not {rule!r}")
    ((operator, operand),) = rule.items()
    valid = {
        "exists": lambda: isinstance(operand, bool),
        "prefix": lambda: isinstance(operand, str),
        "suffix": lambda: isinstance(operand, str),
        "equals-ignore-case": lambda: isinstance(operand, str),
        "anything-but": lambda: _valid_anything_but(operand),
        "numeric": lambda: _valid_numeric(operand),
    }
    if operator not in valid or not valid[operator]():
        raise InvalidPattern(f"{where}: {operator!r} with {operand!r} is not a rule Lambda filtering accepts")


def _valid_anything_but(operand: Any) -> bool:
    if isinstance(operand, Mapping):
        return len(operand) == 1 and next(iter(operand)) in ("prefix", "suffix")
    return not isinstance(operand, list) or all(not isinstance(item, list | Mapping) for item in operand)


def _valid_numeric(operand: Any) -> bool:
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        return False
    operators, bounds = operand[::2], operand[1::2]
    return all(op in COMPARISONS for op in operators) and all(_is_number(bound) for bound in bounds)
