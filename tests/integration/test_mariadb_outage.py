"""A real MariaDB outage under the listener: nothing lost, nothing doubled once it is back.

Two faults, each on the machine's shared server without ever stopping it:
- the archive's own connection killed in the middle of its INSERT (`KILL <CONNECTION_ID()>` from a
  second connection, while a table lock holds the statement where the test can see it);
- the server unreachable through a proxy the test owns: a blackhole (bytes dropped, as in a
  network partition: only the client's timeouts end the wait), then resets, then back.
Records are delivered as an event source mapping does (Harness.deliver: again from the first
failed record), so they retry until the archive answers. At the end every list equals the fold of
the stream, the archive holds each applied change exactly once, and verify finds nothing.

LISTMGR_OUTAGE_RECORDS sets the records per scenario (`make soak` runs more).
"""

import os
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import pymysql
import pytest

from bench.workload import submissions
from listmgr.runtime import config as configuration
from services.admin import operations
from shared.adapters.sql_archive import MYSQL_TIMEOUTS, Archive, open_archive
from shared.clock import now_ms
from shared.events.testing import kinesis_event
from shared.lists.archive import ArchivedRecord, ArchiveUnavailable
from shared.lists.dedup import DedupSettings
from tests.faults.layer import ArchiveWrapper
from tests.model import fold, observed
from tests.proxy import FaultProxy, Mode
from tests.samples import archived_tally
from tests.support.aws import ROOT
from tests.support.harness import Harness

pytestmark = pytest.mark.mysql

RECORDS = int(os.environ.get("LISTMGR_OUTAGE_RECORDS", "120"))
BATCH = 20
# Short, so a blackholed attempt fails in seconds; the defaults (MYSQL_TIMEOUTS) are tested apart.
QUICK = "connect_timeout=1&read_timeout=2&write_timeout=2"


@pytest.fixture
def archive(mysql_url: str) -> Iterator[Archive]:
    """On MariaDB only (the harness's default archive is parametrized over SQLite too)."""
    opened = open_archive(f"{mysql_url}?{QUICK}")
    opened.migrate()
    yield opened
    opened.close()


def workload(seed: int) -> list[dict[str, Any]]:
    return list(submissions(RECORDS, seed=seed, titles=8, users=25))


def admin_connection(url: str) -> Any:
    parts = urlsplit(url)
    return pymysql.connect(
        host=parts.hostname,
        port=parts.port,
        user=parts.username or "root",
        password=parts.password or "",
        database=parts.path.lstrip("/"),
        autocommit=True,
        connect_timeout=5,
        read_timeout=30,
    )


def assert_exactly_once(
    harness: Harness, archive: Archive, documents: list[dict[str, Any]], ids: set[str]
) -> None:
    assert observed(operations.live_entities(harness.store.lists())) == fold(documents)
    rows = list(archive.in_order())
    # Every record is a bare submission under its own eventID, of a title of one type: each is
    # applied, so the archive is exactly one row per record, and no other.
    assert len(rows) == len(documents)
    assert {row.id for row in rows} == ids
    assert operations.verify(archive, harness.store, now_ms(), DedupSettings()) == []


class KillMidInsert(ArchiveWrapper):
    """The archive, except that the record() calls numbered in `kill_on` have their connection
    killed while their INSERT waits on a table lock another session holds: the statement is
    under way on the server when its connection dies, as in a failover or an operator's KILL."""

    def __init__(self, archive: Archive, url: str, kill_on: set[int]) -> None:
        super().__init__(archive)
        self.archive, self.url, self.kill_on = archive, url, kill_on
        self.calls = self.failed = 0
        self.killed: list[int] = []

    def record(self, rows: Sequence[ArchivedRecord]) -> None:
        self.calls += 1
        if self.calls not in self.kill_on:
            self.archive.record(rows)
            return
        victim = self.archive.connection_id()
        assert victim is not None
        blocker, killer = admin_connection(self.url), admin_connection(self.url)
        with blocker.cursor() as cursor:
            cursor.execute("LOCK TABLES archive WRITE")
        watcher = threading.Thread(target=self._kill_when_waiting, args=(killer, victim))
        watcher.start()
        try:
            self.archive.record(rows)
        except ArchiveUnavailable:
            self.failed += 1
            raise
        finally:
            watcher.join(timeout=30)
            with blocker.cursor() as cursor:
                cursor.execute("UNLOCK TABLES")
            blocker.close()
            killer.close()

    def _kill_when_waiting(self, killer: Any, victim: int) -> None:
        for _ in range(500):
            with killer.cursor() as cursor:
                cursor.execute("SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = %s", (victim,))
                found = cursor.fetchone()
                if found and found[0] and str(found[0]).startswith("INSERT INTO archive"):
                    cursor.execute(f"KILL {int(victim)}")
                    self.killed.append(victim)
                    return
            time.sleep(0.01)


def test_the_archive_connection_killed_mid_insert_loses_and_doubles_nothing(
    harness: Harness, archive: Archive, mysql_url: str
) -> None:
    documents = workload(seed=31)
    records = kinesis_event(documents)["Records"]
    batches = [records[start : start + BATCH] for start in range(0, len(records), BATCH)]
    faulty = KillMidInsert(archive, mysql_url, kill_on={2, 4, 5})
    started = time.monotonic()
    deliveries = 0
    idle_kills = 0
    for number, batch in enumerate(batches):
        if number % 3 == 2:
            # Killed while idle between batches: the next use pings, finds it dead and reconnects,
            # so the batch passes at its first delivery.
            victim = archive.connection_id()
            killer = admin_connection(mysql_url)
            with killer.cursor() as cursor:
                cursor.execute(f"KILL {int(victim or 0)}")
            killer.close()
            idle_kills += 1
        deliveries += harness.deliver(batch, archive=faulty)

    mid_insert = len(faulty.kill_on & set(range(1, faulty.calls + 1)))
    assert len(faulty.killed) == faulty.failed == mid_insert > 0
    assert deliveries == len(batches) + mid_insert
    assert_exactly_once(harness, archive, documents, {record["eventID"] for record in records})
    print(
        f"\nkill: {len(documents)} records, {mid_insert} connections killed mid-INSERT, "
        f"{idle_kills} while idle, {deliveries} deliveries for {len(batches)} batches, "
        f"{time.monotonic() - started:.1f} s; lost 0, doubled 0"
    )


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    parts = urlsplit(os.environ.get("LISTMGR_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306"))
    with FaultProxy((parts.hostname or "127.0.0.1", parts.port or 3306)) as running:
        yield running


def through(proxy: FaultProxy, mysql_url: str, query: str = QUICK) -> str:
    parts = urlsplit(mysql_url)
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return f"mysql://{credentials}127.0.0.1:{proxy.port}{parts.path}" + (f"?{query}" if query else "")


# Per batch number, the proxy's mode before its first delivery and after each failed one; `pass`
# once the plan runs out. Each entry costs exactly one failed delivery.
OUTAGES: dict[int, list[Mode]] = {
    1: ["blackhole", "blackhole", "reset", "reset"],
    3: ["reset", "blackhole"],
}


def test_the_server_unreachable_through_a_proxy_loses_and_doubles_nothing(
    harness: Harness, mysql_url: str, proxy: FaultProxy
) -> None:
    archive = open_archive(through(proxy, mysql_url))
    archive.migrate()
    documents = workload(seed=37)
    records = kinesis_event(documents)["Records"]
    batches = [records[start : start + BATCH] for start in range(0, len(records), BATCH)]
    started = time.monotonic()
    faults = 0
    for number, batch in enumerate(batches):
        plan = OUTAGES.get(number, [])
        proxy.mode = plan[0] if plan else "pass"

        def next_fault(failed: int, plan: list[Mode] = plan) -> None:
            proxy.mode = plan[failed] if failed < len(plan) else "pass"

        deliveries = harness.deliver(batch, archive=archive, after_failure=next_fault)
        # Every fault fails a delivery (none hangs, none passes silently) and the first delivery
        # after the server is back succeeds.
        assert deliveries == len(plan) + 1
        faults += len(plan)
    proxy.mode = "pass"
    assert faults == sum(len(plan) for number, plan in OUTAGES.items() if number < len(batches))
    assert proxy.resets > 0
    assert_exactly_once(harness, archive, documents, {record["eventID"] for record in records})
    print(
        f"\nproxy: {len(documents)} records, {faults} failed deliveries (blackhole and reset), "
        f"{proxy.accepted} connections accepted, {proxy.resets} reset, "
        f"{time.monotonic() - started:.1f} s; lost 0, doubled 0"
    )
    archive.close()


@pytest.mark.timeout(60)
def test_a_blackholed_server_fails_the_archive_within_its_timeouts(mysql_url: str, proxy: FaultProxy) -> None:
    """Without bounded timeouts pymysql would wait for the blackholed server forever (its
    defaults have no read timeout); pytest-timeout turns such a hang into a failure here."""
    archive = open_archive(through(proxy, mysql_url, "connect_timeout=1&read_timeout=1&write_timeout=1"))
    archive.migrate()
    proxy.mode = "blackhole"
    # The established connection: its ping times out, and so does the reconnect.
    with pytest.raises(ArchiveUnavailable, match=r"timed out|Lost connection|Can't connect"):
        archive.record([archived_tally()])
    proxy.mode = "pass"
    archive.record([archived_tally()])
    assert archive.count() == 1
    archive.close()


@pytest.mark.timeout(60)
def test_a_server_that_accepts_but_never_greets_is_bounded_by_the_read_timeout(
    mysql_url: str, proxy: FaultProxy
) -> None:
    """pymysql's connect_timeout ends at the TCP connect; the greeting waits read_timeout (1 s
    here, MYSQL_TIMEOUTS' otherwise), which is why the listener's budget counts it."""
    proxy.mode = "blackhole"
    archive = open_archive(through(proxy, mysql_url, "read_timeout=1"))
    with pytest.raises(ArchiveUnavailable, match="timed out"):
        archive.ping()
    archive.close()


def test_every_mysql_timeout_is_bounded_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def connect(**options: Any) -> Any:
        seen.update(options)
        raise pymysql.err.OperationalError(2003, "not this time")

    monkeypatch.setattr(pymysql, "connect", connect)
    with pytest.raises(ArchiveUnavailable):
        open_archive("mysql://root@127.0.0.1:1/db").ping()
    assert {name: seen[name] for name in MYSQL_TIMEOUTS} == MYSQL_TIMEOUTS
    # The worst a blackhole costs one invocation (a ping, then a reconnect whose greeting never
    # comes) stays within the listener's function timeout, so it ends in a partial batch
    # response, not in Lambda killing the invocation.
    functions = configuration.load(ROOT / "serverless.yml", configuration.Options(stage="t")).functions
    worst = 2 * MYSQL_TIMEOUTS["read_timeout"] + MYSQL_TIMEOUTS["connect_timeout"]
    assert worst < functions["listener"]["timeout"]
    with pytest.raises(ArchiveUnavailable):
        open_archive("mysql://root@127.0.0.1:1/db?read_timeout=2.5").ping()
    assert seen["read_timeout"] == 2.5 and seen["connect_timeout"] == MYSQL_TIMEOUTS["connect_timeout"]
    for bad in ("read_timeout=0", "read_timeout=inf", "read_timeout=x", "timeout=1", "read_timeout"):
        with pytest.raises(ValueError, match="unsupported archive URL option"):
            open_archive(f"mysql://root@127.0.0.1:1/db?{bad}")


def test_a_commit_whose_reply_is_lost_is_archived_once_when_retried(
    harness: Harness, mysql_url: str, proxy: FaultProxy
) -> None:
    """The worst moment to lose the server: the archive's COMMIT reached it and was applied, and
    its OK never came back. The batch fails as if nothing was written, its records come again,
    and the rows already there are taken as they are (an upsert on (title, user, id)), so the
    archive still holds each change once and the table applies each once."""
    archive = open_archive(through(proxy, mysql_url))
    archive.migrate()
    admin = admin_connection(mysql_url)
    started = time.monotonic()
    documents = workload(seed=41)
    records = kinesis_event(documents)["Records"]
    batches = [records[start : start + BATCH] for start in range(0, len(records), BATCH)]
    deliveries = 0
    for number, batch in enumerate(batches):
        before = archive.count()
        committed: list[int] = []
        if number % 2 == 1:
            proxy.cut_reply_to(b"\x03COMMIT")  # COM_QUERY "COMMIT", as pymysql's commit() sends it

        def look(_: int, committed: list[int] = committed) -> None:
            # Straight to the server, not through the proxy: what the failed delivery left.
            with admin.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM archive")
                committed.append(int(cursor.fetchone()[0]))

        deliveries += harness.deliver(batch, archive=archive, after_failure=look)
        if number % 2 == 1:
            # The failed delivery had committed its whole batch, and the redelivery added no row twice.
            assert committed == [before + len(batch)]
            assert archive.count() == before + len(batch)
    cut = len(batches) // 2
    assert proxy.cut == cut and deliveries == len(batches) + cut
    assert_exactly_once(harness, archive, documents, {record["eventID"] for record in records})
    print(
        f"\nlost commit reply: {len(documents)} records, {cut} COMMIT replies lost after the server "
        f"committed, {deliveries} deliveries for {len(batches)} batches, "
        f"{time.monotonic() - started:.1f} s; lost 0, doubled 0"
    )
    admin.close()
    archive.close()
