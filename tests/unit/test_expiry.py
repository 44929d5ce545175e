"""Which items DynamoDB's Time to Live deletes: a Number of epoch seconds in the past, no more than
five years back; anything else stays (listmgr.runtime.expiry)."""

import argparse

import pytest

from listmgr.cli.main import build_parser
from listmgr.runtime.expiry import OLDEST_SECONDS, expired

NOW = 1_800_000_000.5


@pytest.mark.parametrize(
    ("value", "goes"),
    [
        ({"N": "1800000000"}, True),
        ({"N": "1800000000.4"}, True),
        ({"N": "1800000000.5"}, False),  # not yet: the time must be in the past
        ({"N": "1800000001"}, False),
        ({"N": str(int(NOW - OLDEST_SECONDS))}, False),  # a hair over five years back
        ({"N": str(int(NOW - OLDEST_SECONDS) + 1)}, True),
        ({"N": "-1"}, False),
        ({"N": "1.8E+9"}, True),
        ({"S": "1700000000"}, False),
        ({"NS": ["1700000000"]}, False),
        ({"N": "NaN"}, False),
        ({"N": "soon"}, False),
        ({"N": "1700000000", "S": "x"}, False),
    ],
)
def test_only_a_number_of_seconds_in_the_past_expires(value: dict[str, object], goes: bool) -> None:
    assert expired(value, NOW) is goes


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "soon"])
def test_the_sweep_period_is_a_number_of_seconds_above_zero(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["up", "--ttl-sweep-every", text])
    assert "is not a number of seconds above 0" in capsys.readouterr().err


def test_the_sweep_period_may_be_a_fraction_of_a_second() -> None:
    arguments: argparse.Namespace = build_parser().parse_args(["up", "--ttl-sweep-every", "0.2"])
    assert arguments.ttl_sweep_every == 0.2
