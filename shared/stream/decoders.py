"""From Lambda events to units of work.

`from_kinesis` decodes each record's data (base64, UTF-8, JSON) into an event envelope; a bare
submission document becomes a `list-update-submitted` event whose id is the record's eventID, so a
redelivered record keeps its id. `from_dynamodb` turns each stream record's AttributeValue images
into plain values with exact numbers. A record that cannot be decoded, or read at all (a record
of the other source, fields missing), yields a unit carrying its fault, never an exception; an
event that is not a batch of records is NotABatch, with a message that says what came instead.
"""

import base64
from binascii import a2b_base64
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from shared.events.codec import NotJson, loads, quick_loads
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
    """The unit of one Kinesis record: its typed fields and its event envelope, or its fault.

    A record as Lambda delivers it, whose data decodes, takes the short way here: every step
    at once, with no function of ours called between them (each call would cost more than the
    base64 decoding). Anything else takes `_read_carefully`, which finds the fault and words it;
    both read any record alike (tests/unit/test_decoders.py holds them to it)."""
    kinesis = record.get("kinesis") if type(record) is dict else None
    if type(kinesis) is dict:
        event_id, sequence, encoded = (
            record.get("eventID"),
            kinesis.get("sequenceNumber"),
            kinesis.get("data"),
        )
        seconds = kinesis.get("approximateArrivalTimestamp")
        if (
            type(event_id) is str
            and type(sequence) is str
            and type(encoded) is str
            and type(seconds) is float
        ):
            try:
                arrival_ms = round(seconds * 1000)  # OverflowError or ValueError if not finite
                data = a2b_base64(encoded, strict_mode=True)
                text = data.decode()
                document = quick_loads(data)
            except (OverflowError, ValueError):
                return _read_carefully(record)
            if type(document) is dict:
                partition_key = kinesis.get("partitionKey")
                if "id" not in document or document.get("type") in LIST_TYPES:  # is_submission
                    event = submission_envelope(document, event_id, arrival_ms, partition_key)
                elif type(document.get("type")) is str:
                    event = document
                else:
                    return _read_carefully(record)
                return _unit_of(record, sequence, event_id, arrival_ms, partition_key, text, event, None)
    return _read_carefully(record)


def _unit_of(
    record: Mapping[str, Any],
    sequence: str,
    event_id: str,
    arrival_ms: int,
    partition_key: Any,
    text: str | None,
    event: Mapping[str, Any] | None,
    fault: str | None,
) -> UnitOfWork:
    """The unit of a readable record, built by position: keyword arguments, or a unit built and
    then `_replace`d, cost a tenth of the decoding."""
    shard = event_id.partition(":")[0] or None
    typed_key = partition_key if type(partition_key) is str else None
    return _make_unit((record, sequence, shard, event, None, fault, None, None, arrival_ms, typed_key, text))


_make_unit = UnitOfWork._make


def _read_carefully(record: Any) -> UnitOfWork:
    """The unit of any record, field by field and step by step: the fault of what cannot be
    read or decoded, with its reason."""
    unreadable = _unreadable(record, KINESIS_FIELDS)
    if unreadable is not None:
        return _set_aside_kinesis(record, f"not a Kinesis record: {unreadable}")
    kinesis = record["kinesis"]
    arrival_ms = epoch_ms(kinesis["approximateArrivalTimestamp"])
    if arrival_ms is None:
        return _set_aside_kinesis(record, "not a Kinesis record: approximateArrivalTimestamp is not finite")
    return _decoded(
        record,
        record["eventID"],
        kinesis["sequenceNumber"],
        kinesis["data"],
        arrival_ms,
        kinesis.get("partitionKey"),
    )


def _decoded(
    record: Mapping[str, Any], event_id: str, sequence: str, encoded: str, arrival_ms: int, partition_key: Any
) -> UnitOfWork:
    """The unit of a readable Kinesis record: its data decoded into an event envelope, or its fault."""
    text = event = fault = None
    try:
        data = a2b_base64(encoded, strict_mode=True)
    except ValueError:  # binascii.Error, or a string that is not even ASCII
        fault = "data is not valid base64"
    else:
        try:
            text = data.decode()  # a fault of its own, found before the JSON is read (from the bytes)
        except UnicodeDecodeError as error:
            fault = f"data is not valid UTF-8 ({error.reason} at byte {error.start})"
        else:
            event, fault = _envelope(data, event_id, arrival_ms, partition_key)
    return _unit_of(record, sequence, event_id, arrival_ms, partition_key, text, event, fault)


def _envelope(
    data: bytes, event_id: str, arrival_ms: int, partition_key: Any
) -> tuple[dict[str, Any] | None, str | None]:
    """The event envelope in a record's data, or the fault of the data."""
    try:
        document = loads(data)
    except NotJson as error:
        return None, str(error)
    if type(document) is not dict:
        return None, f"data is JSON but not an object: {type(document).__name__}"
    if is_submission(document):
        return submission_envelope(document, event_id, arrival_ms, partition_key), None
    if type(document.get("type")) is not str:
        return None, "an event envelope needs a string 'type'"
    return document, None


def is_submission(document: Mapping[str, Any]) -> bool:
    """A bare submission document, as opposed to an event envelope: anything without an id, and
    anything typed as a list, so a malformed submission is a fault and never passes as some
    other service's event."""
    return "id" not in document or document.get("type") in LIST_TYPES


def submission_envelope(
    document: Mapping[str, Any], event_id: str, arrival_ms: int, partition_key: Any
) -> dict[str, Any]:
    """The envelope of a bare submission: the record's eventID for its id, so a redelivered
    record keeps it, the record's arrival for its time, and its partitionKey as it is (one that
    is no string is the envelope's fault)."""
    return {
        "id": event_id,
        "type": UPDATE_SUBMITTED,
        "timestamp": arrival_ms,
        "partitionKey": partition_key,
        "tags": {"source": "kinesis"},
        "update": document,
    }


def epoch_ms(seconds: Any) -> int | None:
    """Epoch seconds, as a stream record carries its arrival, in epoch milliseconds (rounded);
    None for what is no finite number."""
    if isinstance(seconds, bool) or not isinstance(seconds, float | int | Decimal):
        return None
    try:
        return round(float(seconds) * 1000)
    except (OverflowError, ValueError):  # infinite, or not a number
        return None


def from_dynamodb(event: Any) -> list[UnitOfWork]:
    return [dynamodb_unit(record) for record in records_of(event, "DynamoDB Streams")]


def dynamodb_unit(record: Any) -> UnitOfWork:
    unreadable = _unreadable(record, DYNAMODB_FIELDS)
    if unreadable is not None:
        stream = record.get("dynamodb") if isinstance(record, Mapping) else None
        sequence = stream.get("SequenceNumber") if isinstance(stream, Mapping) else None
        return _set_aside(record, sequence, f"not a DynamoDB Streams record: {unreadable}")
    stream = record["dynamodb"]
    unit = UnitOfWork(
        record=record,
        sequence_number=stream["SequenceNumber"],
        shard=record.get("eventSourceARN"),
        arrival_ms=epoch_ms(stream.get("ApproximateCreationDateTime")),
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


def _set_aside_kinesis(record: Any, fault: str) -> UnitOfWork:
    """The unit of a Kinesis record the decoder cannot read, with what can be read of it for its
    fault event: sequence number, arrival and partition key."""
    kinesis = record.get("kinesis") if isinstance(record, Mapping) else None
    kinesis = kinesis if isinstance(kinesis, Mapping) else {}
    partition_key = kinesis.get("partitionKey")
    return _set_aside(record, kinesis.get("sequenceNumber"), fault)._replace(
        arrival_ms=epoch_ms(kinesis.get("approximateArrivalTimestamp")),
        partition_key=partition_key if isinstance(partition_key, str) else None,
    )


def _set_aside(record: Any, sequence: Any, fault: str) -> UnitOfWork:
    """The unit of a record the decoder cannot read, with its sequence number if it has one. A
    record that is not even an object is kept under "record", so its fault id tells it apart."""
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
