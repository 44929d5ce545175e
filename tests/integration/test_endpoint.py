"""The local AWS endpoint speaks HTTP/1.1 and cleartext HTTP/2 on one port: HTTP/2 with prior
knowledge (what the JavaScript SDK v3 Kinesis client sends), HTTP/1.1 `Upgrade: h2c`, and plain
HTTP/1.1 (boto3); and it frees its port when it stops."""

import base64
import json
import socket
import uuid
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest
from hyperframe.frame import GoAwayFrame

from listmgr.endpoint import moto_server
from tests.support.aws import Aws, free_port

# moto routes a request to a service by the credential scope of its (unchecked) signature.
_KINESIS_AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/kinesis/aws4_request, "
    "SignedHeaders=host;x-amz-target, Signature=0"
)


@pytest.fixture
def stream(aws: Aws) -> str:
    name = f"endpoint-{uuid.uuid4().hex[:8]}"
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name)
    return name


def _host_port(aws: Aws) -> tuple[str, int]:
    host, _, port = aws.endpoint_url.removeprefix("http://").rpartition(":")
    return host, int(port)


def _kinesis_headers(aws: Aws, operation: str, body: bytes) -> list[tuple[str, str]]:
    return [
        (":method", "POST"),
        (":scheme", "http"),
        (":authority", aws.endpoint_url.removeprefix("http://")),
        (":path", "/"),
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", f"Kinesis_20131202.{operation}"),
        ("authorization", _KINESIS_AUTHORIZATION),
        ("content-length", str(len(body))),
    ]


def _read_response(sock: socket.socket, connection: h2.connection.H2Connection, stream_id: int) -> Any:
    """Status, headers and body of `stream_id`, read frame by frame until the stream ends."""
    headers: dict[bytes, bytes] = {}
    body = b""
    while True:
        data = sock.recv(65536)
        assert data, "the server closed the connection before the response ended"
        for event in connection.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream_id:
                headers = dict(event.headers)
            elif isinstance(event, h2.events.DataReceived) and event.stream_id == stream_id:
                body += event.data
                connection.acknowledge_received_data(event.flow_controlled_length, stream_id)
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream_id:
                return headers, body
        sock.sendall(connection.data_to_send())


def test_http2_with_prior_knowledge_reaches_moto(aws: Aws, stream: str) -> None:
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    with socket.create_connection(_host_port(aws), timeout=30) as sock:
        connection.initiate_connection()  # the HTTP/2 preface first: no HTTP/1.1 at all
        body = json.dumps({"StreamName": stream}).encode()
        stream_id = connection.get_next_available_stream_id()
        connection.send_headers(stream_id, _kinesis_headers(aws, "DescribeStreamSummary", body))
        connection.send_data(stream_id, body, end_stream=True)
        sock.sendall(connection.data_to_send())
        headers, answer = _read_response(sock, connection, stream_id)

    assert headers[b":status"] == b"200"
    summary = json.loads(answer)["StreamDescriptionSummary"]
    assert summary["StreamName"] == stream
    assert summary["OpenShardCount"] == 1


def test_a_response_arrives_whole_after_the_client_said_goaway(aws: Aws, stream: str) -> None:
    """The JavaScript SDK sends GOAWAY as soon as a response's headers arrive; a response larger
    than the client's flow-control window (64 KiB) must still arrive whole."""
    kinesis = aws.client("kinesis")
    stored = [f"{n:04d}".ljust(1000, ".").encode() for n in range(100)]
    kinesis.put_records(StreamName=stream, Records=[{"PartitionKey": "k", "Data": data} for data in stored])
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]

    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    with socket.create_connection(_host_port(aws), timeout=30) as sock:
        connection.initiate_connection()
        body = json.dumps({"ShardIterator": iterator}).encode()
        stream_id = connection.get_next_available_stream_id()
        connection.send_headers(stream_id, _kinesis_headers(aws, "GetRecords", body))
        connection.send_data(stream_id, body, end_stream=True)
        # A GOAWAY without an error, written behind h2's back so that this side keeps reading.
        goaway = GoAwayFrame(0)
        goaway.last_stream_id = 0
        sock.sendall(connection.data_to_send() + goaway.serialize())
        headers, answer = _read_response(sock, connection, stream_id)

    assert headers[b":status"] == b"200"
    assert len(answer) > 65535
    records = json.loads(answer)["Records"]
    assert [base64.b64decode(record["Data"]) for record in records] == stored


def test_an_http1_upgrade_to_h2c_is_answered_over_http2(aws: Aws) -> None:
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    settings = connection.initiate_upgrade_connection()  # the HTTP2-Settings header's value
    assert settings is not None
    with socket.create_connection(_host_port(aws), timeout=30) as sock:
        sock.sendall(
            b"GET /moto-api/data.json HTTP/1.1\r\n"
            + f"Host: {aws.endpoint_url.removeprefix('http://')}\r\n".encode()
            + b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
            + b"HTTP2-Settings: "
            + settings
            + b"\r\n\r\n"
        )
        switching = b""
        while b"\r\n\r\n" not in switching:
            chunk = sock.recv(1)
            assert chunk, "the server closed the connection before answering the upgrade"
            switching += chunk
        assert switching.startswith(b"HTTP/1.1 101")
        assert b"upgrade: h2c" in switching.lower()
        sock.sendall(connection.data_to_send())
        # The request that asked for the upgrade is stream 1 of the HTTP/2 connection.
        headers, answer = _read_response(sock, connection, 1)

    assert headers[b":status"] == b"200"
    assert "kinesis" in json.loads(answer)


def test_boto3_over_http1_puts_records_and_reads_an_item(aws: Aws, stream: str) -> None:
    kinesis, dynamodb = aws.client("kinesis"), aws.client("dynamodb")
    table = f"endpoint-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "bill"}, "xp": {"N": "83"}})

    sent = kinesis.put_records(
        StreamName=stream, Records=[{"PartitionKey": "k", "Data": f"record {n}".encode()} for n in range(3)]
    )
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]

    assert sent["FailedRecordCount"] == 0
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=iterator)["Records"]] == [
        b"record 0",
        b"record 1",
        b"record 2",
    ]
    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "bill"}})["Item"] == {
        "pk": {"S": "bill"},
        "xp": {"N": "83"},
    }


def test_a_taken_port_fails_at_start_and_a_stopped_endpoint_frees_its_port() -> None:
    port = free_port()
    endpoint = moto_server.start("127.0.0.1", port)
    try:
        with pytest.raises(OSError):
            moto_server.start("127.0.0.1", port)
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass
    finally:
        endpoint.stop()

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=10).close()
    # The same port serves again at once, as `listmgr up` after a Ctrl-C expects.
    again = moto_server.start("127.0.0.1", port)
    again.stop()


def test_moto_gets_requests_as_its_own_server_hands_them_over(aws: Aws) -> None:
    """HEAD and 204 answers have no body, an S3 key keeps its encoded slash (moto reads the raw
    request target), metadata keeps its underscores (moto's own record of header names)."""
    s3 = aws.client("s3")
    bucket = f"endpoint-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a/b%2Fc", Body=b"slash", Metadata={"my_key": "v"})
    s3.put_object(Bucket=bucket, Key="gone", Body=b"")

    head = s3.head_object(Bucket=bucket, Key="a/b%2Fc")
    deleted = s3.delete_object(Bucket=bucket, Key="gone")

    assert head["ContentLength"] == 5
    assert head["Metadata"] == {"my_key": "v"}
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["a/b%2Fc"]
    assert s3.get_object(Bucket=bucket, Key="a/b%2Fc")["Body"].read() == b"slash"
