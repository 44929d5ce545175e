"""Each function pays on its cold start only for what its first invocation uses: none imports the
MySQL driver before a MySQL archive is opened, the trigger never imports pydantic or the archive,
the listener never builds the models of the events it does not read, no model is built before
its first use (the listener's first batch builds one, the API's first write three), the API's
first write opens no archive, no garbage collection runs while a handler is imported, and X-Ray
is loaded inside Lambda only. Each import is checked in
a fresh interpreter: this one has imported everything."""

import gc
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from shared import collector

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = ("listener", "trigger", "api", "admin")


def environment(in_lambda: bool) -> dict[str, str]:
    # In Lambda (its function name set) a handler also patches its clients for X-Ray; the SDK
    # knows Lambda by its task root (and then makes no sampling client of its own).
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    if in_lambda:
        env.update(
            AWS_LAMBDA_FUNCTION_NAME="list-manager-dev-function",
            LAMBDA_TASK_ROOT=str(ROOT),
            AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR",
        )
    return env


def fresh(code: str, answer: str, env: dict[str, str] | None = None) -> Any:
    """What the expression `answer` is (as JSON) in a fresh interpreter that has run `code`."""
    script = textwrap.dedent(code) + f"\nimport json, sys\nprint(json.dumps({answer}))\n"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment(False) if env is None else env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def modules_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules a fresh interpreter holds once it has run `code`."""
    return set(fresh(code, "sorted(sys.modules)", env))


def packages(modules: set[str], *names: str) -> set[str]:
    return {module for module in modules if module.split(".")[0] in names}


@pytest.mark.parametrize("in_lambda", [False, True], ids=["locally", "in-lambda"])
def test_the_trigger_imports_neither_the_database_driver_nor_pydantic(in_lambda: bool) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import services.trigger.handler"],
        cwd=ROOT,
        env=environment(in_lambda),
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


@pytest.mark.parametrize("in_lambda", [False, True], ids=["locally", "in-lambda"])
@pytest.mark.parametrize("function", HANDLERS)
def test_no_handler_imports_the_archive_or_its_driver_before_it_opens_one(
    function: str, in_lambda: bool
) -> None:
    imported = modules_after(f"import services.{function}.handler", environment(in_lambda))
    assert f"services.{function}.handler" in imported and "boto3" in imported
    assert ("aws_xray_sdk.core" in imported) is in_lambda
    assert packages(imported, "pymysql", "cryptography") == set()
    assert "shared.adapters.sql_archive" not in imported


def test_the_listener_builds_no_model_of_the_events_it_publishes() -> None:
    models = fresh(
        """
        import services.listener.handler
        from pydantic import BaseModel

        OURS = ("shared.", "services.")

        def every(model):
            return [model.__name__] + [name for sub in model.__subclasses__() for name in every(sub)]
        """,
        "sorted(every(BaseModel)[1:])",
    )
    assert {"UpdateSubmitted", "DeleteSubmitted", "Submission"} <= set(models)  # what it reads
    published = {"UserListEvent", "AggregateListEvent", "FaultEvent", "UserListEntity", "AggregateEntity"}
    assert published & set(models) == set()
    assert packages(modules_after("import services.listener.handler"), "flask", "werkzeug") == set()


def test_a_listener_on_sqlite_applies_its_first_batch_without_loading_the_mysql_driver(
    tmp_path: Path,
) -> None:
    imported = modules_after(
        f"""
        from services.listener import function
        from shared.bootstrap import Ports
        from shared.events.testing import kinesis_event
        from shared.lists.memory import MemoryListStore
        from shared.settings import Settings
        from shared.stream.memory import MemoryStream

        settings = Settings(archive_url="sqlite:///{tmp_path}/archive.db")
        ports = Ports(settings, store=MemoryListStore(), stream=MemoryStream())
        assert ports.migrate()
        submission = {{"title": "stats", "user": "bill", "type": "tally", "entries": {{"xp": 1}}}}
        assert function.handler(ports)(kinesis_event([submission]), None) == {{"batchItemFailures": []}}
        assert ports.archive.count() == 1
        """
    )
    assert "shared.adapters.sql_archive" in imported and "sqlite3" in imported
    assert packages(imported, "pymysql", "cryptography") == set()


BUILT_MODELS = """
        from pydantic import BaseModel

        OURS = ("shared.", "services.")

        def every(model):
            return [model] + [found for sub in model.__subclasses__() for found in every(sub)]

        def built():
            ours = [model for model in every(BaseModel) if model.__module__.startswith(OURS)]
            return sorted(model.__name__ for model in ours if model.__pydantic_complete__)
        """
"""`built()`: the project's pydantic models whose validator is built (a model is built by its
first use: `defer_build`)."""


def test_the_listener_builds_the_one_model_its_first_batch_validates() -> None:
    imported, first_batch = fresh(
        BUILT_MODELS
        + """
        import services.listener.handler
        from services.listener import function
        from shared.bootstrap import Ports
        from shared.events.testing import kinesis_event
        from shared.lists.memory import MemoryArchive, MemoryListStore
        from shared.stream.memory import MemoryStream

        imported = built()
        ports = Ports(store=MemoryListStore(), archive=MemoryArchive(), stream=MemoryStream())
        submission = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 1}}
        assert function.handler(ports)(kinesis_event([submission]), None) == {"batchItemFailures": []}
        """,
        "[imported, built()]",
    )
    assert imported == []
    assert first_batch == ["UpdateSubmitted"]


def test_the_apis_first_write_builds_three_models_and_opens_no_archive(tmp_path: Path) -> None:
    imported, status, first_write, modules = fresh(
        BUILT_MODELS
        + f"""
        import json
        import services.api.handler
        from services.api import function
        from services.api.auth import hash_key, new_key
        from services.api.testing import http_api_event
        from shared.bootstrap import Ports
        from shared.lists.memory import MemoryListStore
        from shared.settings import Settings
        from shared.stream.memory import MemoryStream

        imported = built()
        key = new_key()
        keys = json.dumps({{"keys": [{{"name": "bench", "sha256": hash_key(key), "admin": True}}]}})
        settings = Settings(archive_url="sqlite:///{tmp_path}/archive.db", api_keys=keys)
        handle = function.handler(Ports(settings, store=MemoryListStore(), stream=MemoryStream()))
        body = json.dumps({{"title": "stats", "user": "bill", "type": "tally", "entries": {{"xp": 1}}}})
        headers = {{"authorization": f"Bearer {{key}}", "content-type": "application/json"}}
        response = handle(http_api_event("POST", "/lists", body, headers), None)
        """,
        '[imported, response["statusCode"], built(), sorted(sys.modules)]',
    )
    assert imported == []
    assert status == 202
    assert first_write == ["Accepted", "Submission", "UpdateSubmitted"]
    assert {"shared.adapters.sql_archive", "sqlite3"} & set(modules) == set()


@pytest.mark.parametrize("function", HANDLERS)
def test_a_handler_is_imported_without_the_garbage_collector_and_leaves_it_on(function: str) -> None:
    walked, enabled, frozen = fresh(
        f"""
        import gc
        import sys

        def seen(phase, info):
            # How many objects each collection walks, once the handler's own import has begun.
            if phase == "start" and "shared.collector" in sys.modules:
                generations = range(info["generation"] + 1)
                walked.append(sum(len(gc.get_objects(generation)) for generation in generations))

        walked = []
        gc.callbacks.append(seen)
        import services.{function}.handler
        """,
        "[walked, gc.isenabled(), gc.get_freeze_count()]",
    )
    assert enabled
    assert frozen > 10_000  # what the import made, which no collection walks
    assert all(objects < 1_000 for objects in walked), walked


def test_the_collector_is_left_as_it_was_found() -> None:
    with collector.importing():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.importing():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
