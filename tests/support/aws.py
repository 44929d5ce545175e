"""The moto server and the project's resources as the tests see them."""

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from listmgr.runtime.resources import LocalResources

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Aws:
    endpoint_url: str
    region: str = "us-east-1"

    def client(self, service: str, config: Config | None = None) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=config,
        )


@dataclass(frozen=True)
class Deployed:
    aws: Aws
    stage: str
    resources: LocalResources
    table_name: str
    stream_name: str
    queue_name: str
