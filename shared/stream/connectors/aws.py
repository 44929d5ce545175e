"""boto3 clients with the retry and timeout policy every connector shares.

botocore's `standard` retry mode retries throttling and transient server errors with exponential
backoff and jitter; connectors only deal with what is left after it. The endpoint comes from
`AWS_ENDPOINT_URL`, which boto3 honours for every client, so the same code talks to AWS or to
the local stack.
"""

import json
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=20,
)


@cache
def client(service: str, region: str) -> Any:
    return boto3.session.Session().client(service, region_name=region, config=CLIENT_CONFIG)


def secret_json(secret_arn: str, region: str) -> dict[str, Any]:
    """A Secrets Manager secret's JSON value."""
    response = client("secretsmanager", region).get_secret_value(SecretId=secret_arn)
    value: dict[str, Any] = json.loads(response["SecretString"])
    return value
