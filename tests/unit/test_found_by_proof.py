"""Regression tests for what the proof's corpus and stateful test found (docs/reliability.md)."""

import pytest

from services.listener.function import listener
from shared.events.codec import NotJson, dumps, loads
from shared.events.testing import kinesis_record
from shared.events.validation import InvalidEvent, parse_event
from shared.stream.decoders import kinesis_unit
from shared.stream.faults import fault_event
from shared.stream.publish import MAX_RECORD_BYTES
from tests.support.ports import TAGS, in_memory

SUBMISSION = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 1}}


@pytest.mark.parametrize("text", ['{"a": 1, "a": 2}', '{"x": [{"b": 1, "b": 1}]}'])
def test_a_duplicate_key_anywhere_is_not_json(text: str) -> None:
    # Was read with the last value winning: {"user": "bill", "user": "beth"} changed beth's list.
    with pytest.raises(NotJson, match="duplicate key"):
        loads(text)


def test_the_fault_event_of_a_record_with_a_1_mib_key_fits_a_kinesis_record() -> None:
    # The schema violation's location quoted the whole key: a fault event over 1 MiB, refused by
    # Kinesis on every retry, which would have blocked the shard.

    step = listener(in_memory(), TAGS)
    huge = dumps({**SUBMISSION, "entries": {"k" * 1024 * 1024: 1}})
    (unit,) = step([kinesis_unit(kinesis_record(huge, 1))])
    event = fault_event(unit, {})
    assert "at most 128 characters" in event["fault"]["reason"]
    assert len(dumps(event).encode()) < MAX_RECORD_BYTES


def test_the_fault_event_of_an_event_whose_id_is_a_lone_surrogate_encodes() -> None:
    # Encoding it raised UnicodeEncodeError: the batch failed on every retry.
    data = b'{"id":"e\\ud800","type":"list-update-submitted","timestamp":1699999999000,"update":{}}'
    unit = kinesis_unit(kinesis_record(data, 1))._replace(fault="schema violation")
    event = fault_event(unit, {})
    assert event["fault"]["id"] == "shardId-000000000000:1"  # the record's eventID instead
    dumps(event).encode()


def test_a_string_timestamp_is_a_fault_not_a_number() -> None:

    with pytest.raises(InvalidEvent, match="timestamp"):
        parse_event(
            {"id": "e", "type": "list-update-submitted", "timestamp": "1699999999000", "update": SUBMISSION}
        )
