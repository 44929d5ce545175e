"""Items to and from AttributeValues the way a team writes it: boto3's own TypeSerializer and
TypeDeserializer. The baselines use these, as they always did; the listener's adapter has a faster
pair of its own (shared/adapters/dynamodb/attributes.py) that gives the same answers."""

from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}


def from_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}
