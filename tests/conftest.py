"""Fixtures shared by every layer of tests.

- `aws`: a moto server in this process (one per session, on a free port) with the environment
  boto3 needs; tests isolate themselves by stage, so every resource name is their own.
- `deployed`: serverless.yml's resources deployed under a fresh stage.
- `mysql_url`: a database of its own on the machine's MariaDB, dropped afterwards; skipped when
  no server answers, unless LISTMGR_REQUIRE_MYSQL=1 (as in CI), which makes that a failure.
- `archive`: the archive on SQLite and on MySQL (parametrized); a test parametrized with
  `memory` too (indirect) gets the in-memory one as well, for the port's contract tests.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pymysql
import pytest

from listmgr.endpoint import moto_server
from listmgr.runtime import config as configuration
from listmgr.runtime.resources import deploy
from shared.adapters.sql_archive import open_archive
from shared.lists.archive import ChangeArchive
from shared.lists.memory import MemoryArchive
from tests.support.aws import ROOT, Aws, Deployed, free_port

MYSQL_URL = os.environ.get("LISTMGR_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306")


@pytest.fixture(scope="session")
def aws() -> Iterator[Aws]:
    port = free_port()
    server = moto_server.start("127.0.0.1", port)
    endpoint = f"http://127.0.0.1:{port}"
    saved = {name: os.environ.get(name) for name in _AWS_ENVIRONMENT}
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
    )
    yield Aws(endpoint)
    server.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


_AWS_ENVIRONMENT = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
)


@pytest.fixture
def deployed(aws: Aws) -> Deployed:
    """The project's resources under a stage of this test's own."""
    stage = "t" + uuid.uuid4().hex[:10]
    loaded = configuration.load(ROOT / "serverless.yml", configuration.Options(stage=stage))
    resources = deploy(loaded, aws.client, f"{loaded.service}-{stage}")
    return Deployed(
        aws=aws,
        stage=stage,
        resources=resources,
        table_name=f"{loaded.service}-{stage}-lists",
        stream_name=f"{loaded.service}-{stage}-events",
        queue_name=f"{loaded.service}-{stage}-stream-failures",
    )


def _mysql_reachable() -> bool:
    try:
        pymysql.connect(**_server_settings(), connect_timeout=2).close()
    except pymysql.err.MySQLError:
        return False
    return True


def _server_settings() -> dict[str, Any]:
    parts = urlsplit(MYSQL_URL)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": parts.username or "root",
        "password": parts.password or "",
    }


@pytest.fixture
def mysql_url() -> Iterator[str]:
    if not _mysql_reachable():
        if os.environ.get("LISTMGR_REQUIRE_MYSQL") == "1":
            pytest.fail(f"MySQL is required (LISTMGR_REQUIRE_MYSQL=1) but {MYSQL_URL} does not answer")
        pytest.skip(f"no MySQL server at {MYSQL_URL}")
    database = "listmgr_test_" + uuid.uuid4().hex[:12]
    yield f"{MYSQL_URL.rstrip('/')}/{database}"
    connection = pymysql.connect(**_server_settings())
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
    connection.close()


@pytest.fixture(params=["sqlite", "mysql"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChangeArchive]:
    if request.param == "memory":
        yield MemoryArchive()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/archive.db"
    else:
        url = request.getfixturevalue("mysql_url")
    opened = open_archive(url)
    opened.migrate()
    yield opened
    opened.close()
