"""Enhanced fan-out on the local endpoint: consumers are registered, their push is refused clearly.

moto registers, describes, lists and deregisters stream consumers, but has no SubscribeToShard
(the HTTP/2 event stream that pushes a shard's records to a consumer): it raised
NotImplementedError, which its server turned into an empty 500, with a traceback in the stack's
log for every call, and the SDKs showed an opaque error (`500` in boto3, `UnknownError` in the
JavaScript SDK). Here SubscribeToShard answers an error in Kinesis's own JSON shape, which every
SDK surfaces with its message: HTTP 501 with `__type` `NotImplemented` (the code and status AWS
uses for a feature a service does not implement), which neither boto3 nor the JavaScript SDK
retries.
"""

from typing import Any

NOT_SERVED = (
    "SubscribeToShard (enhanced fan-out's event stream) is not served by the local endpoint of "
    "`listmgr up`; the consumer is registered, but read the shard with GetShardIterator and "
    "GetRecords instead (as the local event source mappings read a `consumer:` stream event). "
    "See the list manager's docs/local-stack.md, 'Other clients against the local endpoint'."
)


def refuse_subscribe_to_shard() -> None:
    """SubscribeToShard on moto's Kinesis answers NOT_SERVED as a JSON error, with no traceback."""
    from moto.core.exceptions import JsonRESTError  # noqa: PLC0415 - only the local stack imports moto
    from moto.kinesis.responses import KinesisResponse  # noqa: PLC0415

    class FanOutNotServed(JsonRESTError):
        code = 501

        def __init__(self) -> None:
            super().__init__(error_type="NotImplemented", message=NOT_SERVED)

    def subscribe_to_shard(_: Any) -> str:
        raise FanOutNotServed()

    # moto dispatches a request to the method named after its action.
    setattr(KinesisResponse, "subscribe_to_shard", subscribe_to_shard)  # noqa: B010 - a foreign class
