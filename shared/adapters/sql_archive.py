"""The archive (shared.lists.archive's ChangeArchive) in MySQL (pymysql) or SQLite.

`LISTMGR_ARCHIVE_URL` picks the database: `sqlite:///relative/path.db`, `sqlite:////absolute.db`
or `mysql://user:password@host:port/db`, optionally with `?connect_timeout=S&read_timeout=S&write_timeout=S`
(seconds; MYSQL_TIMEOUTS are the defaults). In AWS the password is not in the URL: it comes from the
Secrets Manager secret the function is given (see `shared.bootstrap.archive`).

The primary key is the port's row identity, (title, user_name, id).

Names are compared as exact bytes whatever the database: titles, users and ids that differ only in
trailing spaces, case or Unicode normalization are different. MySQL keeps them in VARBINARY
columns (NO PAD on MariaDB and MySQL 8 alike, where `utf8mb4_bin` is PAD SPACE on MariaDB and
`'pad' = 'pad '` there); SQLite's TEXT columns compare with its BINARY collation. Both order
them by their UTF-8 bytes, which is the order of their code points, as Python orders strings.

pymysql is imported when a MySQL archive is opened, not with this module: a function on SQLite,
or one that never opens its archive, does not pay for the driver (and the cryptography package
it loads) on its cold start.
"""

import math
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from shared.clock import now_ms
from shared.lists.archive import ArchivedRecord, ArchiveKey, ArchiveUnavailable

COLUMNS = (
    "id",
    "title",
    "user_name",
    "event_type",
    "list_type",
    "entries",
    "timestamp",
    "version",
    "position",
    "shard_id",
    "sequence_number",
    "partition_key",
    "document",
    "archived_at",
)
_values = attrgetter(*COLUMNS)
"""A row's values in the order of COLUMNS (dataclasses.astuple deep-copies every field)."""
KEY = ("title", "user_name", "id")
"""A row's identity (ArchiveKey): an id is unique within its user list only."""


class Connection(Protocol):
    def cursor(self) -> Any: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Migration:
    name: str
    statements: Sequence[str]


@dataclass(frozen=True)
class Dialect:
    name: str
    placeholder: str
    upsert: str
    """What follows the INSERT to refresh version and position of a row that is already there."""
    migrations: Sequence[Migration]
    """Applied in order, each once, and never edited: an archive of any earlier schema is upgraded
    in place by the ones it has not had yet."""
    begin: str | None
    """Opens a migration's transaction where DDL is transactional, so a migration applies whole
    or not at all; None where DDL commits by itself (MySQL), whose migrations can run again."""
    probe_table: str
    """The table of `Archive.probe_write`'s rows, created by the first probe (not a migration:
    an archive that takes writes must not look unhealthy because its migrate has not run)."""
    driver_errors: Callable[[], tuple[type[Exception], ...]]
    """What its driver raises when the database fails or refuses a statement."""


# The first schema, as archives written before the (title, user_name, id) key have it.
_MYSQL_TABLE = """
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
"""

_SQLITE_TABLE = """
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
"""

# Converting the columns to VARBINARY keeps their bytes (the UTF-8 of each name). Titles and users
# are at most 128 characters and ids 256, at most 4 bytes each: the key stays within InnoDB's
# 3072 bytes. Position becomes BIGINT like version, so both hold any MAX_INTEGER a cursor names.
# The statement leaves the same table when it runs again, as it may after a crash between it and
# its record in archive_migrations.
_MYSQL_KEY_BY_LIST = """
ALTER TABLE archive
    MODIFY id VARBINARY(1024) NOT NULL,
    MODIFY title VARBINARY(512) NOT NULL,
    MODIFY user_name VARBINARY(512) NOT NULL,
    MODIFY position BIGINT NOT NULL,
    DROP PRIMARY KEY,
    ADD PRIMARY KEY (title, user_name, id)
"""

# SQLite cannot change a primary key in place: the rows move to a new table, in one transaction.
_SQLITE_KEY_BY_LIST = (
    """
    CREATE TABLE archive_keyed_by_list (
        id TEXT COLLATE BINARY NOT NULL,
        title TEXT COLLATE BINARY NOT NULL,
        user_name TEXT COLLATE BINARY NOT NULL,
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
        archived_at INTEGER NOT NULL,
        PRIMARY KEY (title, user_name, id)
    )
    """,
    f"INSERT INTO archive_keyed_by_list ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM archive",
    "DROP TABLE archive",
    "ALTER TABLE archive_keyed_by_list RENAME TO archive",
    "CREATE INDEX archive_by_title ON archive (title, version, position)",
)

_KEY_BY_LIST = "key rows by (title, user_name, id), names as exact bytes"


def _mysql_errors() -> tuple[type[Exception], ...]:
    import pymysql  # noqa: PLC0415 - see the module's docstring

    return (pymysql.err.MySQLError,)


MYSQL = Dialect(
    name="mysql",
    placeholder="%s",
    upsert="ON DUPLICATE KEY UPDATE version = VALUES(version), position = VALUES(position)",
    migrations=(
        Migration("CREATE TABLE IF NOT EXISTS archive", (_MYSQL_TABLE,)),
        Migration(_KEY_BY_LIST, (_MYSQL_KEY_BY_LIST,)),
    ),
    begin=None,
    probe_table=(
        "CREATE TABLE IF NOT EXISTS archive_probe (id VARBINARY(64) NOT NULL PRIMARY KEY, "
        "written_at BIGINT NOT NULL, payload BLOB NOT NULL) ENGINE=InnoDB"
    ),
    driver_errors=_mysql_errors,
)
SQLITE = Dialect(
    name="sqlite",
    placeholder="?",
    upsert=(
        f"ON CONFLICT ({', '.join(KEY)}) "
        "DO UPDATE SET version = excluded.version, position = excluded.position"
    ),
    migrations=(
        Migration("CREATE TABLE IF NOT EXISTS archive", (_SQLITE_TABLE,)),
        Migration(
            "CREATE INDEX IF NOT EXISTS archive_by_title ON archive",
            ("CREATE INDEX IF NOT EXISTS archive_by_title ON archive (title, version, position)",),
        ),
        Migration(_KEY_BY_LIST, _SQLITE_KEY_BY_LIST),
    ),
    begin="BEGIN IMMEDIATE",
    probe_table=(
        "CREATE TABLE IF NOT EXISTS archive_probe "
        "(id TEXT NOT NULL PRIMARY KEY, written_at INTEGER NOT NULL, payload BLOB NOT NULL)"
    ),
    driver_errors=lambda: (sqlite3.Error,),
)
PROBE_BYTES = 8192
"""The size of a probe's row: more than a database page (SQLite's 4 KiB) and than most archive
rows, so that writing it needs room the database must find, not the slack of a page it has."""
PROBE_KEPT_MS = 60_000
"""A probe row whose own delete failed is removed by a later probe once it is this old."""


class Archive:
    """The archive on one connection, reconnecting once when the connection was lost."""

    def __init__(self, dialect: Dialect, connect: Callable[[], Connection], describe: str) -> None:
        self.dialect = dialect
        self.describe = describe
        self._connect = connect
        self._connection: Connection | None = None
        self._lock = threading.Lock()
        self._schema_current = False
        self._probe_table_ready = False

    @cached_property
    def driver_errors(self) -> tuple[type[Exception], ...]:
        """What the driver raises, asked of it when first needed: after the first connection."""
        return self.dialect.driver_errors()

    def migrate(self) -> list[str]:
        """Brings the schema up to date; returns the migrations it applied."""
        applied: list[str] = []
        with self._cursor() as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS archive_migrations "
                "(number INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)"
            )
            cursor.execute("SELECT number FROM archive_migrations")
            done = {int(row[0]) for row in cursor.fetchall()}
        for number, migration in enumerate(self.dialect.migrations, start=1):
            if number in done:
                continue
            with self._cursor() as cursor:
                if self.dialect.begin is not None:
                    cursor.execute(self.dialect.begin)
                for statement in migration.statements:
                    cursor.execute(statement)
                cursor.execute(
                    f"INSERT INTO archive_migrations (number, applied_at) VALUES ({self._marks(2)})",
                    (number, now_ms()),
                )
            applied.append(f"{number}: {migration.name}")
        self._schema_current = True
        return applied

    def record(self, rows: Sequence[ArchivedRecord]) -> None:
        """Archives `rows` in one round trip. A row already there under the same (title,
        user_name, id) keeps its content and takes the version and position given, which is where
        its record is about to be stored."""
        if not rows:
            return
        statement = (
            f"INSERT INTO archive ({', '.join(COLUMNS)}) VALUES ({self._marks(len(COLUMNS))}) "
            f"{self.dialect.upsert}"
        )
        with self._cursor() as cursor:
            self._require_schema(cursor)
            cursor.executemany(statement, [_values(row) for row in rows])

    def forget(self, keys: Sequence[ArchiveKey]) -> None:
        """Removes the rows of records that were archived but then turned out not to apply, by
        (title, user_name, id)."""
        if not keys:
            return
        rows = ", ".join([f"({self._marks(len(KEY))})"] * len(keys))
        with self._cursor() as cursor:
            self._require_schema(cursor)
            cursor.execute(
                f"DELETE FROM archive WHERE ({', '.join(KEY)}) IN ({rows})",
                tuple(name for key in keys for name in key),
            )

    def history(self, title: str, limit: int, before: tuple[int, int] | None = None) -> list[ArchivedRecord]:
        """A title's records, newest first, starting after the (version, position) `before`."""
        query = f"SELECT {', '.join(COLUMNS)} FROM archive WHERE title = {self.dialect.placeholder}"
        params: list[Any] = [title]
        if before is not None:
            mark = self.dialect.placeholder
            query += f" AND (version < {mark} OR (version = {mark} AND position < {mark}))"
            params += [before[0], before[0], before[1]]
        query += f" ORDER BY version DESC, position DESC LIMIT {int(limit)}"
        with self._cursor() as cursor:
            self._require_schema(cursor)
            cursor.execute(query, tuple(params))
            return [_archived(row) for row in cursor.fetchall()]

    def in_order(self, batch_size: int = 1000) -> Iterator[ArchivedRecord]:
        """Every record, title by title in the order of their bytes (each title's records
        together), and within a title in the order it was applied."""
        query = f"SELECT {', '.join(COLUMNS)} FROM archive ORDER BY title, version, position, user_name, id"
        with self._cursor() as cursor:
            self._require_schema(cursor)
            cursor.execute(query)
            while rows := cursor.fetchmany(batch_size):
                yield from (_archived(row) for row in rows)

    def ping(self) -> None:
        """Raises ArchiveUnavailable unless the database answers."""
        with self._cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchall()

    def probe_write(self) -> None:
        """Raises ArchiveUnavailable unless the database commits a write now, as the listener's
        archive writes need it to: a row of PROBE_BYTES in a table of its own (never seen by
        history, replay or counts), committed, then deleted again. A full disk or tablespace, a
        read-only database, a lost grant or a lock held too long fail it where a ping passes.

        Insert and delete are two transactions, each touching only its own row (and, in the
        delete, probe rows left by earlier failures, scanned in key order like every other
        probe's): probes of several API containers at once never deadlock one another."""
        mark = self.dialect.placeholder
        now = now_ms()
        probe = f"{now:013d}-{uuid.uuid4().hex}"
        with self._cursor() as cursor:
            if not self._probe_table_ready:
                cursor.execute(self.dialect.probe_table)
            cursor.execute(
                f"INSERT INTO archive_probe (id, written_at, payload) VALUES ({mark}, {mark}, {mark})",
                (probe, now, os.urandom(PROBE_BYTES)),
            )
        self._probe_table_ready = True
        with self._cursor() as cursor:
            cursor.execute(
                f"DELETE FROM archive_probe WHERE id = {mark} OR written_at < {mark}",
                (probe, now - PROBE_KEPT_MS),
            )

    def connection_id(self) -> int | None:
        """The server's id of this archive's connection (MySQL's CONNECTION_ID(), what `KILL`
        names), None on SQLite: lets an operator or an outage test find it in the process list."""
        if self.dialect is not MYSQL:
            return None
        with self._cursor() as cursor:
            cursor.execute("SELECT CONNECTION_ID()")
            return int(cursor.fetchone()[0])

    def count(self) -> int:
        with self._cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM archive")
            return int(cursor.fetchone()[0])

    def purge(self) -> None:
        with self._cursor() as cursor:
            cursor.execute("DELETE FROM archive")

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _require_schema(self, cursor: Any) -> None:
        """Refuses an archive whose schema is behind this code, as one deployed before its
        `migrate` has: keyed by the bare id, it would merge the rows of two user lists. The
        listener's records are then retried, not lost, until the schema is migrated."""
        if self._schema_current:
            return
        cursor.execute("SELECT MAX(number) FROM archive_migrations")
        latest = int(cursor.fetchone()[0] or 0)
        if latest < len(self.dialect.migrations):
            raise ArchiveUnavailable(
                f"archive {self.describe}: its schema is at migration {latest} of "
                f"{len(self.dialect.migrations)}: run migrate (listmgr db migrate, or the admin "
                "function's migrate action)"
            )
        self._schema_current = True

    def _marks(self, count: int) -> str:
        return ", ".join([self.dialect.placeholder] * count)

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        with self._lock:
            try:
                connection = self._live_connection()
                cursor = connection.cursor()
            except self.driver_errors as error:
                self._drop_connection()
                raise ArchiveUnavailable(f"archive {self.describe}: {error}") from error
            try:
                yield cursor
                connection.commit()
            except self.driver_errors as error:
                self._drop_connection()
                raise ArchiveUnavailable(f"archive {self.describe}: {error}") from error
            except BaseException:
                connection.rollback()
                raise
            finally:
                # After a driver error the connection is closed already, and SQLite then refuses
                # to close its cursor: that must not replace ArchiveUnavailable.
                with suppress(*self.driver_errors):
                    cursor.close()

    def _live_connection(self) -> Connection:
        ping = getattr(self._connection, "ping", None)
        if ping is not None:
            # A Lambda container can sit idle past the server's wait_timeout.
            try:
                ping(reconnect=False)
            except self.driver_errors:
                self._drop_connection()
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(*self.driver_errors):
                connection.close()


def _archived(row: Sequence[Any]) -> ArchivedRecord:
    # MySQL's binary columns come back as bytes: the UTF-8 of the names.
    values: list[Any] = [value.decode() if isinstance(value, bytes) else value for value in row]
    return ArchivedRecord(*values)


def open_archive(url: str, password: str | None = None) -> Archive:
    """The archive at `url`; `password`, when given, overrides the URL's (from a secret)."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = sqlite_path(url)
        return Archive(SQLITE, lambda: _connect_sqlite(path), f"sqlite:///{path}")
    if parts.scheme in ("mysql", "mysql+pymysql"):
        database = unquote(parts.path.lstrip("/")) or "listmgr"
        if "`" in database:
            raise ValueError(f"unsupported database name {database!r}")
        settings: dict[str, Any] = {
            "host": parts.hostname or "127.0.0.1",
            "port": parts.port or 3306,
            "user": unquote(parts.username or "root"),
            "password": password if password is not None else unquote(parts.password or ""),
            "database": database,
        }
        describe = f"mysql://{settings['user']}@{settings['host']}:{settings['port']}/{settings['database']}"
        timeouts = mysql_timeouts(parts.query)
        return Archive(MYSQL, lambda: _connect_mysql(settings, timeouts), describe)
    raise ValueError(
        f"unsupported archive URL {url!r}: use sqlite:///path or mysql://user:password@host:port/db"
    )


def sqlite_path(url: str) -> Path:
    """The file of a `sqlite:///relative` or `sqlite:////absolute` archive URL."""
    path = urlsplit(url).path
    return Path(unquote(path[1:]) if path.startswith("/") else unquote(path))


def _connect_sqlite(path: Path) -> Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, check_same_thread=False, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


MYSQL_TIMEOUTS = {"connect_timeout": 5.0, "read_timeout": 20.0, "write_timeout": 20.0}
"""Seconds. Every one bounded: a server that stops answering without closing (a network
partition, a dropped route) must fail the batch as ArchiveUnavailable, to be retried, not hang the
listener until Lambda kills it without a partial batch response. pymysql's connect_timeout covers
the TCP connect only: the server's greeting, every reply and a statement waiting on a lock wait
read_timeout. A blackholed connection costs its ping, then the reconnect (connect and greeting):
2 x read_timeout + connect_timeout, under the listener's 60 s function timeout (with 30 s reads it
was 65 s)."""


def mysql_timeouts(query: str) -> dict[str, float]:
    """MYSQL_TIMEOUTS with what the URL's query overrides; anything else there is an error."""
    timeouts = dict(MYSQL_TIMEOUTS)
    for name, value in parse_qsl(query, keep_blank_values=True):
        try:
            seconds = float(value) if name in timeouts else 0.0
        except ValueError:
            seconds = 0.0
        if not 0 < seconds < math.inf:
            raise ValueError(
                f"unsupported archive URL option {name}={value!r}: use {', '.join(MYSQL_TIMEOUTS)} "
                "with a positive number of seconds"
            )
        timeouts[name] = seconds
    return timeouts


def _connect_mysql(settings: dict[str, Any], timeouts: dict[str, float]) -> Connection:
    import pymysql  # noqa: PLC0415 - see the module's docstring

    options: dict[str, Any] = {"charset": "utf8mb4", **timeouts}
    try:
        connection: Connection = pymysql.connect(**settings, **options)
    except pymysql.err.OperationalError as error:
        if error.args[0] != UNKNOWN_DATABASE:
            raise
        # First run against a fresh server: the schema's database is the migrations' to create.
        server = pymysql.connect(**{**settings, "database": None}, **options)
        with server.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{settings['database']}` CHARACTER SET utf8mb4")
        server.close()
        connection = pymysql.connect(**settings, **options)
    return connection


UNKNOWN_DATABASE = 1049
