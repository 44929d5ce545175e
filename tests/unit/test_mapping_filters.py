"""Lambda event filtering, rule by rule."""

import base64
import json
from typing import Any

import pytest

from listmgr.runtime.mappings.filters import FilterCriteria, InvalidPattern, check, matches
from listmgr.runtime.mappings.records import DYNAMODB, KINESIS, StreamRecord


def kinesis(data: bytes, partition_key: str = "p") -> StreamRecord:
    event_record = {
        "kinesis": {
            "partitionKey": partition_key,
            "sequenceNumber": "1",
            "data": base64.b64encode(data).decode(),
        }
    }
    return StreamRecord("shard", "1", 0.0, partition_key, event_record, 0)


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (["a", "b"], "b", True),
        (["a"], "A", False),
        ([5], 5.0, True),
        ([1], True, False),
        ([None], None, True),
        ([""], "", True),
        ([{"prefix": "us-"}], "us-east", True),
        ([{"prefix": "us-"}], "eu-west", False),
        ([{"suffix": ".png"}], "a.png", True),
        ([{"equals-ignore-case": "ALICE"}], "alice", True),
        ([{"anything-but": ["a", "b"]}], "c", True),
        ([{"anything-but": ["a", "b"]}], "a", False),
        ([{"anything-but": "a"}], "b", True),
        ([{"anything-but": {"prefix": "x"}}], "xy", False),
        ([{"numeric": [">", 0, "<=", 5]}], 5, True),
        ([{"numeric": [">", 0, "<=", 5]}], 0, False),
        ([{"numeric": ["=", 0.1]}], 0.1, True),
        ([{"numeric": [">", 0]}], "7", False),
        ([{"exists": True}], "anything", True),
        ([{"exists": False}], "anything", False),
        (["b"], ["a", "b"], True),
    ],
)
def test_a_rule_on_a_present_field(rule: list[Any], value: Any, expected: bool) -> None:
    assert matches({"field": rule}, {"field": value}) is expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ([{"exists": False}], True),
        ([{"exists": True}], False),
        ([None], False),
        ([{"anything-but": "a"}], False),
    ],
)
def test_a_rule_on_a_missing_field(rule: list[Any], expected: bool) -> None:
    assert matches({"field": rule}, {"other": 1}) is expected


def test_nested_patterns_and_or() -> None:
    pattern = {"order": {"type": ["buy"], "quantity": [{"numeric": [">=", 100]}]}}
    assert matches(pattern, {"order": {"type": "buy", "quantity": 100}})
    assert not matches(pattern, {"order": {"type": "buy", "quantity": 99}})
    assert matches({"order": {"missing": [{"exists": False}]}}, {})
    either = {"$or": [{"a": [1]}, {"b": [2]}]}
    assert matches(either, {"b": 2}) and not matches(either, {"a": 2})


def test_kinesis_patterns_match_the_decoded_data_and_never_data_that_is_not_json() -> None:
    criteria = FilterCriteria(KINESIS, [{"data": {"kind": ["keep"]}}])
    assert criteria.accepts(kinesis(json.dumps({"kind": "keep"}).encode()))
    assert not criteria.accepts(kinesis(b"not json"))
    assert not FilterCriteria(KINESIS, [{"data": {"kind": [{"exists": False}]}}]).accepts(kinesis(b"\xff"))
    assert FilterCriteria(KINESIS, [{"partitionKey": ["p"]}]).accepts(kinesis(b"\xff"))
    assert FilterCriteria(KINESIS, []).accepts(kinesis(b"anything"))


# What travels on the list manager's stream besides its events, and the filter docs/events.md
# gives subscribers: only the published events pass.
PUBLISHED = FilterCriteria(
    KINESIS, [{"data": {"type": [{"prefix": "user-list-"}, {"prefix": "aggregate-list-"}, "fault"]}}]
)


@pytest.mark.parametrize(
    ("data", "delivered"),
    [
        (b'{"id": "e1", "type": "aggregate-list-updated", "list": {}}', True),
        (b'{"id": "e2", "type": "user-list-deleted", "list": {}}', True),
        (b'{"id": "e3", "type": "fault", "fault": {}}', True),
        # A bare submission: its type is the list's, and it has no id.
        (b'{"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 83}}', False),
        (b'{"title": "movies", "user": "mike", "type": "rank", "entries": {"alien": 1}}', False),
        (b'{"id": "e4", "type": "list-update-submitted", "update": {}}', False),
        (b"not json", False),
        (b"\xff\xfe", False),
        (b'"aggregate-list-updated"', False),
        (b"[1, 2]", False),
        (b'[{"type": "tally"}]', False),
        # An array of objects is matched element by element: one published type lets it through.
        (b'[{"type": "aggregate-list-updated"}]', True),
    ],
)
def test_the_documented_filter_passes_only_records_typed_as_published_events(
    data: bytes, delivered: bool
) -> None:
    assert PUBLISHED.accepts(kinesis(data)) is delivered


def test_a_nested_pattern_matches_an_array_of_objects_one_object_at_a_time() -> None:
    pattern = {"items": {"kind": ["a"], "size": [1]}}
    assert matches(pattern, {"items": [{"kind": "b", "size": 1}, {"kind": "a", "size": 1}]})
    # Both fields must hold in the same object, not across two.
    assert not matches(pattern, {"items": [{"kind": "a", "size": 2}, {"kind": "b", "size": 1}]})
    assert not matches(pattern, {"items": ["a", 1]})


def test_dynamodb_patterns_match_the_record_as_delivered() -> None:
    event_record = {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "keep-1"}}}}
    record = StreamRecord("shard", "1", 0.0, "k", event_record, 0)
    assert FilterCriteria(DYNAMODB, [{"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "keep"}]}}}}]).accepts(
        record
    )
    assert not FilterCriteria(DYNAMODB, [{"eventName": ["REMOVE"]}]).accepts(record)


@pytest.mark.parametrize(
    "pattern",
    [
        {},
        {"a": "b"},
        {"a": []},
        {"a": [["nested"]]},
        {"a": [{"prefix": 1}]},
        {"a": [{"numeric": [">"]}]},
        {"a": [{"numeric": ["~", 1]}]},
        {"a": [{"unknown": 1}]},
        {"a": [{"prefix": "x", "suffix": "y"}]},
        {"$or": [{"a": [1]}]},
    ],
)
def test_patterns_lambda_would_refuse(pattern: Any) -> None:
    with pytest.raises(InvalidPattern):
        check(pattern)
