"""docs/local-stack.md's JavaScript SDK and AWS CLI examples, pasted as they are against a running stack
(only its ports differ): each write is applied before the example reads it back. The CLI is the
v1 that `make tools` installs; the block uses nothing v2 does not take the same way (`fileb://`)."""

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws import ROOT
from tests.support.docs import code_block
from tests.support.stack import RunningStack, start_stack, stop_stack

AWS_CLI = ROOT / ".venv-awscli" / "bin"
NODE = shutil.which("node")


def on_this_stack(block: str, stack: RunningStack) -> str:
    """The block with the document's ports replaced by this stack's (the one change a paste needs)."""
    assert "http://127.0.0.1:4566" in block and "http://127.0.0.1:8000" in block
    return block.replace("http://127.0.0.1:4566", stack.info["aws_endpoint_url"]).replace(
        "http://127.0.0.1:8000", stack.api
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("readme-clients"))
    yield running
    stop_stack(running)


def bill(stack: RunningStack) -> Any:
    return stack.request("GET", "/lists/stats/users/bill").body


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JavaScript example needs it")
def test_the_javascript_example_reads_its_write_once_it_is_applied(
    stack: RunningStack, tmp_path: Path
) -> None:
    before = (bill(stack) or {}).get("entries", {}).get("xp", 0)
    script = tmp_path / "example.mjs"
    script.write_text(on_this_stack(code_block("docs/local-stack.md", "js", "javascript-client"), stack))
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")  # `npm i` of the example
    result = subprocess.run(
        [str(NODE), str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )

    assert result.returncode == 0, result.stderr
    status, entries = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "applied"
    assert json.loads(entries) == {"M": {"xp": {"N": str(before + 83)}}}


@pytest.mark.skipif(shutil.which("curl") is None, reason="the AWS CLI example waits with curl")
def test_the_aws_cli_example_puts_the_submission_as_it_is_and_reads_it_once_applied(
    stack: RunningStack, tmp_path: Path
) -> None:
    subprocess.run(["make", "-s", ".venv-awscli/.installed"], cwd=ROOT, check=True, timeout=900)
    before = (bill(stack) or {}).get("entries", {}).get("xp", 0)
    environment = {
        "PATH": f"{AWS_CLI}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
    }
    result = subprocess.run(
        ["bash", "-e", "-c", on_this_stack(code_block("docs/local-stack.md", "sh", "aws-cli"), stack)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    item = json.loads(result.stdout)["Item"]
    assert item["entries"] == {"M": {"xp": {"N": str(before + 83)}}}
    assert (item["title"], item["user"]) == ({"S": "stats"}, {"S": "bill"})
