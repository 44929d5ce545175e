"""From Lambda events to units of work.

`from_kinesis` decodes each record's data (base64, UTF-8, JSON) into an event envelope; a bare
submission document becomes a `list-update-submitted` event whose id is the record's eventID, so a
redelivered record keeps its id. `from_dynamodb` turns each stream record's AttributeValue images
into plain values with exact numbers. A record that cannot be decoded yields a unit carrying its
fault, never an exception.
"""

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from shared.events.codec import NotJson, loads
from shared.events.envelope import UPDATE_SUBMITTED
from shared.stream.unit_of_work import UnitOfWork

LIST_TYPES = ("tally", "rank")
_deserializer = TypeDeserializer()


def from_kinesis(event: Mapping[str, Any]) -> list[UnitOfWork]:
    return [kinesis_unit(record) for record in event.get("Records") or []]


def kinesis_unit(record: Mapping[str, Any]) -> UnitOfWork:
    kinesis = record["kinesis"]
    unit = UnitOfWork(
        record=record,
        sequence_number=kinesis["sequenceNumber"],
        shard=str(record.get("eventID", "")).partition(":")[0] or None,
    )
    try:
        document = loads(base64.b64decode(kinesis["data"], validate=True).decode("utf-8"))
    except binascii.Error:
        return unit._replace(fault="data is not valid base64")
    except UnicodeDecodeError as error:
        return unit._replace(fault=f"data is not valid UTF-8 ({error.reason} at byte {error.start})")
    except NotJson as error:
        return unit._replace(fault=str(error))
    if not isinstance(document, dict):
        return unit._replace(fault=f"data is JSON but not an object: {type(document).__name__}")
    if is_submission(document):
        return unit._replace(event=submission_envelope(document, record))
    if not isinstance(document.get("type"), str):
        return unit._replace(fault="an event envelope needs a string 'type'")
    return unit._replace(event=document)


def is_submission(document: Mapping[str, Any]) -> bool:
    """A bare submission document, as opposed to an event envelope: anything without an id, and
    anything typed as a list, so a malformed submission is a fault and never passes as some
    other service's event."""
    return "id" not in document or document.get("type") in LIST_TYPES


def submission_envelope(document: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    kinesis = record["kinesis"]
    return {
        "id": record["eventID"],
        "type": UPDATE_SUBMITTED,
        "timestamp": arrival_ms(record),
        "partitionKey": kinesis.get("partitionKey"),
        "tags": {"source": "kinesis"},
        "update": document,
    }


def arrival_ms(record: Mapping[str, Any]) -> int:
    return round(float(record["kinesis"]["approximateArrivalTimestamp"]) * 1000)


def from_dynamodb(event: Mapping[str, Any]) -> list[UnitOfWork]:
    return [dynamodb_unit(record) for record in event.get("Records") or []]


def dynamodb_unit(record: Mapping[str, Any]) -> UnitOfWork:
    stream = record["dynamodb"]
    unit = UnitOfWork(
        record=record, sequence_number=stream["SequenceNumber"], shard=record.get("eventSourceARN")
    )
    try:
        change = {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "keys": plain_image(stream.get("Keys")),
            "new": plain_image(stream.get("NewImage")),
            "old": plain_image(stream.get("OldImage")),
        }
    except (KeyError, TypeError, ValueError) as error:
        return unit._replace(fault=f"not a DynamoDB Streams record: {error}")
    return unit._replace(event=change)


def plain_image(image: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An AttributeValue-typed image as plain values: numbers as int or Decimal, never float."""
    if image is None:
        return None
    return {name: _deserializer.deserialize(_binary_as_bytes(value)) for name, value in image.items()}


def _binary_as_bytes(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """Lambda's events carry binary values (B, BS) in base64; the deserializer wants bytes."""
    ((kind, item),) = value.items()
    if kind == "B" and isinstance(item, str):
        return {"B": base64.b64decode(item)}
    if kind == "BS":
        return {"BS": [base64.b64decode(each) if isinstance(each, str) else each for each in item]}
    if kind == "M":
        return {"M": {name: _binary_as_bytes(each) for name, each in item.items()}}
    if kind == "L":
        return {"L": [_binary_as_bytes(each) for each in item]}
    return value
