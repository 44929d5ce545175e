"""The adapter's AttributeValue conversion (shared/adapters/dynamodb/attributes.py) answers what
boto3's TypeSerializer and TypeDeserializer answer, for every value the table's items can hold,
and refuses what they refuse."""

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.adapters.dynamodb import attributes

NUMBERS = st.one_of(
    st.integers(-(10**37), 10**37),
    st.decimals(allow_nan=False, allow_infinity=False, places=6).filter(lambda n: abs(n) < 10**30),
)
SCALARS = st.one_of(st.text(), st.booleans(), NUMBERS, st.binary(), st.none())
VALUES = st.recursive(
    st.one_of(
        SCALARS,
        st.frozensets(st.text(), min_size=1).map(set),
        st.frozensets(st.integers(-1000, 1000), min_size=1).map(set),
        st.frozensets(st.binary(min_size=1), min_size=1).map(set),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner, max_size=4)),
    max_leaves=12,
)
ITEMS = st.dictionaries(st.text(min_size=1), VALUES, max_size=6)


@settings(max_examples=300, deadline=None)
@given(ITEMS)
def test_items_go_out_and_come_back_as_boto3_would_have_them(item: dict[str, Any]) -> None:
    theirs = {name: TypeSerializer().serialize(value) for name, value in item.items()}
    assert attributes.to_attributes(item) == theirs
    assert attributes.from_attributes(theirs) == {
        name: TypeDeserializer().deserialize(value) for name, value in theirs.items()
    }


def test_binary_values_and_tuples_are_taken_too() -> None:
    item = {"b": Binary(b"\x00"), "t": (1, "x")}
    assert attributes.to_attributes(item) == {name: TypeSerializer().serialize(v) for name, v in item.items()}


@pytest.mark.parametrize("value", [1.5, Decimal("NaN"), Decimal("Infinity"), Decimal("1" * 40), object()])
def test_what_boto3_refuses_is_refused(value: Any) -> None:
    with pytest.raises(Exception) as theirs:
        TypeSerializer().serialize(value)
    with pytest.raises(type(theirs.value)):
        attributes.attribute(value)


def test_an_empty_set_is_refused_here_as_dynamodb_refuses_it() -> None:
    # boto3 writes it as an empty NS, which DynamoDB answers with a ValidationException.
    with pytest.raises(TypeError):
        attributes.attribute(set())
