"""The items of DynamoDB's read answers read straight from JSON (PlainJSONParser in
shared/adapters/dynamodb/requests.py) are what botocore's model-driven parser makes of them,
for any items, and for answers it does not recognise it is botocore's parser."""

import base64
import json
from typing import Any

import boto3
from botocore.parsers import JSONParser
from hypothesis import given
from hypothesis import strategies as st

from shared.adapters.dynamodb.requests import ITEM_MEMBERS, PlainJSONParser, write_plainly

MODEL = boto3.session.Session().client("dynamodb", region_name="us-east-1").meta.service_model
SHAPES = {
    operation: MODEL.operation_model(operation).output_shape
    for operation in ("GetItem", "BatchGetItem", "Query", "Scan", "TransactWriteItems")
}

names = st.text(max_size=6)
blobs = st.binary(max_size=12).map(lambda blob: base64.b64encode(blob).decode())
numbers = st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str)
scalars = st.one_of(
    st.builds(lambda text: {"S": text}, st.text(max_size=8)),
    st.builds(lambda number: {"N": number}, numbers),
    st.builds(lambda blob: {"B": blob}, blobs),
    st.builds(lambda flag: {"BOOL": flag}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda texts: {"SS": texts}, st.lists(st.text(max_size=4), min_size=1, max_size=3)),
    st.builds(lambda found: {"NS": found}, st.lists(numbers, min_size=1, max_size=3)),
    st.builds(lambda found: {"BS": found}, st.lists(blobs, min_size=1, max_size=3)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.builds(lambda members: {"M": members}, st.dictionaries(names, inner, max_size=3)),
        st.builds(lambda members: {"L": members}, st.lists(inner, max_size=3)),
    ),
    max_leaves=12,
)
items = st.dictionaries(names, values, max_size=5)
capacity = st.fixed_dictionaries({"TableName": st.just("t"), "CapacityUnits": st.floats(0, 100)})


def answers(operation: str) -> st.SearchStrategy[dict[str, Any]]:
    if operation == "GetItem":
        return st.fixed_dictionaries({}, optional={"Item": items, "ConsumedCapacity": capacity})
    if operation == "BatchGetItem":
        keys = st.fixed_dictionaries(
            {"Keys": st.lists(items, min_size=1, max_size=2)}, optional={"ConsistentRead": st.booleans()}
        )
        return st.fixed_dictionaries(
            {"Responses": st.dictionaries(st.sampled_from(["t", "u"]), st.lists(items, max_size=3))},
            optional={
                "UnprocessedKeys": st.dictionaries(st.just("t"), keys),
                "ConsumedCapacity": st.lists(capacity, max_size=2),
            },
        )
    return st.fixed_dictionaries(
        {"Items": st.lists(items, max_size=3), "Count": st.integers(0, 9), "ScannedCount": st.integers(0, 9)},
        optional={"LastEvaluatedKey": items, "ConsumedCapacity": capacity},
    )


def response(body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    headers = {"x-amzn-requestid": "r-1", "content-type": "application/x-amz-json-1.0"}
    return {"status_code": status, "headers": headers, "body": json.dumps(body).encode()}


def both(operation: str, answer: dict[str, Any], status: int = 200) -> tuple[Any, Any]:
    """What each parser makes of the answer: its result, or the exception it raised."""
    shape = SHAPES[operation]
    plain = _outcome(PlainJSONParser(), response(answer, status), shape)
    return plain, _outcome(JSONParser(), response(answer, status), shape)


def _outcome(parser: JSONParser, answer: dict[str, Any], shape: Any) -> Any:
    try:
        return parser.parse(answer, shape)
    except Exception as error:  # compared below, never hidden: both must raise alike
        return (type(error), str(error))


@given(
    st.sampled_from(sorted(ITEM_MEMBERS)).flatmap(
        lambda output: st.tuples(
            st.just(output.removesuffix("Output")), answers(output.removesuffix("Output"))
        )
    )
)
def test_the_items_of_every_read_are_what_botocore_reads(case: tuple[str, dict[str, Any]]) -> None:
    operation, answer = case
    plain, modelled = both(operation, answer)
    assert plain == modelled


def test_what_botocore_alone_knows_is_left_to_botocore() -> None:
    item = {"k": {"S": "v"}, "b": {"B": base64.b64encode(b"\x00\xff").decode()}}
    odd: list[dict[str, Any]] = [
        {"Item": {"k": {"XX": "a type from a later model"}}},
        {"Item": {"k": {"S": "two types", "N": "1"}}},
        {"Item": item, "SomethingNew": 1},
        {"Item": item, "ConsumedCapacity": None},
        {"Item": {"k": {"S": None}}},
        {"Item": {"a": None}},
        {"Item": {"a": {"M": {"b": None}}}},
        {"Item": {"a": {"L": [None]}}},
        {"Item": {"a": {"SS": "ab"}}},
        {"Item": {"a": {"NS": "12"}}},
        {"Item": {"a": {"BS": "AA=="}}},
        {"Item": {"a": {"M": "not a map"}}},
    ]
    for answer in odd:
        plain, modelled = both("GetItem", answer)
        assert plain == modelled, answer
    listings: list[dict[str, Any]] = [
        {"Items": [None]},
        {"Items": "not a list"},
        {"Items": [], "LastEvaluatedKey": None},
    ]
    for listing in listings:
        plain, modelled = both("Query", listing)
        assert plain == modelled, listing
    unlisted = {"Responses": {"t": None, "u": [{"k": {"B": "AA=="}}]}}
    plain, modelled = both("BatchGetItem", unlisted)
    assert plain == modelled


def test_errors_and_other_operations_are_botocores() -> None:
    error = {
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "slow down",
    }
    plain, modelled = both("Query", error, 400)
    assert plain == modelled
    assert plain["Error"]["Code"] == "ProvisionedThroughputExceededException"
    written = {"ConsumedCapacity": [{"TableName": "t", "CapacityUnits": 4.0}]}
    plain, modelled = both("TransactWriteItems", written)
    assert plain == modelled


def test_a_plain_client_reads_its_answers_with_the_plain_parser() -> None:
    client = write_plainly(boto3.session.Session().client("dynamodb", region_name="us-east-1"))
    assert isinstance(client._endpoint._response_parser_factory.create_parser("json"), PlainJSONParser)
