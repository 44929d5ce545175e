"""Decoding and validating a 1,000-record Kinesis event, per record: ours (from_kinesis, then the
event's model) vs Powertools' parser (its Kinesis models, the data as Json[Submission], as
bench/powertools_listener.py parses it). Same workload, same validation rules (the Submission
model); ours also checks for duplicate JSON keys and builds the envelope of a bare submission."""

import statistics
import time
from collections.abc import Callable

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import KinesisDataStreamModel

from bench.powertools_listener import SubmissionRecord
from bench.results import Figure, cost
from bench.workload import submissions
from shared.events.testing import kinesis_event
from shared.events.validation import parse_event
from shared.stream.decoders import from_kinesis

RECORDS = 1000


class SubmissionEvent(KinesisDataStreamModel):
    Records: list[SubmissionRecord]  # type: ignore[assignment]


def figure(repeats: int) -> Figure:
    event = kinesis_event(list(submissions(RECORDS, seed=11)), arrival=time.time())

    def ours() -> None:
        for unit in from_kinesis(event):
            parse_event(unit.event)

    def theirs() -> None:
        parse(event=event, model=SubmissionEvent)

    ours_us, theirs_us = _median_us((ours, theirs), repeats)
    print(f"   decode+validate: ours {ours_us:.1f} µs/record, Powertools parser {theirs_us:.1f}", flush=True)
    return cost("decode_us_per_record_vs_powertools", "µs / record (1,000-record event)", ours_us, theirs_us)


def _median_us(functions: tuple[Callable[[], None], ...], repeats: int) -> list[float]:
    """Each function's median CPU time (this thread's) per record, over passes that take them in
    turn: on a machine shared with other work, a burst of load then weighs on both sides alike and
    time spent waiting for a core counts for neither."""
    durations: list[list[float]] = [[] for _ in functions]
    for function in functions:
        function()  # warm: first-use costs (pydantic's schema build) are the cold start's business
    for _ in range(max(3, repeats)):
        for function, taken in zip(functions, durations, strict=True):
            started = time.thread_time()
            function()
            taken.append(time.thread_time() - started)
    return [statistics.median(taken) / RECORDS * 1e6 for taken in durations]
