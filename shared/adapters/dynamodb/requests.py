"""DynamoDB requests written straight to JSON, and the items of its reads' answers read straight
from it.

botocore builds the body of a JSON-protocol request by walking every parameter against the
service's model, only to turn binary values into base64 and leave everything else as it is; for
the listener's TransactWriteItems (every user list and aggregate of a batch) that walk was the
largest part of its CPU after the list arithmetic. For DynamoDB's operations the walk changes
nothing but the binaries, so `json.dumps` with base64 for bytes writes the same body: a test
compares them, byte for byte, for every operation listed here.

The same holds of the answers: botocore reads every attribute of every item a read returns
against the model, where only the binaries change (from base64). `PlainJSONParser` reads the
items of GetItem, BatchGetItem, Query and Scan itself and leaves the rest of each answer, and any
answer it does not recognise, to botocore; a property test holds the two to the same result.
"""

import base64
import json
from typing import Any

from botocore.parsers import JSONParser, ResponseParserFactory
from botocore.serialize import JSONSerializer

PLAIN_OPERATIONS = frozenset(
    {
        "TransactWriteItems",
        "BatchGetItem",
        "BatchWriteItem",
        "GetItem",
        "PutItem",
        "DeleteItem",
        "Query",
        "Scan",
    }
)


class PlainJSONSerializer(JSONSerializer):  # type: ignore[misc]  # botocore ships no types
    def serialize_to_request(self, parameters: Any, operation_model: Any) -> dict[str, Any]:
        if operation_model.name not in PLAIN_OPERATIONS:
            serialized: dict[str, Any] = super().serialize_to_request(parameters, operation_model)
            return serialized
        request: dict[str, Any] = self._create_default_request()
        request["method"] = operation_model.http.get("method", self.DEFAULT_METHOD)
        request["headers"] = {
            "X-Amz-Target": f"{operation_model.metadata['targetPrefix']}.{operation_model.name}",
            "Content-Type": f"application/x-amz-json-{operation_model.metadata['jsonVersion']}",
        }
        request["body"] = json.dumps(parameters, default=_base64).encode(self.DEFAULT_ENCODING)
        return request


def _base64(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not a DynamoDB request value")


ITEM_MEMBERS = {
    "GetItemOutput": {"Item": "item"},
    "BatchGetItemOutput": {"Responses": "items by table"},
    "QueryOutput": {"Items": "items", "LastEvaluatedKey": "item"},
    "ScanOutput": {"Items": "items", "LastEvaluatedKey": "item"},
}
"""Of each read's answer, the members that hold items, and how."""


class NotPlain(Exception):
    """An answer holding what only botocore's model-driven reading knows what to do with."""


class PlainJSONParser(JSONParser):  # type: ignore[misc]
    def _do_parse(self, response: dict[str, Any], shape: Any) -> Any:
        members = ITEM_MEMBERS.get(shape.name) if shape is not None else None
        if members is None:
            return super()._do_parse(response, shape)
        body = self._parse_body_as_json(response["body"])
        try:
            parsed = {name: self._member(shape, members, name, value) for name, value in body.items()}
        except NotPlain:
            return super()._do_parse(response, shape)
        self._inject_response_metadata(parsed, response["headers"])
        return parsed

    def _member(self, shape: Any, members: dict[str, str], name: str, value: Any) -> Any:
        if name not in shape.members or value is None:
            raise NotPlain(name)  # botocore drops what the model lacks, and nulls
        holds = members.get(name)
        if holds == "item":
            return self._item(value)
        if holds == "items":
            return [self._item(item) for item in _list(value)]
        if holds == "items by table":
            return {
                table: [self._item(item) for item in _list(items)] for table, items in _map(value).items()
            }
        return self._parse_shape(shape.members[name], value)

    def _item(self, item: Any) -> dict[str, Any]:
        return {name: self._value(value) for name, value in _map(item).items()}

    def _value(self, value: Any) -> dict[str, Any]:
        if len(_map(value)) != 1:
            raise NotPlain("an attribute value of other than one type")
        ((kind, content),) = value.items()
        if content is None:
            raise NotPlain(kind)
        if kind in ("S", "N", "BOOL", "NULL"):
            return value  # type: ignore[no-any-return]
        if kind in ("SS", "NS"):
            _list(content)
            return value  # type: ignore[no-any-return]
        if kind == "B":
            return {"B": self._blob(content)}
        if kind == "M":
            return {"M": self._item(content)}
        if kind == "L":
            return {"L": [self._value(member) for member in _list(content)]}
        if kind == "BS":
            return {"BS": [self._blob(blob) for blob in _list(content)]}
        raise NotPlain(kind)

    def _blob(self, content: Any) -> bytes:
        if type(content) is not str:
            raise NotPlain("a binary that is not base64 text")
        blob: bytes = self._blob_parser(content)
        return blob


def _list(value: Any) -> list[Any]:
    """`value` if JSON made it a list; anything else is botocore's to read (or to refuse)."""
    if type(value) is not list:
        raise NotPlain("a list expected")
    return value


def _map(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise NotPlain("a map expected")
    return value


class _PlainParsers(ResponseParserFactory):  # type: ignore[misc]
    """The client's parser factory, with its defaults, making PlainJSONParser for JSON."""

    def __init__(self, defaults: dict[str, Any]) -> None:
        super().__init__()
        self._defaults = dict(defaults)

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "json":
            return PlainJSONParser(**self._defaults)
        return super().create_parser(protocol_name)


def write_plainly(client: Any) -> Any:
    """`client` (a DynamoDB client) writing the bodies of PLAIN_OPERATIONS itself and reading
    the items of its reads' answers itself."""
    client._serializer = PlainJSONSerializer()
    endpoint = client._endpoint
    endpoint._response_parser_factory = _PlainParsers(endpoint._response_parser_factory._defaults)
    return client
