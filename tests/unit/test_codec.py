"""The codec reads with jiter and falls back on simplejson, the reference, for whatever jiter
refuses: whatever text it is given, `loads` must answer exactly what the reference answers (the
same value, number for number, or the same refusal in the same words)."""

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.events.codec import NotJson, dumps, dumps_entries, loads, reference_loads


def outcome(text: str | bytes, read: Any) -> tuple[str, Any]:
    try:
        return "value", exactly(read(text))
    except NotJson as refused:
        return "refused", str(refused)


def exactly(value: Any) -> Any:
    """`value` with every type spelled out: 1, 1.0, 1.00 and True are four different readings."""
    if isinstance(value, dict):
        return ("object", [(key, exactly(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("array", [exactly(item) for item in value])
    if isinstance(value, Decimal):
        return ("decimal", value.as_tuple())
    return (type(value).__name__, value)


def escaped(character: str) -> str:
    return f"\\u{ord(character):04x}" if ord(character) < 0x10000 else character


def array(items: list[str]) -> str:
    return "[" + ",".join(items) + "]"


def members(pairs: list[tuple[str, str, str]]) -> str:
    return "{" + ",".join(f'"{key}"{space}:{value}' for key, space, value in pairs) + "}"


# JSON's whitespace mostly, and some that is not (a form feed, a no-break space, a byte-order mark).
SPACE = st.sampled_from(["", "", "", "", " ", " ", " ", "\n", "\t\r ", "\x0c", "\xa0", "\ufeff"])
NUMBERS = st.one_of(
    st.from_regex(r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,40})?([eE][-+]?[0-9]{1,4})?", fullmatch=True),
    st.sampled_from(["01", "1.", ".5", "+1", "1e", "-", "NaN", "Infinity", "-Infinity", "-0", "-0.0"]),
    st.sampled_from(["9" * 4300, "9" * 4301, "1." + "1" * 5000, "1e400", "-1e-400", "18446744073709551616"]),
)
STRING_PARTS = st.one_of(
    # Lone surrogates among it: naming the categories to exclude drops hypothesis' own exclusion of them.
    st.text(st.characters(exclude_categories=["Cc"], exclude_characters='"\\'), max_size=4),
    st.text(max_size=2),  # raw control characters, quotes and backslashes too
    st.characters().map(escaped),
    st.sampled_from(["\\n", "\\/", "\\\\", '\\"', "\\x", "\\u12", "\\ud83d\\ude00", "\\udfff", "\\ud800x"]),
)
STRINGS = st.lists(STRING_PARTS, max_size=4).map(lambda parts: '"' + "".join(parts) + '"')
SCALARS = st.one_of(NUMBERS, STRINGS, st.sampled_from(["true", "false", "null", "nul", "True"]))
BROKEN = st.sampled_from(["[1,]", '{"a":1,}', "[1 2]", '{"a" 1}', "{,}", "]"])
# Keys that are the same once read ("a", "\u0061") and keys that only look alike.
KEYS = st.sampled_from(["a", "\\u0061", "b", "A", "\\u00e9", "é", "e\\u0301", "", "\\ud800", '\\"'])


def containers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(children, max_size=5).map(array),
        st.lists(st.tuples(KEYS, SPACE, children), max_size=5).map(members),
    )


LEAVES = st.one_of(SCALARS, SCALARS, SCALARS, BROKEN)
TEXTS = st.tuples(SPACE, st.recursive(LEAVES, containers, max_leaves=25), SPACE).map("".join)
"""Text that is JSON, nearly JSON or not at all."""


def objects(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    keys = st.sampled_from(["a", "\\u0061", "b", "\\u00e9", "é", "e\\u0301"])
    return st.one_of(
        st.lists(children, max_size=4).map(array),
        st.lists(st.tuples(keys, st.just(" "), children), max_size=4).map(members),
    )


NUMBER_LEAVES = NUMBERS.filter(lambda number: number[-1:].isdigit())
DOCUMENTS = st.recursive(st.one_of(NUMBER_LEAVES, st.just('"\\u00e9\\ud83d\\ude00"')), objects, max_leaves=12)
"""JSON documents but for numbers out of range and duplicate keys (often spelled differently)."""


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
@example('{"a": 1, "\\u0061": 2}')
@example('{"entries": {"w": 0, "x": 1, "y": 2, "x": 3}}')
@example('"\\ud800"')
@example("[NaN, -Infinity]")
@example("\ufeff1")
@example('["\ud800"]')
@example("[" * 201 + "]" * 201)
@example("[" * 5000 + "]" * 5000)
@example('{"x": 0.1000000000000000055511151231257827}')
def test_loads_reads_any_text_as_the_reference_does(text: str) -> None:
    assert outcome(text, loads) == outcome(text, reference_loads)
    # A lone surrogate in the text goes out as the three bytes no UTF-8 decoder accepts.
    data = text.encode("utf-8", "surrogatepass")
    assert outcome(data, loads) == outcome(data, reference_loads)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_loads_reads_documents_number_for_number_as_the_reference_does(text: str) -> None:
    assert outcome(text, loads) == outcome(text, reference_loads)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40).map(lambda noise: b'{"a": "' + noise + b'"}'))
@example(b'{"a": "\xed\xa0\x80"}')
@example(b'{"a": "\xc0\xaf"}')
def test_loads_reads_any_bytes_as_the_reference_does(data: bytes) -> None:
    # A request body: UTF-8 or not, it reads as simplejson reads it.
    assert outcome(data, loads) == outcome(data, reference_loads)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"a": 1, "\\u0061": 2}', "not valid JSON: duplicate key 'a'"),
        ('{"x": [{"b": 1, "b": 1}]}', "not valid JSON: duplicate key 'b'"),
        ('{"x": NaN}', "not valid JSON: NaN is not a finite number"),
        ("[" * 10_000 + "]" * 10_000, "not valid JSON: nested too deeply"),
    ],
)
def test_refusals_are_worded_by_the_reference(text: str, reason: str) -> None:
    # jiter says 'Detected duplicate key "a" at line 1 column 17', 'expected value', 'recursion
    # limit exceeded': the fault events and the API's 400s keep their own words.
    with pytest.raises(NotJson) as refused:
        loads(text)
    assert str(refused.value) == reason


def test_what_jiter_refuses_and_the_reference_accepts_still_reads() -> None:
    # Deeper than jiter's 200 levels, a lone surrogate (the models then refuse it, naming the
    # field) and a byte-order mark: documents the codec has always read.
    assert loads("[" * 300 + "]" * 300) == reference_loads("[" * 300 + "]" * 300)
    assert loads('{"user": "bi\\ud800ll"}') == {"user": "bi\ud800ll"}
    assert loads(b"\xef\xbb\xbf{}") == {}


@given(
    st.dictionaries(
        st.text(),
        st.one_of(st.integers(), st.decimals(allow_nan=False, allow_infinity=False)),
        max_size=8,
    )
)
@example({"a\u2028b": Decimal("1.50"), 'q"\\': Decimal("-0"), "\x00\x7f": Decimal("1E+37")})
def test_a_lists_entries_are_written_as_dumps_writes_them(entries: dict[str, Any]) -> None:
    decimals = {key: Decimal(value) for key, value in entries.items()}
    assert dumps_entries(decimals) == dumps(decimals)
