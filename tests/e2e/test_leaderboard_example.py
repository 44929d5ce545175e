"""The example subscriber of examples/leaderboard, run as its README says: its own serverless.yml
under `listmgr up --endpoint-url`, next to the running list manager."""

import json
import signal
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3

from tests.samples import RERANK, WORKED_EXAMPLE
from tests.support.aws import ROOT
from tests.support.stack import LISTMGR, RunningStack, stack_environment, wait_for


def test_the_leaderboard_is_notified_when_a_leader_changes(stack: RunningStack, tmp_path: Path) -> None:
    endpoint = stack.info["aws_endpoint_url"]
    notifier = subprocess.Popen(
        [
            LISTMGR,
            "--state-dir",
            str(tmp_path / "state"),
            "up",
            "--config",
            str(ROOT / "examples" / "leaderboard" / "serverless.yml"),
            "--endpoint-url",
            endpoint,
            # The README runs both with the default API port: the notifier has no API, so the
            # list manager's port being taken must not stop it.
            "--api-port",
            str(urlsplit(stack.api).port),
        ],
        cwd=tmp_path,
        stdout=(tmp_path / "notifier.log").open("w"),
        stderr=subprocess.STDOUT,
        env=stack_environment(),
    )
    try:
        wait_for(
            lambda: (tmp_path / "state" / "stack.json").exists() or notifier.poll() is not None, timeout=90
        )
        assert notifier.poll() is None, (tmp_path / "notifier.log").read_text()
        for submission in WORKED_EXAMPLE:
            assert stack.request("POST", "/lists", submission, key=stack.key).status == 202
        sqs = boto3.client(
            "sqs",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        queue = sqs.get_queue_url(QueueName="leaderboard-dev-notifications")["QueueUrl"]
        received: list[dict[str, Any]] = []

        def notifications(count: int) -> list[dict[str, Any]] | None:
            for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
                received.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            return received if len(received) >= count else None

        wait_for(lambda: notifications(2), timeout=90)
        leaders = {note["title"]: note["leader"] for note in received}
        assert leaders == {"stats": "xp", "favorite movies": "blade runner"}

        assert stack.request("POST", "/lists", RERANK, key=stack.key).status == 202
        wait_for(lambda: notifications(3), timeout=90)
        assert received[-1]["title"] == "favorite movies"
        assert (received[-1]["leader"], received[-1]["previous"]) == ("alien", "blade runner")
    finally:
        notifier.send_signal(signal.SIGINT)
        notifier.wait(timeout=60)
