"""The API against moto's table and stream and a real archive (SQLite and MariaDB): what it
publishes is applied by the listener, then read back through the real connectors; and the
Lambda handler itself, configured from the environment with its keys in Secrets Manager."""

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from services.api import function
from services.api.app import create_app
from services.api.auth import hash_key
from services.api.deps import ApiDeps
from services.api.testing import http_api_event
from shared import bootstrap
from shared.adapters.dynamodb import DynamoListStore
from shared.adapters.sql_archive import SQLITE, Archive, open_archive
from shared.bootstrap import Ports
from shared.events.testing import kinesis_event
from shared.lists.archive import ArchiveUnavailable
from shared.settings import Settings
from tests.api_fakes import ADMIN_KEY, BILL_KEY, KEYS, TAGS, bearer
from tests.samples import archived_tally
from tests.support.aws import Deployed
from tests.support.harness import Harness

NAMES = ["favorite movies", "a/b", "100%", "#1?", "🎬"]


class Api:
    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        deps = ApiDeps(
            store=harness.store,
            stream=harness.stream,
            archive=harness.archive,
            keys=KEYS,
            tags=TAGS,
            probes=bootstrap.probes(harness.store, harness.stream, harness.archive),
        )
        self.client: FlaskClient = create_app(deps).test_client()

    def post(self, document: dict[str, Any], key: str = ADMIN_KEY) -> Any:
        return self.client.post("/lists", json=document, headers=bearer(key))

    def apply(self) -> None:
        """The listener over everything on the stream; what it applied before is a duplicate."""
        events = [event for event in self.harness.published() if event["type"].startswith("list-")]
        assert self.harness.run(kinesis_event(events, arrival=time.time())) == {"batchItemFailures": []}

    def get(self, path: str) -> Any:
        response = self.client.get(path)
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def api(harness: Harness) -> Api:
    return Api(harness)


def at(*names: str) -> str:
    return "/lists/" + "/users/".join(quote(name, safe="") for name in names)


def walk(api: Api, first: str) -> list[Any]:
    page = api.get(first)
    found = list(page["items"])
    while page["next"]:
        page = api.get(f"{first}&cursor={page['next']}")
        found += page["items"]
    return found


def test_writes_come_back_in_every_read(api: Api) -> None:
    for title in NAMES:
        for user in NAMES:
            assert (
                api.post({"title": title, "user": user, "type": "tally", "entries": {"xp": 1.5}}).status_code
                == 202
            )
    api.apply()

    for title in NAMES:
        aggregate = api.get(at(title))
        assert (aggregate["title"], aggregate["entries"], aggregate["users"]) == (title, {"xp": 7.5}, 5)
        assert api.get(at(title, NAMES[1]))["entries"] == {"xp": 1.5}
    assert [item["title"] for item in walk(api, "/lists?limit=2")] == sorted(NAMES)
    users = walk(api, f"{at('a/b')}/users?limit=2")
    assert [item["user"] for item in users] == sorted(NAMES)
    assert set(users[0]) == {"title", "user", "type", "updatedAt"}


def test_deleted_lists_leave_the_listings_and_show_in_history(api: Api) -> None:
    for user in ("beth", "bill", "mike"):
        api.post({"title": "stats", "user": user, "type": "tally", "entries": {"xp": 1}})
    api.apply()
    response = api.client.delete(at("stats", "bill"), headers={**bearer(BILL_KEY), "Idempotency-Key": "bye"})
    assert response.status_code == 202
    api.apply()

    assert api.client.get(at("stats", "bill")).status_code == 404
    assert [item["user"] for item in walk(api, f"{at('stats')}/users?limit=1")] == ["beth", "mike"]
    history = walk(api, f"{at('stats')}/history?limit=2")
    assert [entry["event"] for entry in history] == ["list-delete-submitted"] + ["list-update-submitted"] * 3
    assert history[0]["id"] == response.get_json()["id"] and history[0]["user"] == "bill"


def test_a_title_whose_users_all_left_is_no_longer_listed(api: Api) -> None:
    api.post({"title": "gone", "user": "bill", "type": "rank", "entries": {"a": 1}})
    api.post({"title": "kept", "user": "bill", "type": "rank", "entries": {"a": 1}})
    api.apply()
    api.client.delete(at("gone", "bill"), headers=bearer(ADMIN_KEY))
    api.apply()
    assert [item["title"] for item in api.get("/lists")["items"]] == ["kept"]
    assert api.client.get(at("gone")).status_code == 404


def test_the_type_conflict_is_seen_in_the_table(api: Api) -> None:
    api.post({"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 1}})
    api.apply()
    response = api.post({"title": "stats", "user": "mike", "type": "rank", "entries": {"xp": 1}})
    assert response.status_code == 409


def test_health_checks_the_table_the_stream_and_the_archive(api: Api) -> None:
    assert api.get("/health") == {"status": "ok", "checks": {"table": "ok", "stream": "ok", "archive": "ok"}}


def test_health_is_degraded_when_the_table_is_missing(harness: Harness) -> None:
    missing = DynamoListStore(harness.store.client, "no-such-table-" + uuid.uuid4().hex[:8])
    probes = bootstrap.probes(missing, harness.stream, harness.archive)
    deps = ApiDeps(
        store=missing, stream=harness.stream, archive=harness.archive, keys=KEYS, tags=TAGS, probes=probes
    )
    response = create_app(deps).test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["checks"]["table"].startswith("unavailable:")


SUBMISSION = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 1}}
# About 7 KB: a row that needs pages of its own.
ROW = archived_tally(json.dumps(SUBMISSION) * 100)


def full_disk_archive(path: Path) -> Archive:
    """The SQLite archive at `path` as on a disk with no room left: every connection may not grow
    the database past the pages it has, which fails a write that needs room with SQLite's own
    error for a full disk (SQLITE_FULL, "database or disk is full")."""

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(path, check_same_thread=False)
        (pages,) = connection.execute("PRAGMA page_count").fetchone()
        connection.execute(f"PRAGMA max_page_count = {pages}")
        return connection

    return Archive(SQLITE, connect, f"sqlite:///{path}")


def test_health_is_degraded_while_the_archive_refuses_every_write_with_a_full_disk(
    harness: Harness, tmp_path: Path
) -> None:
    path = tmp_path / "archive.db"
    writable = open_archive(f"sqlite:///{path}")
    writable.migrate()
    writable.close()
    with sqlite3.connect(path) as connection:
        connection.execute("VACUUM")  # no free page left over from the migrations either
    archive = full_disk_archive(path)
    # What the listener's batch meets: its archive write fails, the batch is retried.
    with pytest.raises(ArchiveUnavailable, match="database or disk is full"):
        archive.record([ROW])
    archive.ping()  # the database answers all the same
    deps = ApiDeps(
        store=harness.store,
        stream=harness.stream,
        archive=archive,
        keys=KEYS,
        tags=TAGS,
        probes=bootstrap.probes(harness.store, harness.stream, archive),
    )

    response = create_app(deps).test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {
        "table": "ok",
        "stream": "ok",
        "archive": "unavailable: ArchiveUnavailable",
    }


def test_the_archives_write_probe_leaves_no_row_in_the_archive(harness: Harness) -> None:
    harness.archive.record([ROW])
    harness.archive.probe_write()
    harness.archive.probe_write()
    assert [row.id for row in harness.archive.in_order()] == [ROW.id]


# -- the Lambda handler, wired from the environment ---------------------------------------------


Invoke = Callable[..., dict[str, Any]]


@pytest.fixture
def invoke(deployed: Deployed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """`invoke(method, path, body=None, headers=None)`: the API's Lambda handler, as the handler
    module builds it, on the settings of this environment, called with an HTTP API event."""
    ring = {"keys": [{"name": "ops", "sha256": hash_key(ADMIN_KEY), "admin": True}]}
    secret = deployed.aws.client("secretsmanager").create_secret(
        Name=f"api-keys-{deployed.stage}", SecretString=json.dumps(ring)
    )
    monkeypatch.setenv("LISTMGR_TABLE", deployed.table_name)
    monkeypatch.setenv("LISTMGR_STREAM", deployed.stream_name)
    monkeypatch.setenv("LISTMGR_ARCHIVE_URL", f"sqlite:///{tmp_path}/archive.db")
    monkeypatch.setenv("LISTMGR_API_KEYS_SECRET_ARN", secret["ARN"])
    monkeypatch.delenv("LISTMGR_API_KEYS", raising=False)
    ports = Ports.from_environment()
    handle = function.handler(ports)

    def call(
        method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        text = None if body is None else json.dumps(body)
        event = http_api_event(method, path, text, {"content-type": "application/json", **(headers or {})})
        return handle(event, None)

    yield call
    ports.close()


def test_the_lambda_handler_takes_its_keys_from_secrets_manager(invoke: Invoke) -> None:
    submission = {"title": "a/b", "user": "bill", "type": "tally", "entries": {"xp": 1}}
    accepted = invoke("POST", "/lists", submission, bearer(ADMIN_KEY))
    assert accepted["statusCode"] == 202, accepted
    assert invoke("POST", "/lists", submission, bearer(BILL_KEY))["statusCode"] == 401
    assert invoke("POST", "/lists", submission)["statusCode"] == 401

    health = invoke("GET", "/health")
    assert health["statusCode"] == 200, health["body"]
    assert invoke("GET", "/lists/a%252Fb")["statusCode"] == 404  # not applied: no listener here
    listed = json.loads(invoke("GET", "/lists/a%252Fb/users")["body"])
    assert listed == {"items": [], "next": None}


def test_a_history_read_is_a_503_while_the_archives_secret_cannot_be_read(
    harness: Harness, tmp_path: Path
) -> None:
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:no-such-archive-secret-AbCdEf"
    settings = Settings(archive_url=f"sqlite:///{tmp_path}/archive.db", archive_secret_arn=missing)
    deps = ApiDeps(
        store=harness.store,
        stream=harness.stream,
        archive=bootstrap.DeferredArchive(lambda: bootstrap.archive(settings)),
        keys=KEYS,
        tags=TAGS,
    )
    response = create_app(deps).test_client().get("/lists/stats/history", headers=bearer(ADMIN_KEY))
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "unavailable"
