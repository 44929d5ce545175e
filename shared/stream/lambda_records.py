"""From what boto3 reads off a stream to what Lambda delivers: binary values in base64 and times
as epoch seconds. Shared by the local mappings and the admin function's re-drive, which both build
Lambda events from GetRecords."""

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any


def binary_as_base64(value: Any) -> Any:
    """boto3 decodes B and BS attribute values to bytes; Lambda's event carries them in base64."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Mapping):
        return {key: binary_as_base64(item) for key, item in value.items()}
    if isinstance(value, list):
        return [binary_as_base64(item) for item in value]
    return value


def epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)
