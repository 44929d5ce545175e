"""One number rule: a number the API accepts is one the listener applies, and a number the
listener would fault is a 422 from the API, with the same reason."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.listener.function import listener
from shared.events import submission
from shared.events.codec import loads
from shared.events.submission import Submission
from shared.events.testing import kinesis_record
from shared.stream.decoders import kinesis_unit
from tests.api_fakes import ADMIN_KEY, World, bearer
from tests.support.ports import TAGS, in_memory

STORABLE = [
    "99999999999999999999999999999999999999",  # 38 digits
    "-99999999999999999999999999999999999999",
    "1E+37",  # written out by the codec: 38 digits
    "1.2345678901234567890123456789012345678",  # 38 significant digits, not rounded on the way
    "1E-130",
    "9.9999999999999999999999999999999999999E-130",
    "-0",
    "1.50",
]
NOT_STORABLE = [
    "999999999999999999999999999999999999999",  # 39 digits
    "1E+38",  # 1 and 38 zeros once written out
    "1.23456789012345678901234567890123456789",  # 39 significant digits
    "1E+125",
    "1E+126",
    "1E-131",
    "1e400",
]


def body(value: str) -> bytes:
    return b'{"title":"t","user":"u","type":"tally","entries":{"x":%s}}' % value.encode()


def listener_fault(data: bytes) -> str | None:
    """What the listener says of one record: None when it applied it, else its fault."""
    step = listener(in_memory(), TAGS)
    (unit,) = step([kinesis_unit(kinesis_record(data, sequence_number=1))])
    assert unit.failed is None
    return unit.fault


def post(world: World, data: bytes) -> tuple[int, dict[str, object]]:
    response = world.client.post(
        "/lists", data=data, content_type="application/json", headers=bearer(ADMIN_KEY)
    )
    return response.status_code, loads(response.data)


@pytest.mark.parametrize("value", STORABLE)
def test_a_number_the_api_accepts_is_applied_by_the_listener_exactly(value: str) -> None:
    world = World()
    assert post(world, body(value))[0] == 202
    ((_, published),) = world.stream.records
    assert listener_fault(published) is None
    assert listener_fault(body(value)) is None  # the same document straight onto the stream
    world.apply()
    entries = loads(world.client.get("/lists/t/users/u").data)["entries"]
    assert entries["x"] == Decimal(value)


@pytest.mark.parametrize("value", NOT_STORABLE)
def test_a_number_the_listener_faults_is_422_with_the_same_reason(value: str) -> None:
    world = World()
    status, answer = post(world, body(value))
    assert status == 422 and world.stream.records == []
    reason = listener_fault(body(value))
    assert reason is not None
    message = answer["error"]["message"]  # type: ignore[index]
    assert message in reason, (message, reason)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_for_either(value: str) -> None:
    world = World()
    status, answer = post(world, body(value))
    assert status == 400 and answer["error"]["code"] == "invalid_json"  # type: ignore[index]
    assert "not a finite number" in (listener_fault(body(value)) or "")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e400, Decimal("NaN"), Decimal("-Infinity")])
def test_a_python_caller_cannot_pass_a_non_finite_number(value: float | Decimal) -> None:
    with pytest.raises(ValueError, match="finite number"):
        Submission.model_validate({"title": "t", "user": "u", "type": "tally", "entries": {"x": value}})


def test_minus_zero_is_zero() -> None:
    submission = Submission.model_validate(
        {"title": "t", "user": "u", "type": "tally", "entries": {"x": -0.0}}
    )
    assert str(submission.entries["x"]) == "0"


def _careful(value: object) -> Decimal | str:
    try:
        return submission._storable(submission._finite(submission._as_decimal(value)))
    except ValueError as error:
        return str(error)


def _short(value: object) -> Decimal | str:
    try:
        return submission._number(value)
    except ValueError as error:
        return str(error)


LIMIT = 10**38


@given(
    st.one_of(
        st.integers(),
        st.integers(min_value=LIMIT - 3, max_value=LIMIT + 3),
        st.integers(min_value=-LIMIT - 3, max_value=-LIMIT + 3),
        st.booleans(),
        st.decimals(),
        st.floats(),
    )
)
def test_a_whole_number_takes_the_short_way_to_the_careful_ways_answer(value: object) -> None:
    short, careful = _short(value), _careful(value)
    assert short == careful and type(short) is type(careful)
    assert str(short) == str(careful)  # the same digits and exponent, not only the same value
