"""The trigger pays only for what it uses on a cold start: it never opens the archive or
validates an event model, so it must not import the MySQL driver or pydantic."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("in_lambda", [False, True], ids=["locally", "in-lambda"])
def test_the_trigger_imports_neither_the_database_driver_nor_pydantic(in_lambda: bool) -> None:
    # In Lambda (its function name set) the trigger also patches its clients for X-Ray.
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    if in_lambda:
        environment.update(
            AWS_LAMBDA_FUNCTION_NAME="list-manager-dev-trigger", AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR"
        )
    # A fresh interpreter: this one has imported everything already.
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import services.trigger.handler"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.count("|") == 2}
    assert "services.trigger.handler" in imported
    assert "boto3" in imported  # the listing is real: the trigger does use boto3
    assert ("aws_xray_sdk.core" in imported) is in_lambda
    heavy = {name for name in imported if name.split(".")[0] in ("pymysql", "pydantic", "pydantic_core")}
    assert heavy == set()
