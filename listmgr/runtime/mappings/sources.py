"""Event sources: a function's `- stream:` events in serverless.yml, read into typed options.

Each option keeps the name and the default the Serverless Framework and Lambda give it, and is
checked against the range Lambda's CreateEventSourceMapping accepts, so a serverless.yml that AWS
would reject fails here too, with the option and the reason named.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from listmgr.runtime.mappings.filters import InvalidPattern, check
from listmgr.runtime.mappings.records import DYNAMODB, KINESIS

STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
MAX_FILTER_PATTERN_LENGTH = 4096


class InvalidSource(ValueError):
    """A `- stream:` event that Lambda would refuse to create."""


@dataclass(frozen=True)
class StreamSource:
    """One `- stream:` event of a function, resolved against the deployed resources."""

    function_key: str
    kind: str
    """`kinesis` or `dynamodb`."""
    arn: str
    batch_size: int = 100
    batch_window: float = 0.0
    """MaximumBatchingWindowInSeconds: how long to gather records before invoking."""
    starting_position: str = "TRIM_HORIZON"
    starting_position_timestamp: float | None = None
    """Epoch seconds, for AT_TIMESTAMP."""
    enabled: bool = True
    maximum_retry_attempts: int = -1
    """-1: retry until the records expire."""
    maximum_record_age: int = -1
    """Seconds; -1: until the records expire from the stream."""
    bisect: bool = False
    report_batch_item_failures: bool = False
    on_failure: str | None = None
    """ARN of the SQS queue or SNS topic that receives the invocation record of discarded batches."""
    parallelization_factor: int = 1
    tumbling_window: int = 0
    """Seconds; 0: no windows."""
    filter_patterns: tuple[Mapping[str, Any], ...] = ()

    @property
    def described(self) -> str:
        """`kinesis <stream>` or `dynamodb <table>`: which stream, in a word, for people."""
        resource = self.arn.split(":", 5)[-1].split("/")
        return f"{self.kind} {resource[1] if len(resource) > 1 else self.arn}"

    @property
    def stream_name(self) -> str:
        """The Kinesis stream's name (moto ties shard iterators to the name they were asked with)."""
        return self.arn.rsplit("/", 1)[-1]


def sources_of(function_key: str, events: Sequence[Any], resolve: Callable[[Any], Any]) -> list[StreamSource]:
    """The stream sources among a function's events; `resolve` turns `!GetAtt`/`!Ref` into values."""
    return [
        _source(function_key, event["stream"], resolve)
        for event in events
        if isinstance(event, Mapping) and event.get("stream") is not None
    ]


def _source(function_key: str, declared: Any, resolve: Callable[[Any], Any]) -> StreamSource:
    stream: Mapping[str, Any] = declared if isinstance(declared, Mapping) else {"arn": declared}
    where = f"functions.{function_key}.events.stream"
    arn = resolve(stream.get("arn"))
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise InvalidSource(f"{where}.arn: {stream.get('arn')!r} does not resolve to a stream ARN")
    kind = str(stream.get("type") or (DYNAMODB if ":dynamodb:" in arn else KINESIS))
    source = StreamSource(
        function_key=function_key,
        kind=kind,
        arn=arn,
        batch_size=int(stream.get("batchSize", 100)),
        batch_window=float(stream.get("batchWindow", 0)),
        starting_position=str(stream.get("startingPosition", "TRIM_HORIZON")),
        starting_position_timestamp=_epoch(stream.get("startingPositionTimestamp")),
        enabled=bool(stream.get("enabled", True)),
        maximum_retry_attempts=int(stream.get("maximumRetryAttempts", -1)),
        maximum_record_age=int(stream.get("maximumRecordAgeInSeconds", -1)),
        bisect=bool(stream.get("bisectBatchOnFunctionError", False)),
        report_batch_item_failures=stream.get("functionResponseType") == "ReportBatchItemFailures",
        on_failure=_destination(stream.get("destinations"), resolve, where),
        parallelization_factor=int(stream.get("parallelizationFactor", 1)),
        tumbling_window=int(stream.get("tumblingWindowInSeconds", 0)),
        filter_patterns=tuple(_pattern(pattern, where) for pattern in stream.get("filterPatterns") or ()),
    )
    _check(source, where)
    return source


def _destination(destinations: Any, resolve: Callable[[Any], Any], where: str) -> str | None:
    declared = (destinations or {}).get("onFailure")
    if declared is None:
        return None
    arn = resolve(declared.get("arn") if isinstance(declared, Mapping) else declared)
    if not isinstance(arn, str) or not arn.startswith(("arn:aws:sqs:", "arn:aws:sns:")):
        raise InvalidSource(
            f"{where}.destinations.onFailure: {declared!r} is not the ARN of an SQS queue or SNS topic"
        )
    return arn


def _pattern(pattern: Any, where: str) -> Mapping[str, Any]:
    try:
        check(pattern, f"{where}.filterPatterns")
    except InvalidPattern as error:
        raise InvalidSource(str(error)) from error
    if len(json.dumps(pattern)) > MAX_FILTER_PATTERN_LENGTH:
        raise InvalidSource(
            f"{where}.filterPatterns: a pattern has at most {MAX_FILTER_PATTERN_LENGTH} characters"
        )
    return dict(pattern)


def _epoch(value: Any) -> float | None:
    """startingPositionTimestamp: epoch seconds (a number, or a string of one from a ${param:...})
    or an ISO 8601 time."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _check(source: StreamSource, where: str) -> None:
    problems = [
        (source.kind in (KINESIS, DYNAMODB), f"type must be kinesis or dynamodb, not {source.kind!r}"),
        (1 <= source.batch_size <= 10_000, "batchSize must be 1 to 10000"),
        (0 <= source.batch_window <= 300, "batchWindow must be 0 to 300 seconds"),
        (
            source.starting_position in STARTING_POSITIONS,
            f"startingPosition must be one of {STARTING_POSITIONS}",
        ),
        (
            source.starting_position != "AT_TIMESTAMP" or source.kind == KINESIS,
            "startingPosition AT_TIMESTAMP is for Kinesis streams only (Lambda refuses it for DynamoDB)",
        ),
        (
            source.starting_position != "AT_TIMESTAMP" or source.starting_position_timestamp is not None,
            "startingPosition AT_TIMESTAMP needs startingPositionTimestamp",
        ),
        (-1 <= source.maximum_retry_attempts <= 10_000, "maximumRetryAttempts must be -1 to 10000"),
        (
            source.maximum_record_age == -1 or 60 <= source.maximum_record_age <= 604_800,
            "maximumRecordAgeInSeconds must be -1 or 60 to 604800",
        ),
        (1 <= source.parallelization_factor <= 10, "parallelizationFactor must be 1 to 10"),
        (0 <= source.tumbling_window <= 900, "tumblingWindowInSeconds must be 0 to 900"),
    ]
    for ok, reason in problems:
        if not ok:
            raise InvalidSource(f"{where} of {source.arn}: {reason}")
