"""Metrics in CloudWatch's embedded metric format (EMF): a JSON log line that CloudWatch Logs turns
into metrics, with no API call and no agent in the function.

    {"_aws": {"Timestamp": 1700000000000,
              "CloudWatchMetrics": [{"Namespace": "ListManager",
                                     "Dimensions": [["function", "stage"]],
                                     "Metrics": [{"Name": "RecordsReceived", "Unit": "Count"}]}]},
     "function": "listener", "stage": "dev", "RecordsReceived": 4}

Hand-written rather than Powertools' Metrics: the format is this small, and Powertools costs the
listener ~35 ms more at a cold start without bytecode (~5 ms with), 7.6 MB in the package
(docs/operating.md). Stream functions write one document per batch (`batch_metrics`), the
API one per request (`request_metrics`); alarms in serverless.yml read them by these names.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared import logs

NAMESPACE = "ListManager"
COUNT = "Count"
MILLISECONDS = "Milliseconds"
MAX_METRICS = 100
"""EMF's limit on metrics in one directive."""


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    value: float


@dataclass(frozen=True)
class MetricSet:
    """Metrics that share one set of dimensions (names and values)."""

    dimensions: Mapping[str, str]
    metrics: Sequence[Metric]


def emf_document(sets: Sequence[MetricSet], timestamp_ms: int) -> dict[str, Any]:
    """One EMF document for `sets`: a directive each, every dimension and metric as a member.
    A dimension or metric name appearing in two sets must have one value: members are shared."""
    members: dict[str, Any] = {}
    directives = []
    for metric_set in sets:
        members.update(metric_set.dimensions)
        metrics = list(metric_set.metrics)[:MAX_METRICS]
        members.update({metric.name: metric.value for metric in metrics})
        directives.append(
            {
                "Namespace": NAMESPACE,
                "Dimensions": [list(metric_set.dimensions)],
                "Metrics": [{"Name": metric.name, "Unit": metric.unit} for metric in metrics],
            }
        )
    return {"_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": directives}, **members}


def emit(sets: Sequence[MetricSet], timestamp_ms: int) -> dict[str, Any]:
    """Writes the document as a log line of its own (whatever the log level) and returns it."""
    document = emf_document([metric_set for metric_set in sets if metric_set.metrics], timestamp_ms)
    logs.document(document)
    return document


def batch_metrics(
    function: str,
    stage: str,
    outcomes: Mapping[str, int],
    published: int,
    duration_ms: float,
    iterator_age: float | None,
) -> MetricSet:
    """A stream function's metrics for one batch. `outcomes` counts records as
    services/listener/handler.summary does (records, applied, superseded, duplicate, faults,
    failed); the trigger has only records, faults and failed."""
    metrics = [
        Metric("RecordsReceived", COUNT, outcomes.get("records", 0)),
        Metric("RecordsApplied", COUNT, outcomes.get("applied", 0)),
        Metric("RecordsSuperseded", COUNT, outcomes.get("superseded", 0)),
        Metric("RecordsDuplicate", COUNT, outcomes.get("duplicate", 0)),
        Metric("RecordsFaulted", COUNT, outcomes.get("faults", 0)),
        Metric("RecordsFailed", COUNT, outcomes.get("failed", 0)),
        Metric("EventsPublished", COUNT, published),
        Metric("BatchDurationMs", MILLISECONDS, round(duration_ms, 1)),
    ]
    if iterator_age is not None:
        metrics.append(Metric("IteratorAgeMs", MILLISECONDS, iterator_age))
    return MetricSet({"function": function, "stage": stage}, metrics)


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def request_metrics(
    function: str, stage: str, status: int, duration_ms: float, wait_ms: float | None
) -> list[MetricSet]:
    """The API's metrics for one request: `Requests` by status class (2xx, 4xx, 5xx) and its
    duration, and `WaitMs` (by function and stage only) when it waited with `Prefer: wait`."""
    by_status = MetricSet(
        {"function": function, "stage": stage, "statusClass": status_class(status)},
        [Metric("Requests", COUNT, 1), Metric("RequestDurationMs", MILLISECONDS, round(duration_ms, 1))],
    )
    waited = [] if wait_ms is None else [Metric("WaitMs", MILLISECONDS, round(wait_ms, 1))]
    return [by_status, MetricSet({"function": function, "stage": stage}, waited)]
