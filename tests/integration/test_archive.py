"""The archive's contract, held by every implementation of the port (memory, SQLite and the
machine's MariaDB, the same tests against each): one row per (title, user, id), names compared
exactly, ordered history. Then the SQL archive's own business: migrations, upgrades of archives
written by earlier schemas, and what it does when its database fails."""

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import astuple, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pymysql
import pytest

from listmgr.cli import main as cli
from shared.adapters.sql_archive import COLUMNS, Archive, open_archive
from shared.lists.archive import MAX_INTEGER, ArchivedRecord, ArchiveUnavailable, ChangeArchive

EVERY_ARCHIVE = pytest.mark.parametrize("archive", ["memory", "sqlite", "mysql"], indirect=True)
"""The port's contract tests run on each of its implementations."""
KEY_BY_LIST = "key rows by (title, user_name, id), names as exact bytes"
"""How migrate() names the upgrade to the (title, user_name, id) key."""


def row(event_id: str, version: int, position: int = 0, title: str = "stats / 🎬") -> ArchivedRecord:
    return ArchivedRecord(
        id=event_id,
        title=title,
        user_name="bill",
        event_type="list-update-submitted",
        list_type="tally",
        entries='{"xp":0.1}',
        timestamp=1_700_000_000_000 + version,
        version=version,
        position=position,
        shard_id="shardId-000000000000",
        sequence_number=str(version),
        partition_key="pk",
        document=f'{{"id":"{event_id}"}}',
        archived_at=1,
    )


def test_migrations_are_idempotent(archive: Archive) -> None:
    assert archive.migrate() == []


@EVERY_ARCHIVE
def test_a_record_archived_twice_is_one_row_at_its_latest_position(archive: ChangeArchive) -> None:
    archive.record([row("a", 1), row("b", 1, 1)])
    archive.record([replace(row("a", 1), version=3, position=2, entries='{"xp":9}')])
    assert archive.count() == 2
    (a,) = [r for r in archive.in_order() if r.id == "a"]
    assert (a.version, a.position, a.entries) == (3, 2, '{"xp":0.1}')


@EVERY_ARCHIVE
def test_history_is_newest_first_and_pages_by_version_and_position(archive: ChangeArchive) -> None:
    archive.record([row(f"id{v}{p}", v, p) for v in (1, 2, 3) for p in (0, 1)] + [row("other", 9, title="x")])
    first = archive.history("stats / 🎬", limit=4)
    assert [r.id for r in first] == ["id31", "id30", "id21", "id20"]
    rest = archive.history("stats / 🎬", limit=4, before=(first[-1].version, first[-1].position))
    assert [r.id for r in rest] == ["id11", "id10"]


@EVERY_ARCHIVE
def test_in_order_is_title_by_title_in_apply_order(archive: ChangeArchive) -> None:
    archive.record(
        [row("late", 2, 0, "b"), row("early", 1, 1, "b"), row("first", 1, 0, "b"), row("z", 5, 0, "a")]
    )
    assert [r.id for r in archive.in_order()] == ["z", "first", "early", "late"]


@EVERY_ARCHIVE
def test_forget_removes_rows(archive: ChangeArchive) -> None:
    archive.record([row("a", 1), row("b", 2)])
    archive.forget([("stats / 🎬", "bill", "a"), ("stats / 🎬", "bill", "missing")])
    assert [r.id for r in archive.in_order()] == ["b"]


@EVERY_ARCHIVE
def test_titles_compare_exactly(archive: ChangeArchive) -> None:
    archive.record(
        [row("upper", 1, title="Stats"), row("lower", 1, title="stats"), row("accent", 1, title="stäts")]
    )
    assert [r.id for r in archive.history("stats", 10)] == ["lower"]


def test_an_unreachable_mysql_is_unavailable_not_a_crash() -> None:
    archive = open_archive("mysql://root@127.0.0.1:1/nowhere")
    with pytest.raises(ArchiveUnavailable, match=r"archive mysql://root@127\.0\.0\.1:1/nowhere"):
        archive.record([row("a", 1)])


@pytest.mark.parametrize("url", ["postgres://x/y", "sqlite3:///x"])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported archive URL"):
        open_archive(url)


def test_mysql_creates_its_database_on_first_migration(mysql_url: str) -> None:
    archive = open_archive(mysql_url)
    assert archive.migrate() == [
        "1: CREATE TABLE IF NOT EXISTS archive",
        "2: " + KEY_BY_LIST,
    ]
    archive.record([row("a", 1)])
    assert archive.count() == 1
    archive.close()


def listed(title: str, user: str, event_id: str, version: int, position: int = 0) -> ArchivedRecord:
    return replace(row(event_id, version, position, title), user_name=user)


@EVERY_ARCHIVE
def test_one_id_sent_for_two_user_lists_is_a_row_of_each(archive: ChangeArchive) -> None:
    archive.record(
        [listed("stats", "alice", "K1", 1), listed("stats", "bob", "K1", 2), listed("xp", "alice", "K1", 1)]
    )
    assert archive.count() == 3
    assert [(r.user_name, r.version) for r in archive.history("stats", 10)] == [("bob", 2), ("alice", 1)]

    # Bob's record archived again, about to be stored elsewhere: his row moves, Alice's stays.
    archive.record([listed("stats", "bob", "K1", 3, 1)])
    assert archive.count() == 3
    assert [(r.user_name, r.version, r.position) for r in archive.history("stats", 10)] == [
        ("bob", 3, 1),
        ("alice", 1, 0),
    ]

    archive.forget([("stats", "bob", "K1")])
    assert [(r.title, r.user_name, r.id) for r in archive.in_order()] == [
        ("stats", "alice", "K1"),
        ("xp", "alice", "K1"),
    ]


LOOKALIKES = [
    pytest.param("pad", "pad ", id="trailing-space"),
    pytest.param("pad", "Pad", id="case"),
    pytest.param("\u00e9t\u00e9", "e\u0301te\u0301", id="nfc-nfd"),
]


@EVERY_ARCHIVE
@pytest.mark.parametrize(("one", "other"), LOOKALIKES)
def test_names_differing_only_in_spaces_case_or_normalization_are_different(
    archive: ChangeArchive, one: str, other: str
) -> None:
    archive.record(
        [
            # Two titles, interleaved in apply order.
            listed(one, "u", "evt-1", 1),
            listed(other, "u", "evt-1", 2),
            listed(one, "u", "evt-2", 3),
            # Two users of one title, and two ids of one user list.
            listed(one, one, "evt-1", 4),
            listed(one, other, "evt-1", 5),
            listed(one, "u", f"evt-{one}", 6),
            listed(one, "u", f"evt-{other}", 7),
        ]
    )
    assert archive.count() == 7
    assert [(r.title, r.user_name, r.id) for r in archive.history(one, 10)] == [
        (one, "u", f"evt-{other}"),
        (one, "u", f"evt-{one}"),
        (one, other, "evt-1"),
        (one, one, "evt-1"),
        (one, "u", "evt-2"),
        (one, "u", "evt-1"),
    ]
    assert [(r.title, r.id) for r in archive.history(other, 10)] == [(other, "evt-1")]

    # Replay folds a title's records together: each title's rows come as one run, in the order
    # Python gives the names (code points, as the bytes of their UTF-8).
    titles = [r.title for r in archive.in_order()]
    assert titles == sorted(titles) and set(titles) == {one, other}

    archive.forget([(one, "u", f"evt-{one}"), (one, one, "evt-1")])
    assert {(r.user_name, r.id) for r in archive.history(one, 10)} == {
        ("u", f"evt-{other}"),
        (other, "evt-1"),
        ("u", "evt-2"),
        ("u", "evt-1"),
    }


@EVERY_ARCHIVE
def test_history_accepts_the_largest_position_a_cursor_may_give(archive: ChangeArchive) -> None:
    archive.record([replace(row("a", 1), version=MAX_INTEGER, position=MAX_INTEGER), row("b", 1)])
    assert [r.id for r in archive.history("stats / 🎬", 10, before=(MAX_INTEGER, MAX_INTEGER))] == ["b"]


@EVERY_ARCHIVE
def test_an_empty_archive_reads_empty_and_empty_writes_change_nothing(archive: ChangeArchive) -> None:
    archive.record([])
    archive.forget([])
    assert archive.count() == 0 and list(archive.in_order()) == [] and archive.history("stats", 10) == []
    archive.record([row("a", 1)])
    archive.forget([])
    archive.record([])
    assert [r.id for r in archive.in_order()] == ["a"]


@EVERY_ARCHIVE
def test_history_is_limited_and_a_cursor_past_the_oldest_row_reads_nothing(archive: ChangeArchive) -> None:
    archive.record([row("a", 1), row("b", 2), row("c", 2, 1)])
    assert [r.id for r in archive.history("stats / 🎬", 1)] == ["c"]
    assert [r.id for r in archive.history("stats / 🎬", 10, before=(2, 1))] == ["b", "a"]
    assert [r.id for r in archive.history("stats / 🎬", 10, before=(2, 0))] == ["a"]
    assert archive.history("stats / 🎬", 10, before=(1, 0)) == []
    assert archive.history("stats / 🎬 ", 10) == []


@EVERY_ARCHIVE
def test_rows_read_back_whole_and_purge_removes_every_one(archive: ChangeArchive) -> None:
    deleted = replace(row("d", 2, 1), event_type="list-delete-submitted", list_type=None, entries=None)
    rows = [row("a", 1), replace(row("b", 1, 1), shard_id=None, sequence_number=None, partition_key=None)]
    archive.record([*rows, deleted])
    assert list(archive.in_order()) == [*rows, deleted]
    assert archive.history("stats / 🎬", 10) == [deleted, rows[1], rows[0]]
    archive.purge()
    assert archive.count() == 0 and list(archive.in_order()) == []


# -- upgrades -----------------------------------------------------------------------------------
# The first schema, copied from the release before rows were keyed by user list: what archives in
# use hold, with the migrations they had applied.

FIRST_MYSQL_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS archive (
        id VARCHAR(256) NOT NULL PRIMARY KEY,
        title VARCHAR(128) NOT NULL,
        user_name VARCHAR(128) NOT NULL,
        event_type VARCHAR(64) NOT NULL,
        list_type VARCHAR(8) NULL,
        entries LONGTEXT NULL,
        timestamp BIGINT NOT NULL,
        version BIGINT NOT NULL,
        position INT NOT NULL,
        shard_id VARCHAR(256) NULL,
        sequence_number VARCHAR(128) NULL,
        partition_key VARCHAR(256) NULL,
        document LONGTEXT NOT NULL,
        archived_at BIGINT NOT NULL,
        KEY archive_by_title (title, version, position)
    ) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin ENGINE=InnoDB
    """,
    "CREATE TABLE IF NOT EXISTS archive_migrations "
    "(number INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)",
    "INSERT INTO archive_migrations (number, applied_at) VALUES (1, 1700000000000)",
)
FIRST_SQLITE_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS archive (
        id TEXT NOT NULL PRIMARY KEY,
        title TEXT NOT NULL,
        user_name TEXT NOT NULL,
        event_type TEXT NOT NULL,
        list_type TEXT,
        entries TEXT,
        timestamp INTEGER NOT NULL,
        version INTEGER NOT NULL,
        position INTEGER NOT NULL,
        shard_id TEXT,
        sequence_number TEXT,
        partition_key TEXT,
        document TEXT NOT NULL,
        archived_at INTEGER NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS archive_by_title ON archive (title, version, position)",
    "CREATE TABLE IF NOT EXISTS archive_migrations "
    "(number INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)",
    "INSERT INTO archive_migrations (number, applied_at) VALUES (1, 1700000000000), (2, 1700000000000)",
)

# What the first schema could hold: distinct ids, titles that differ only in trailing spaces, case
# or normalization (only its primary key compared names with padding), exact numbers, emoji.
FIRST_ROWS = [
    listed("pad", "bill", "evt-1", 1),
    listed("pad ", "bill", "evt-2", 1),
    listed("Pad", "bill", "evt-3", 1),
    listed("pad", "bill ", "evt-4", 2, 1),
    listed("\u00e9t\u00e9", "bill", "evt-5", 1),
    listed("e\u0301te\u0301", "bill", "evt-6", 1),
    replace(listed("stats / 🎬", "🎬", "evt-7", 3), entries='{"xp":0.30000000000000000001}', list_type=None),
]


@dataclass(frozen=True)
class FirstSchema:
    url: str
    connect: Callable[[], Any]
    placeholder: str
    upgrade: str
    """What migrate() reports applying to it."""


@pytest.fixture(params=["sqlite", "mysql"])
def first_schema(request: pytest.FixtureRequest, tmp_path: Path) -> FirstSchema:
    """An archive as the first schema wrote it, rows and all."""
    if request.param == "sqlite":
        path = tmp_path / "archive.db"
        schema = FirstSchema(f"sqlite:///{path}", lambda: sqlite3.connect(path), "?", "3: " + KEY_BY_LIST)
        statements: Sequence[str] = FIRST_SQLITE_SCHEMA
    else:
        url = request.getfixturevalue("mysql_url")
        parts = urlsplit(url)
        server = {
            "host": parts.hostname,
            "port": parts.port or 3306,
            "user": parts.username or "root",
            "password": parts.password or "",
            "charset": "utf8mb4",
        }
        database = parts.path.lstrip("/")
        connection = pymysql.connect(**server)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
        connection.close()
        schema = FirstSchema(
            url, lambda: pymysql.connect(**server, database=database), "%s", "2: " + KEY_BY_LIST
        )
        statements = FIRST_MYSQL_SCHEMA
    connection = schema.connect()
    cursor = connection.cursor()
    for statement in statements:
        cursor.execute(statement)
    marks = ", ".join([schema.placeholder] * len(COLUMNS))
    cursor.executemany(
        f"INSERT INTO archive ({', '.join(COLUMNS)}) VALUES ({marks})", [astuple(r) for r in FIRST_ROWS]
    )
    connection.commit()
    connection.close()
    return schema


def by_key(rows: Iterable[ArchivedRecord]) -> dict[tuple[str, str, str], ArchivedRecord]:
    return {(r.title, r.user_name, r.id): r for r in rows}


def test_an_archive_of_the_first_schema_is_upgraded_in_place_with_its_rows(first_schema: FirstSchema) -> None:
    archive = open_archive(first_schema.url)
    assert archive.migrate() == [first_schema.upgrade]
    assert archive.migrate() == []
    assert by_key(archive.in_order()) == by_key(FIRST_ROWS)
    assert [r.id for r in archive.history("pad", 10)] == ["evt-4", "evt-1"]

    # A record of the old archive delivered again is still one row; its id sent for another user
    # list is a row of its own.
    archive.record([replace(FIRST_ROWS[0], version=9), listed("pad ", "bill", "evt-1", 2)])
    assert archive.count() == len(FIRST_ROWS) + 1
    assert [(r.id, r.version) for r in archive.history("pad", 10)] == [("evt-1", 9), ("evt-4", 2)]
    assert [r.id for r in archive.history("pad ", 10)] == ["evt-1", "evt-2"]
    titles = [r.title for r in archive.in_order()]
    assert titles == sorted(titles)
    archive.close()


def test_the_upgrade_runs_again_safely_when_its_record_was_lost(first_schema: FirstSchema) -> None:
    # MySQL commits DDL by itself: a crash between the upgrade and its record in
    # archive_migrations makes the next migrate() run it once more.
    archive = open_archive(first_schema.url)
    archive.migrate()
    archive.record([listed("pad", "bill ", "evt-1", 5)])
    connection = first_schema.connect()
    cursor = connection.cursor()
    cursor.execute(f"DELETE FROM archive_migrations WHERE number = {first_schema.upgrade.split(':')[0]}")
    connection.commit()
    connection.close()

    assert archive.migrate() == [first_schema.upgrade]
    assert by_key(archive.in_order()) == by_key([*FIRST_ROWS, listed("pad", "bill ", "evt-1", 5)])
    archive.close()


def test_listmgr_db_migrate_upgrades_the_archive_it_is_pointed_at(
    first_schema: FirstSchema,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LISTMGR_ARCHIVE_URL", first_schema.url)
    assert cli.main(["--state-dir", str(tmp_path / "state"), "db", "migrate"]) == 0
    assert capsys.readouterr().out.endswith(f": applied {first_schema.upgrade}\n")
    assert cli.main(["--state-dir", str(tmp_path / "state"), "db", "migrate"]) == 0
    assert capsys.readouterr().out.endswith(": up to date\n")
    archive = open_archive(first_schema.url)
    assert by_key(archive.in_order()) == by_key(FIRST_ROWS)
    archive.close()


def test_an_archive_behind_its_code_is_refused_until_migrated(first_schema: FirstSchema) -> None:
    # A deployment whose migrate has not run yet: writing now would merge lists' rows again.
    archive = open_archive(first_schema.url)
    behind = f"its schema is at migration {int(first_schema.upgrade.split(':')[0]) - 1} of"
    with pytest.raises(ArchiveUnavailable, match=behind):
        archive.record([listed("pad ", "bill", "evt-1", 2)])
    with pytest.raises(ArchiveUnavailable, match="run migrate"):
        archive.history("pad", 10)
    assert archive.count() == len(FIRST_ROWS)

    archive.migrate()
    archive.record([listed("pad ", "bill", "evt-1", 2)])
    assert archive.count() == len(FIRST_ROWS) + 1
    archive.close()


@pytest.mark.parametrize("first_schema", ["sqlite"], indirect=True)
def test_a_sqlite_upgrade_that_fails_midway_leaves_the_archive_as_it_was(first_schema: FirstSchema) -> None:
    # The upgrade's last statement fails, after the rows moved and the old table was dropped.
    connection = first_schema.connect()
    connection.execute(
        "CREATE TRIGGER fail_the_upgrade BEFORE INSERT ON archive_migrations "
        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
    )
    connection.commit()
    archive = open_archive(first_schema.url)
    with pytest.raises(ArchiveUnavailable, match="injected failure"):
        archive.migrate()

    tables = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ).fetchall()
    assert tables == [("archive",), ("archive_migrations",)]
    assert connection.execute("SELECT COUNT(*) FROM archive").fetchone() == (len(FIRST_ROWS),)
    connection.execute("DROP TRIGGER fail_the_upgrade")
    connection.commit()
    connection.close()

    assert archive.migrate() == [first_schema.upgrade]
    assert by_key(archive.in_order()) == by_key(FIRST_ROWS)
    archive.close()


def test_a_statement_sqlite_refuses_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    archive = open_archive(f"sqlite:///{tmp_path}/archive.db")
    archive.migrate()
    with sqlite3.connect(tmp_path / "archive.db") as connection:
        connection.execute("DROP TABLE archive")
    with pytest.raises(ArchiveUnavailable, match="no such table: archive"):
        archive.count()
    archive.close()
