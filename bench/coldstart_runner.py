"""Runs bench/coldstart.py in fresh processes: each handler, then boto3 replaying its requests.

The project's resources are deployed on the bench's moto under a stage of their own; each process
gets the environment a Lambda function would (table, stream, archive, API keys) and
AWS_XRAY_CONTEXT_MISSING=IGNORE_ERROR. Figures are medians of `runs` processes.

The project's modules are compiled first, as the deployed artifact ships them
(artifact/compile_bytecode.py): with PYTHONDONTWRITEBYTECODE set, or after an edit, every child
would otherwise compile them again and count that (tens of milliseconds) as its cold start.
"""

import compileall
import json
import os
import statistics
import subprocess
import sys
import uuid
from pathlib import Path

from bench.results import Figure, cost
from listmgr.runtime import config as configuration
from listmgr.runtime.resources import deploy
from services.api.auth import hash_key, new_key
from shared.adapters.sql_archive import open_archive
from tests.support.aws import Aws

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ("listener", "trigger", "api")


def environment(aws: Aws, folder: Path) -> dict[str, str]:
    stage = "c" + uuid.uuid4().hex[:8]
    loaded = configuration.load(ROOT / "serverless.yml", configuration.Options(stage=stage))
    deploy(loaded, aws.client, f"{loaded.service}-{stage}")
    archive_url = f"sqlite:///{folder}/cold.db"
    open_archive(archive_url).migrate()
    key = new_key()
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AWS_ENDPOINT_URL": aws.endpoint_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": aws.region,
        "AWS_REGION": aws.region,
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
        "LISTMGR_STAGE": stage,
        "LISTMGR_TABLE": f"{loaded.service}-{stage}-lists",
        "LISTMGR_STREAM": f"{loaded.service}-{stage}-events",
        "LISTMGR_ARCHIVE_URL": archive_url,
        "LISTMGR_API_KEYS": json.dumps({"keys": [{"name": "bench", "sha256": hash_key(key), "admin": True}]}),
        "BENCH_API_KEY": key,
    }


def child(arguments: list[str], env: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-m", "bench.coldstart", *arguments],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cold start {arguments} failed: {done.stderr[-2000:]}")
    ms: float = json.loads(done.stdout.strip().splitlines()[-1])["ms"]
    return ms


def figures(aws: Aws, folder: Path, runs: int) -> list[Figure]:
    for package in ("shared", "services", "bench"):
        compileall.compile_dir(ROOT / package, quiet=1)
    env = environment(aws, folder)
    found = []
    for function in FUNCTIONS:
        spec = folder / f"{function}.calls"
        # The first run also captures the requests the baseline replays.
        first = child([function, str(spec)], env)
        ours = statistics.median([first] + [child([function], env) for _ in range(runs - 1)])
        theirs = statistics.median(child(["boto3", str(spec)], env) for _ in range(runs))
        print(f"   cold start {function}: {ours:.0f} ms vs boto3 {theirs:.0f} ms", flush=True)
        found.append(
            cost(
                f"cold_start_ms_{function}_vs_boto3",
                "ms, import + first one-record invocation (median)",
                ours,
                theirs,
            )
        )
    return found
