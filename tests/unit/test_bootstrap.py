"""The composition root (shared/bootstrap.py): a port given is used as it is; a port not given is
the real adapter, made the first time it is used and then kept."""

import threading
from pathlib import Path

import pytest

from services.listener import function
from shared.adapters.aws import client
from shared.bootstrap import DeferredStream, Ports
from shared.events.codec import loads
from shared.events.testing import kinesis_event, kinesis_record
from shared.settings import Settings
from shared.stream.memory import MemoryStream
from tests.support.ports import in_memory

SUBMISSION = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 1}}


def test_a_listener_batch_without_faults_asks_for_no_stream() -> None:
    stream, asked = MemoryStream(), []

    def make() -> MemoryStream:
        asked.append(True)
        return stream

    handle = function.handler(in_memory(stream=DeferredStream(make)))
    assert handle(kinesis_event([SUBMISSION]), None) == {"batchItemFailures": []}
    assert asked == []
    faulty = {"Records": [kinesis_record(b"not json", 2), kinesis_record(b"nor this", 3)]}
    assert handle(faulty, None) == {"batchItemFailures": []}
    assert asked and [loads(data)["type"] for _, data in stream.records] == ["fault", "fault"]


def test_ports_not_given_connect_nothing_until_used() -> None:
    clients = client.cache_info().currsize
    ports = Ports(Settings(stage="unused"))
    assert isinstance(ports.stream, DeferredStream)
    assert set(ports.probes()) == {"table", "stream", "archive"}
    assert client.cache_info().currsize == clients


def test_ports_given_are_checked_by_no_probe_and_migrate_nothing() -> None:
    ports = in_memory()
    assert ports.probes() == {}
    assert ports.migrate() == []


def test_settings_from_the_environment_are_read_at_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    ports = Ports.from_environment()
    monkeypatch.setenv("LISTMGR_STAGE", "read-late")
    assert ports.settings.stage == "read-late"
    monkeypatch.setenv("LISTMGR_STAGE", "read-once")
    assert ports.settings.stage == "read-late"


def test_the_real_archive_is_made_once_whichever_thread_asks_first(tmp_path: Path) -> None:
    ports = Ports(Settings(archive_url=f"sqlite:///{tmp_path}/archive.db"))
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(ports.sql_archive())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(archive) for archive in seen}) == 1
    assert ports.archive is seen[0]
    assert ports.migrate()
    ports.close()
