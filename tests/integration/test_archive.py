"""The archive on SQLite and on the machine's MariaDB: one row per id, ordered history."""

from dataclasses import replace

import pytest

from shared.stream.connectors.archive import Archive, ArchivedRecord, ArchiveUnavailable, open_archive


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


def test_a_record_archived_twice_is_one_row_at_its_latest_position(archive: Archive) -> None:
    archive.record([row("a", 1), row("b", 1, 1)])
    archive.record([replace(row("a", 1), version=3, position=2, entries='{"xp":9}')])
    assert archive.count() == 2
    (a,) = [r for r in archive.in_order() if r.id == "a"]
    assert (a.version, a.position, a.entries) == (3, 2, '{"xp":0.1}')


def test_history_is_newest_first_and_pages_by_version_and_position(archive: Archive) -> None:
    archive.record([row(f"id{v}{p}", v, p) for v in (1, 2, 3) for p in (0, 1)] + [row("other", 9, title="x")])
    first = archive.history("stats / 🎬", limit=4)
    assert [r.id for r in first] == ["id31", "id30", "id21", "id20"]
    rest = archive.history("stats / 🎬", limit=4, before=(first[-1].version, first[-1].position))
    assert [r.id for r in rest] == ["id11", "id10"]


def test_in_order_is_title_by_title_in_apply_order(archive: Archive) -> None:
    archive.record(
        [row("late", 2, 0, "b"), row("early", 1, 1, "b"), row("first", 1, 0, "b"), row("z", 5, 0, "a")]
    )
    assert [r.id for r in archive.in_order()] == ["z", "first", "early", "late"]


def test_forget_removes_rows(archive: Archive) -> None:
    archive.record([row("a", 1), row("b", 2)])
    archive.forget(["a", "missing"])
    assert [r.id for r in archive.in_order()] == ["b"]


def test_titles_compare_exactly(archive: Archive) -> None:
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
    assert archive.migrate() == ["1: CREATE TABLE IF NOT EXISTS archive"]
    archive.record([row("a", 1)])
    assert archive.count() == 1
    archive.close()
