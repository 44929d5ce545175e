"""DynamoDB item sizes and write units, computed the way DynamoDB bills them.

A write costs one write unit per KB of item, rounded up; a transactional write costs twice that.
An item's size is the UTF-8 length of its attribute names plus the size of each value: a string
its UTF-8 length, a number about one byte per two significant digits plus one, binary its length,
a map or list 3 bytes plus one per element plus its contents, a boolean or null one byte.
"""

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

KB = 1024


def item_size(item: Mapping[str, Any]) -> int:
    """The size of an AttributeValue-typed item."""
    size = 0
    for name, value in item.items():
        size += _text_size(name) + value_size(value)
    return size


def value_size(value: Mapping[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return _text_size(content)
    if kind == "N":
        return number_size(content)
    if kind == "M":
        size = 3
        for name, member in content.items():
            size += 1 + _text_size(name) + value_size(member)
        return size
    if kind == "L":
        size = 3
        for member in content:
            size += 1 + value_size(member)
        return size
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(_text_size(text) for text in content)
    if kind == "NS":
        return sum(number_size(text) for text in content)
    if kind == "BS":
        return sum(len(blob) for blob in content)
    raise ValueError(f"unknown attribute type {kind}")


def _text_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


@lru_cache(maxsize=4096)
def number_size(text: str) -> int:
    """About one byte per two significant digits, plus one (cached: the same few numbers, versions
    and counts come back in every item)."""
    digits = text.lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def write_units(item: Mapping[str, Any], transactional: bool = False) -> int:
    units = max(1, math.ceil(item_size(item) / KB))
    return units * 2 if transactional else units
