"""The trigger pays only for what it uses on a cold start: it never opens the archive or
validates an event model, so it must not import the MySQL driver or pydantic."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_trigger_imports_neither_the_database_driver_nor_pydantic() -> None:
    # A fresh interpreter: this one has imported everything already.
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import services.trigger.handler"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.count("|") == 2}
    assert "services.trigger.handler" in imported
    assert "boto3" in imported  # the listing is real: the trigger does use boto3
    heavy = {name for name in imported if name.split(".")[0] in ("pymysql", "pydantic", "pydantic_core")}
    assert heavy == set()
