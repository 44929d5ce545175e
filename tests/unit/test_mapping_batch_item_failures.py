"""ReportBatchItemFailures: every success and failure condition of Lambda's documentation."""

from typing import Any

import pytest

from listmgr.runtime.mappings.batch_item_failures import first_failure

BATCH = ["101", "102", "103", "104"]


@pytest.mark.parametrize(
    "response",
    [None, {}, {"batchItemFailures": None}, {"batchItemFailures": []}, "not an object", {"other": 1}],
)
def test_complete_success(response: Any) -> None:
    assert first_failure(response, BATCH) is None


@pytest.mark.parametrize(
    "failures",
    [
        [{"itemIdentifier": ""}],
        [{"itemIdentifier": None}],
        [{"itemId": "102"}],
        [{"itemIdentifier": "999"}],
        [{"itemIdentifier": "103"}, {"itemIdentifier": "bad"}],
        ["102"],
        {"itemIdentifier": "102"},
    ],
)
def test_complete_failure(failures: Any) -> None:
    assert first_failure({"batchItemFailures": failures}, BATCH) == 0


def test_partial_failure_from_the_lowest_reported_record() -> None:
    response = {"batchItemFailures": [{"itemIdentifier": "104"}, {"itemIdentifier": "102"}]}
    assert first_failure(response, BATCH) == 1


def test_sequence_numbers_compare_as_numbers() -> None:
    assert first_failure({"batchItemFailures": [{"itemIdentifier": "9"}]}, ["8", "9", "10"]) == 1
