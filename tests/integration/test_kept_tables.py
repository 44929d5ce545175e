"""The in-process endpoint's tables across a restart of `listmgr up` and under Time to Live: every
item comes back as it was saved, whatever its attributes, unless it expired; expired items are
deleted as DynamoDB deletes them; a Scan answers what GetItem answers."""

import base64
import gzip
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from moto.dynamodb.exceptions import ResourceNotFoundException

from listmgr.endpoint import moto_tables
from listmgr.runtime.expiry import DYNAMODB_SERVICE, Sweeper
from listmgr.runtime.mappings.records import from_dynamodb
from listmgr.runtime.table_snapshot import FILE, KeptTables, RestoreFailed
from tests.support.aws import Aws, Deployed

NOW = time.time()
EVERY_KIND = {
    "s": {"S": "naïve 🎬 / # %"},
    "n": {"N": "108.5"},
    "b": {"B": b"\x00\xffbytes"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x00", b"\x01\x02"]},
    "m": {"M": {"inner": {"B": b"\x07"}, "list": {"L": [{"N": "1"}, {"BS": [b"\x08"]}, {"NULL": True}]}}},
    "l": {"L": [{"S": "x"}, {"BOOL": False}]},
    "yes": {"BOOL": True},
    "nothing": {"NULL": True},
}


def make_table(aws: Aws, name: str, time_to_live: bool = True) -> moto_tables.LocalTable:
    dynamodb = aws.client("dynamodb")
    description = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    if time_to_live:
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": "expiresAt", "Enabled": True}
        )
    return moto_tables.LocalTable(description["TableArn"])


def item(key: str, **attributes: Any) -> dict[str, Any]:
    return {"pk": {"S": key}, "sk": {"S": "-"}, **attributes}


def stored(aws: Aws, table: str, key: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (
        aws.client("dynamodb")
        .get_item(TableName=table, Key={"pk": {"S": key}, "sk": {"S": "-"}}, ConsistentRead=True)
        .get("Item")
    )
    return found


def expires(seconds_from_now: float) -> dict[str, str]:
    return {"N": str(int(NOW + seconds_from_now))}


@pytest.fixture
def name() -> str:
    return f"kept-{uuid.uuid4().hex[:8]}"


def test_a_scan_in_one_pass_answers_what_moto_answers_page_by_page(aws: Aws, name: str) -> None:
    table = make_table(aws, name)
    dynamodb = aws.client("dynamodb")
    for n in range(30):
        dynamodb.put_item(TableName=name, Item=item(f"k{n:02}", **EVERY_KIND, pad={"S": "x" * 40_000}))
    paged: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": name}
    while True:
        page = dynamodb.scan(**request)
        paged += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert len(paged) == 30 and len(paged) > len(page["Items"])  # 30 items of 40 KB: pages of 1 MB
    one_pass = moto_tables.OnePassScans(dynamodb, [table])
    assert one_pass.scan(TableName=name) == {"Items": paged, "Count": 30, "ScannedCount": 30}
    # Anything but a plain scan is the client's, and so is any other call.
    limited = one_pass.scan(TableName=name, Limit=2)
    assert limited["Items"] == paged[:2]
    assert limited["LastEvaluatedKey"] == {"pk": {"S": "k01"}, "sk": {"S": "-"}}
    assert one_pass.describe_table(TableName=name)["Table"]["TableName"] == name


def test_a_table_comes_back_as_it_was_saved_but_what_expired(aws: Aws, name: str, tmp_path: Path) -> None:
    table = make_table(aws, name)
    dynamodb = aws.client("dynamodb")
    saved = {
        "every-kind": item("every-kind", **EVERY_KIND),
        "later": item("later", expiresAt=expires(3600)),
        "expires-while-stopped": item("expires-while-stopped", expiresAt=expires(60)),
        "not-a-number": item("not-a-number", expiresAt={"S": "1"}),
    }
    for each in saved.values():
        dynamodb.put_item(TableName=name, Item=each)
    kept = KeptTables(tmp_path, [table], "sqlite:///archive.db")
    assert kept.save(int(NOW * 1000)) == 4
    assert [path.name for path in tmp_path.iterdir()] == [FILE]

    # What a restart of the in-process endpoint amounts to: the same table, made again, empty.
    dynamodb.delete_table(TableName=name)
    table = make_table(aws, name)
    restored = KeptTables(tmp_path, [table], "sqlite:///archive.db").restore(NOW + 120)

    assert restored is not None and (restored.items, restored.expired) == (3, 1)
    assert stored(aws, name, "every-kind") == saved["every-kind"]
    assert stored(aws, name, "later") == saved["later"]
    assert stored(aws, name, "not-a-number") == saved["not-a-number"]
    assert stored(aws, name, "expires-while-stopped") is None
    # Kept after the start that read it: only the next stop replaces it.
    assert (tmp_path / FILE).exists()


def test_saved_items_go_back_only_beside_the_archive_they_were_saved_with(
    aws: Aws, name: str, tmp_path: Path
) -> None:
    table = make_table(aws, name)
    aws.client("dynamodb").put_item(TableName=name, Item=item("a"))
    KeptTables(tmp_path, [table], "sqlite:///one.db").save(0)
    aws.client("dynamodb").delete_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"S": "-"}})

    assert KeptTables(tmp_path, [table], "sqlite:///another.db").restore(NOW) is None
    assert stored(aws, name, "a") is None
    assert KeptTables(tmp_path / "nothing-saved", [table], "sqlite:///one.db").restore(NOW) is None


def test_a_damaged_file_stops_the_start_and_stays(aws: Aws, name: str, tmp_path: Path) -> None:
    table = make_table(aws, name)
    (tmp_path / FILE).write_bytes(gzip.compress(b'{"archive": null, "savedAt": 0}\n{"table": "x", "it'))
    with pytest.raises(RestoreFailed, match=r"is damaged \(.*\); move it away"):
        KeptTables(tmp_path, [table], None).restore(NOW)
    assert (tmp_path / FILE).exists()


def test_a_save_that_fails_leaves_the_previous_file_whole(aws: Aws, name: str, tmp_path: Path) -> None:
    table = make_table(aws, name)
    aws.client("dynamodb").put_item(TableName=name, Item=item("a"))
    KeptTables(tmp_path, [table], None).save(0)
    before = (tmp_path / FILE).read_bytes()
    gone = moto_tables.LocalTable(table.arn.replace(name, name + "-gone"))
    with pytest.raises(ResourceNotFoundException):
        KeptTables(tmp_path, [table, gone], None).save(1)
    assert (tmp_path / FILE).read_bytes() == before
    assert [path.name for path in tmp_path.iterdir()] == [FILE]


def test_expired_items_are_deleted_as_dynamodb_deletes_them(aws: Aws, name: str) -> None:
    table = make_table(aws, name)
    dynamodb = aws.client("dynamodb")
    six_years = 6 * 365 * 24 * 3600
    cases = {
        "expired": expires(-1),
        "later": expires(3600),
        "text": {"S": str(int(NOW - 10))},
        "six-years-ago": expires(-six_years),
        "fraction": {"N": f"{NOW - 1:.3f}"},
    }
    for key, value in cases.items():
        dynamodb.put_item(TableName=name, Item=item(key, expiresAt=value))
    dynamodb.put_item(TableName=name, Item=item("no-ttl"))
    stream_arn = dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"]

    assert Sweeper([table], every=60, clock=lambda: NOW).sweep() == 2

    left = {each["pk"]["S"] for each in dynamodb.scan(TableName=name)["Items"]}
    assert left == {"later", "text", "six-years-ago", "no-ttl"}
    removes = [record for record in stream_records(aws, stream_arn) if record["eventName"] == "REMOVE"]
    assert [record["dynamodb"]["Keys"]["pk"]["S"] for record in removes] == ["expired", "fraction"]
    for record in removes:
        delivered = from_dynamodb(record, "shard", stream_arn, aws.region).event_record
        assert record["userIdentity"] == DYNAMODB_SERVICE
        assert delivered["userIdentity"] == {"principalId": "dynamodb.amazonaws.com", "type": "Service"}
        assert delivered["dynamodb"]["OldImage"]["expiresAt"] == cases[record["dynamodb"]["Keys"]["pk"]["S"]]


def test_nothing_expires_in_a_table_whose_time_to_live_is_disabled(aws: Aws, name: str) -> None:
    table = make_table(aws, name, time_to_live=False)
    aws.client("dynamodb").put_item(TableName=name, Item=item("expired", expiresAt=expires(-1)))
    assert Sweeper([table], every=60, clock=lambda: NOW).sweep() == 0
    assert stored(aws, name, "expired") is not None


def test_the_deployed_table_has_the_time_to_live_of_serverless_yml(deployed: Deployed) -> None:
    description = deployed.aws.client("dynamodb").describe_time_to_live(TableName=deployed.table_name)
    assert description["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expiresAt",
    }


def stream_records(aws: Aws, stream_arn: str) -> list[dict[str, Any]]:
    streams = aws.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )
    records: list[dict[str, Any]] = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return records


def test_binary_values_keep_their_bytes_through_the_wire_format(aws: Aws, name: str) -> None:
    table = make_table(aws, name)
    aws.client("dynamodb").put_item(TableName=name, Item=item("b", **EVERY_KIND))
    (wire,) = table.items()
    assert wire["b"] == {"B": base64.b64encode(b"\x00\xffbytes").decode()}
    assert wire["m"]["M"]["inner"] == {"B": base64.b64encode(b"\x07").decode()}
