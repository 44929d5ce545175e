"""From Lambda events to units of work.

`from_kinesis` decodes each record's data (base64, UTF-8, JSON) into an event envelope; a bare
submission document becomes a `list-update-submitted` event whose id is the record's eventID, so a
redelivered record keeps its id. `from_dynamodb` turns each stream record's AttributeValue images
into plain values with exact numbers. A record that cannot be decoded, or read at all (a record
of the other source, fields missing), yields a unit carrying its fault, never an exception; an
event that is not a batch of records is NotABatch, with a message that says what came instead.
"""

import base64
import binascii
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from shared.events.codec import NotJson, loads
from shared.events.types import UPDATE_SUBMITTED
from shared.stream.unit_of_work import UnitOfWork

LIST_TYPES = ("tally", "rank")
_deserializer = TypeDeserializer()


class NotABatch(ValueError):
    """An event that is no stream batch at all: a function invoked by hand with the wrong event."""


def records_of(event: Any, source: str) -> list[Any]:
    """The records of a Lambda stream batch, `{"Records": [...]}`; anything else is NotABatch."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise NotABatch(f'not a {source} batch: expected {{"Records": [...]}}, got {_shape(event)}')
    return records


def _shape(value: Any) -> str:
    if isinstance(value, Mapping):
        keys = ", ".join(sorted(map(str, value))[:5])
        return f"an object with keys {keys}" if keys else "an empty object"
    return f"a JSON {type(value).__name__}"


def from_kinesis(event: Any) -> list[UnitOfWork]:
    return [kinesis_unit(record) for record in records_of(event, "Kinesis")]


def kinesis_unit(record: Any) -> UnitOfWork:
    if not _as_lambda_delivers(record):
        unreadable = _unreadable(record, KINESIS_FIELDS)
        if unreadable is not None:
            return _set_aside(record, ("kinesis", "sequenceNumber"), f"not a Kinesis record: {unreadable}")
    decoded = _decoded(record)
    return UnitOfWork(
        record=record,
        sequence_number=record["kinesis"]["sequenceNumber"],
        shard=record["eventID"].partition(":")[0] or None,
        event=None if isinstance(decoded, str) else decoded,
        fault=decoded if isinstance(decoded, str) else None,
    )


def _as_lambda_delivers(record: Any) -> bool:
    """A record whose KINESIS_FIELDS have the very types Lambda delivers: what `_unreadable` would
    pass, told at a glance (it costs a microsecond a record, the budget of the whole decoding)."""
    kinesis = record.get("kinesis") if type(record) is dict else None
    return (
        type(kinesis) is dict
        and type(record.get("eventID")) is str
        and type(kinesis.get("sequenceNumber")) is str
        and type(kinesis.get("data")) is str
        and type(kinesis.get("approximateArrivalTimestamp")) in (float, int, Decimal)
    )


def _decoded(record: Mapping[str, Any]) -> dict[str, Any] | str:
    """The event envelope of a readable Kinesis record, or the fault of its data."""
    try:
        data = binascii.a2b_base64(record["kinesis"]["data"], strict_mode=True)
    except ValueError:  # binascii.Error, or a string that is not even ASCII
        return "data is not valid base64"
    try:
        data.decode("utf-8")  # a fault of its own, found before the JSON is read (from the bytes)
    except UnicodeDecodeError as error:
        return f"data is not valid UTF-8 ({error.reason} at byte {error.start})"
    try:
        document = loads(data)
    except NotJson as error:
        return str(error)
    if not isinstance(document, dict):
        return f"data is JSON but not an object: {type(document).__name__}"
    if is_submission(document):
        return submission_envelope(document, record)
    if not isinstance(document.get("type"), str):
        return "an event envelope needs a string 'type'"
    return document


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


def from_dynamodb(event: Any) -> list[UnitOfWork]:
    return [dynamodb_unit(record) for record in records_of(event, "DynamoDB Streams")]


def dynamodb_unit(record: Any) -> UnitOfWork:
    unreadable = _unreadable(record, DYNAMODB_FIELDS)
    if unreadable is not None:
        return _set_aside(
            record, ("dynamodb", "SequenceNumber"), f"not a DynamoDB Streams record: {unreadable}"
        )
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
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        return unit._replace(
            fault="not a DynamoDB Streams record: an image does not read as AttributeValues "
            f"({type(error).__name__}: {error})"
        )
    return unit._replace(event=change)


Fields = Mapping[str, Mapping[str, type | tuple[type, ...]]]
KINESIS_FIELDS: Fields = {
    "": {"eventID": str, "kinesis": Mapping},
    # A number: a float from Lambda, a Decimal from an event read with the codec (listmgr invoke).
    "kinesis": {"sequenceNumber": str, "data": str, "approximateArrivalTimestamp": (int, float, Decimal)},
}
DYNAMODB_FIELDS: Fields = {
    "": {"eventID": str, "eventName": str, "dynamodb": Mapping},
    "dynamodb": {"SequenceNumber": str},
}
"""What the decoders read of a record, where (`""` is the record itself) and of which JSON type."""


def _unreadable(record: Any, fields: Fields) -> str | None:
    """What is missing from `record` for a decoder to read it, or None."""
    if not isinstance(record, Mapping):
        return f"a JSON {type(record).__name__}, not an object"
    problems = []
    for where, wanted in fields.items():
        part = record.get(where) if where else record
        if not isinstance(part, Mapping):
            continue  # reported as the record's own field
        for name, kind in wanted.items():
            value = part.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                problems.append(f"{where}.{name}" if where else name)
    return f"missing or mistyped {', '.join(problems)}" if problems else None


def _set_aside(record: Any, sequence_at: tuple[str, str], fault: str) -> UnitOfWork:
    """The unit of a record the decoder cannot read, with its sequence number if it has one. A
    record that is not even an object is kept under "record", so its fault id tells it apart."""
    part = record.get(sequence_at[0]) if isinstance(record, Mapping) else None
    sequence = part.get(sequence_at[1]) if isinstance(part, Mapping) else None
    return UnitOfWork(
        record=record if isinstance(record, Mapping) else {"record": record},
        sequence_number=sequence if isinstance(sequence, str) else "",
        fault=fault,
    )


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
