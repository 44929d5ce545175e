"""DynamoDB item sizes and write units, computed the way DynamoDB bills them.

A write costs one write unit per KB of item, rounded up; a transactional write costs twice that.
An item's size is the UTF-8 length of its attribute names plus the size of each value: a string
its UTF-8 length, a number about one byte per two significant digits plus one, binary its length,
a map or list 3 bytes plus one per element plus its contents, a boolean or null one byte.
"""

import math
from collections.abc import Mapping
from typing import Any

KB = 1024


def item_size(item: Mapping[str, Any]) -> int:
    """The size of an AttributeValue-typed item."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value: Mapping[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        return number_size(content)
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(text.encode()) for text in content)
    if kind == "NS":
        return sum(number_size(text) for text in content)
    if kind == "BS":
        return sum(len(blob) for blob in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(item) for name, item in content.items())
    if kind == "L":
        return 3 + sum(1 + value_size(item) for item in content)
    raise ValueError(f"unknown attribute type {kind}")


def number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def write_units(item: Mapping[str, Any], transactional: bool = False) -> int:
    units = max(1, math.ceil(item_size(item) / KB))
    return units * 2 if transactional else units
