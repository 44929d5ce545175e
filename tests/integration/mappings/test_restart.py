"""`listmgr up --config PATH --endpoint-url URL` against a moto server of the test's own: another
project's resources and handlers, checkpoints that survive a restart of `listmgr up`, and, once
the server itself restarts empty, a fresh start instead of a stale checkpoint."""

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.support.aws import ROOT, free_port
from tests.support.stack import LISTMGR, wait_for

PROJECT = ROOT / "tests" / "fixtures" / "project" / "serverless.yml"
STAGE = "restart"
STREAM = f"click-counter-{STAGE}-clicks"


class MotoServer:
    """moto_server in a process of its own, so that stopping it loses its data as a restart does."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        executable = str(Path(sys.executable).with_name("moto_server"))
        self.process = subprocess.Popen(
            [executable, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=30)

    def _answers(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def moto() -> Iterator[MotoServer]:
    server = MotoServer(free_port())
    server.start()
    yield server
    server.stop()


class Up:
    """`listmgr up` of the click-counter project, in `folder`, against `moto`."""

    def __init__(self, folder: Path, moto: MotoServer) -> None:
        self.folder = folder
        self.moto = moto
        self.recordings = folder / "clicks.txt"

    def __enter__(self) -> dict[str, object]:
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "LISTMGR_"))
        }
        environment["CLICKS_RECORDINGS"] = str(self.recordings)
        self.process = subprocess.Popen(
            [
                LISTMGR,
                "up",
                "--config",
                str(PROJECT),
                "--endpoint-url",
                self.moto.url,
                "--api-port",
                str(free_port()),
                "--stage",
                STAGE,
            ],
            cwd=self.folder,
            stdout=(self.folder / "up.log").open("a"),
            stderr=subprocess.STDOUT,
            env=environment,
        )
        description = self.folder / ".listmgr" / "stack.json"

        def ready() -> dict[str, object] | None:
            assert self.process.poll() is None, (self.folder / "up.log").read_text()
            return json.loads(description.read_text()) if description.exists() else None

        return wait_for(ready, timeout=90)

    def __exit__(self, *_: object) -> None:
        self.process.send_signal(signal.SIGINT)
        assert self.process.wait(timeout=60) == 0

    def clicks(self, count: int) -> list[str]:
        def recorded() -> list[str] | None:
            text = self.recordings.read_text() if self.recordings.exists() else ""
            lines = text.split("\n")[:-1]  # what follows the last newline is still being written
            return lines if len(lines) >= count else None

        return wait_for(recorded)


def put(moto: MotoServer, clicks: list[str]) -> None:
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=moto.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    for click in clicks:
        kinesis.put_record(StreamName=STREAM, Data=click.encode(), PartitionKey=click)


def test_up_resumes_after_a_restart_and_starts_afresh_on_a_new_endpoint(
    moto: MotoServer, tmp_path: Path
) -> None:
    up = Up(tmp_path, moto)
    with up as stack:
        assert stack["aws_endpoint_url"] == moto.url
        assert stack["stream_name"] == STREAM
        assert stack["table_name"] == f"click-counter-{STAGE}-counts"
        assert stack["functions"] == {"count": f"click-counter-{STAGE}-count"}
        put(moto, [f"first-{index}" for index in range(10)])
        up.clicks(10)

    put(moto, [f"second-{index}" for index in range(5)])
    with up:
        clicks = up.clicks(15)
    assert sorted(clicks) == sorted([f"first-{i}" for i in range(10)] + [f"second-{i}" for i in range(5)])

    moto.stop()
    moto.start()
    with up:
        put(moto, ["third-0", "third-1"])
        clicks = up.clicks(17)
    assert sorted(clicks[15:]) == ["third-0", "third-1"]
