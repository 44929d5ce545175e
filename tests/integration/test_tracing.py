"""X-Ray: inside Lambda, every DynamoDB and MySQL call of a function is a traced subsegment, as in
the original sample. Run in a child process, because patching is process-wide."""

import json
import socket
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from tests.support.aws import ROOT, Aws

CHILD = textwrap.dedent(
    """
    import boto3
    from shared import tracing
    assert tracing.trace_calls()
    from aws_xray_sdk.core import xray_recorder
    xray_recorder.configure(sampling=False)
    boto3.client("dynamodb").list_tables()
    import pymysql
    connection = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    """
)
# As the functions do: their AWS calls patched from the start (shared.bootstrap.lambda_handler),
# MySQL's once a MySQL archive is opened, before its first connection.
FUNCTION_CHILD = textwrap.dedent(
    """
    import os
    import boto3
    from shared import bootstrap, tracing
    from shared.settings import Settings
    assert tracing.trace_calls(bootstrap.AWS_CALLS)
    from aws_xray_sdk.core import xray_recorder
    xray_recorder.configure(sampling=False)
    boto3.client("dynamodb").list_tables()
    bootstrap.archive(Settings(archive_url=os.environ["ARCHIVE_URL"])).ping()
    """
)


@pytest.mark.parametrize("child_code", [CHILD, FUNCTION_CHILD], ids=["at-once", "as-functions-do"])
def test_aws_and_mysql_calls_are_traced_inside_lambda(aws: Aws, mysql_url: str, child_code: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        daemon.settimeout(20)
        environment = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "AWS_ENDPOINT_URL": aws.endpoint_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_LAMBDA_FUNCTION_NAME": "list-manager-dev-listener",
            "LAMBDA_TASK_ROOT": str(ROOT),
            "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
            "ARCHIVE_URL": mysql_url,
        }
        child = subprocess.run(
            [sys.executable, "-c", child_code],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert child.returncode == 0, child.stderr
        segments: list[dict[str, Any]] = []
        while len(segments) < 2:
            datagram, _ = daemon.recvfrom(65536)
            header, _, body = datagram.decode().partition("\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            segments.append(json.loads(body))
    by_name = {segment["name"]: segment for segment in segments}
    assert by_name["dynamodb"]["namespace"] == "aws"
    assert by_name["dynamodb"]["aws"]["operation"] == "ListTables"
    sql = [segment for segment in segments if "sql" in segment]
    assert sql and sql[0]["sql"]["database_type"] == "MySQL"
    assert all(segment["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793" for segment in segments)
