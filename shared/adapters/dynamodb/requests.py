"""DynamoDB requests written straight to JSON.

botocore builds the body of a JSON-protocol request by walking every parameter against the
service's model, only to turn binary values into base64 and leave everything else as it is; for
the listener's TransactWriteItems (every user list and aggregate of a batch) that walk was the
largest part of its CPU after the list arithmetic. For DynamoDB's operations the walk changes
nothing but the binaries, so `json.dumps` with base64 for bytes writes the same body: a test
compares them, byte for byte, for every operation listed here.
"""

import base64
import json
from typing import Any

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


def write_plainly(client: Any) -> Any:
    """`client` (a DynamoDB client) writing the bodies of PLAIN_OPERATIONS itself."""
    client._serializer = PlainJSONSerializer()
    return client
