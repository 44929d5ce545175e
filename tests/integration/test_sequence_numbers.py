"""The local endpoint's sequence numbers look like AWS's and never repeat when the endpoint
starts over: a stream or table made again after a restart starts above where the old one ended."""

import uuid

from listmgr.endpoint.sequence_numbers import DIGITS
from tests.support.aws import Aws


def test_kinesis_sequence_numbers_are_56_digits_and_grow_when_a_stream_is_made_again(aws: Aws) -> None:
    kinesis = aws.client("kinesis")
    name = f"sequence-{uuid.uuid4().hex[:8]}"

    def put_three() -> list[int]:
        kinesis.create_stream(StreamName=name, ShardCount=1)
        numbers = [
            kinesis.put_record(StreamName=name, PartitionKey="p", Data=b"{}")["SequenceNumber"]
            for _ in range(3)
        ]
        assert all(len(number) == DIGITS and number.isdigit() for number in numbers)
        return [int(number) for number in numbers]

    before = put_three()
    kinesis.delete_stream(StreamName=name)  # what a restart of the in-process endpoint amounts to
    after = put_three()
    assert before == sorted(before) and after == sorted(after)
    assert after[0] > before[-1]
    shard = kinesis.list_shards(StreamName=name)["Shards"][0]
    iterator = kinesis.get_shard_iterator(
        StreamName=name,
        ShardId=shard["ShardId"],
        ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        StartingSequenceNumber=str(after[0]),
    )["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert [int(record["SequenceNumber"]) for record in records] == after[1:]


def test_table_stream_sequence_numbers_grow_when_a_table_is_made_again(aws: Aws) -> None:
    dynamodb, streams = aws.client("dynamodb"), aws.client("dynamodbstreams")
    name = f"sequence-{uuid.uuid4().hex[:8]}"

    def write_one() -> int:
        arn = dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]["LatestStreamArn"]
        dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}})
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator)["Records"]
        return int(records[-1]["dynamodb"]["SequenceNumber"])

    before = write_one()
    dynamodb.delete_table(TableName=name)
    assert write_one() > before
