"""Every function runs with its own environment, as in Lambda, though all run in one process."""

import os
import threading
from pathlib import Path

import yaml

from listmgr.runtime import config as configuration
from listmgr.runtime.functions import LocalFunction, functions_of

HANDLER = """
import os

SEEN_AT_IMPORT = os.environ.get("GREETING")


def handle(event, context):
    event["together"].wait(timeout=30)
    return {"greeting": os.environ.get("GREETING"), "shared": os.getenv("SHARED"),
            "atImport": SEEN_AT_IMPORT, "other": os.environ.get("ONLY_ONE")}
"""


def project(folder: Path) -> configuration.ServerlessConfig:
    (folder / "env_handler_one.py").write_text(HANDLER)
    (folder / "env_handler_two.py").write_text(HANDLER)
    document = {
        "service": "envs",
        "provider": {"name": "aws", "environment": {"SHARED": "everyone", "GREETING": "provider"}},
        "functions": {
            "one": {"handler": "env_handler_one.handle", "environment": {"GREETING": "one", "ONLY_ONE": "x"}},
            "two": {"handler": "env_handler_two.handle", "environment": {"GREETING": "two"}},
        },
    }
    (folder / "serverless.yml").write_text(yaml.safe_dump(document))
    return configuration.load(folder / "serverless.yml")


def test_a_function_environment_is_the_providers_then_its_own(tmp_path: Path) -> None:
    loaded = project(tmp_path)
    assert loaded.environment("one") == {"SHARED": "everyone", "GREETING": "one", "ONLY_ONE": "x"}
    assert loaded.environment("two") == {"SHARED": "everyone", "GREETING": "two"}


def test_functions_running_at_once_each_see_their_own_variables(tmp_path: Path) -> None:
    loaded = project(tmp_path)
    functions = functions_of(
        loaded, "dev", "us-east-1", {key: loaded.environment(key) for key in loaded.functions}
    )
    together = threading.Barrier(len(functions))
    results: dict[str, object] = {}

    def run(function: LocalFunction) -> None:
        results[function.key] = function.invoke({"together": together})

    threads = [threading.Thread(target=run, args=(function,)) for function in functions.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Both read their environment while both were under way (the barrier).
    assert results == {
        "one": {"greeting": "one", "shared": "everyone", "atImport": "one", "other": "x"},
        "two": {"greeting": "two", "shared": "everyone", "atImport": "two", "other": None},
    }
    assert "GREETING" not in os.environ and "ONLY_ONE" not in os.environ
