"""Error handling: retries, bisect, maximum record age, with a function that is a plain callable."""

import threading
from collections.abc import Callable, Sequence

from listmgr.runtime.mappings.invocation import Outcome
from listmgr.runtime.mappings.records import StreamRecord
from listmgr.runtime.mappings.retries import Discarded, RetryPolicy, settle

NOW = 1_000_000.0


def records(*names: str, arrival: float = NOW) -> list[StreamRecord]:
    return [
        StreamRecord("shard", str(number), arrival, name, {"name": name}, 10)
        for number, name in enumerate(names, 1)
    ]


def names(batch: Sequence[StreamRecord]) -> list[str]:
    return [record.partition_key for record in batch]


class Run:
    """settle() over a batch, keeping what it invoked, finished and discarded."""

    def __init__(self, function: Callable[[list[str]], Outcome], policy: RetryPolicy) -> None:
        self.function = function
        self.policy = policy
        self.invoked: list[list[str]] = []
        self.done: list[str] = []
        self.discarded: list[Discarded] = []

    def __call__(self, batch: list[StreamRecord], stopping: threading.Event | None = None) -> "Run":
        def invoke(attempt: Sequence[StreamRecord]) -> Outcome:
            self.invoked.append(names(attempt))
            return self.function(names(attempt))

        settle(
            batch,
            invoke,
            self.policy,
            lambda: NOW,
            stopping or threading.Event(),
            lambda finished: self.done.extend(names(finished)),
            self.discarded.append,
        )
        return self


def raises_on(poison: str) -> Callable[[list[str]], Outcome]:
    return lambda batch: Outcome(0, "Unhandled") if poison in batch else Outcome(None)


def reports(failing: str) -> Callable[[list[str]], Outcome]:
    return lambda batch: Outcome(batch.index(failing)) if failing in batch else Outcome(None)


def test_bisect_isolates_a_poison_record_and_splits_are_not_retries() -> None:
    run = Run(raises_on("e"), RetryPolicy(0, 3600, bisect=True))(records(*"abcdefgh"))
    assert run.done == list("abcdfgh")
    (discarded,) = run.discarded
    assert names(discarded.records) == ["e"]
    assert (discarded.condition, discarded.invoke_count, discarded.function_error) == (
        "RetryAttemptsExhausted",
        1,
        "Unhandled",
    )
    assert run.invoked[:3] == [list("abcdefgh"), list("abcd"), list("efgh")]


def test_without_bisect_the_whole_batch_is_retried_then_discarded() -> None:
    run = Run(raises_on("b"), RetryPolicy(2, 3600, bisect=False))(records(*"abc"))
    assert run.invoked == [list("abc")] * 3
    (discarded,) = run.discarded
    assert names(discarded.records) == list("abc") and discarded.invoke_count == 3
    assert run.done == []


def test_a_partial_failure_is_a_retry_of_the_tail() -> None:
    run = Run(reports("c"), RetryPolicy(1, 3600, bisect=False))(records(*"abcd"))
    assert run.invoked == [list("abcd"), list("cd")]
    assert run.done == list("ab")
    (discarded,) = run.discarded
    assert names(discarded.records) == list("cd") and discarded.invoke_count == 2
    assert discarded.function_error is None


def test_with_bisect_a_partial_failure_splits_at_the_reported_record() -> None:
    run = Run(reports("c"), RetryPolicy(0, 3600, bisect=True))(records(*"abcd"))
    assert run.invoked == [list("abcd"), list("cd"), ["c"], ["d"]]
    assert run.done == list("abd")
    assert [names(discarded.records) for discarded in run.discarded] == [["c"]]


def test_unlimited_retries_go_on_until_it_succeeds() -> None:
    calls = iter([Outcome(0, "Unhandled")] * 3 + [Outcome(None)])
    run = Run(lambda _: next(calls), RetryPolicy(-1, 3600, bisect=False))(records(*"ab"))
    assert len(run.invoked) == 4 and run.done == list("ab") and not run.discarded


def test_records_over_the_maximum_age_are_discarded_before_invoking() -> None:
    batch = records("old", arrival=NOW - 61) + records("new")
    run = Run(lambda _: Outcome(None), RetryPolicy(-1, 60, bisect=False))(batch)
    assert run.invoked == [["new"]] and run.done == ["new"]
    (discarded,) = run.discarded
    assert names(discarded.records) == ["old"] and discarded.condition == "RecordAgeExceeded"


def test_stopping_leaves_the_rest_for_the_next_run() -> None:
    stopping = threading.Event()

    def fail_then_stop(_: list[str]) -> Outcome:
        stopping.set()
        return Outcome(0, "Unhandled")

    run = Run(fail_then_stop, RetryPolicy(-1, 3600, bisect=False))(records(*"ab"), stopping)
    assert run.invoked == [["a", "b"]] and run.done == [] and run.discarded == []
