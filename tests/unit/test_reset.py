"""`listmgr reset` starts over as in a fresh folder, and removes nothing it should not: a state
folder a stack holds, a folder that is no state folder, the working folder, a MySQL archive."""

from pathlib import Path

import pytest

from listmgr.cli import main as cli
from listmgr.cli.reset import MARK
from listmgr.runtime.folder_lock import FolderLock


def state_folder(root: Path) -> Path:
    """A state folder as a stopped `listmgr up` leaves it."""
    folder = root / ".listmgr"
    (folder / "checkpoints").mkdir(parents=True)
    for name in ("up.lock", "api-key", "archive.db", "archive.db-wal", "unapplied.jsonl"):
        (folder / name).write_text("x")
    (folder / "checkpoints" / "listener-0a1b.json").write_text("{}")
    return folder


def reset(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    archive: str | None = None,
) -> tuple[int, str, str]:
    if archive is None:
        monkeypatch.delenv("LISTMGR_ARCHIVE_URL", raising=False)
    else:
        monkeypatch.setenv("LISTMGR_ARCHIVE_URL", archive)
    code = cli.main(["--state-dir", str(folder), "reset"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def in_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_reset_removes_the_state_folder_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = state_folder(tmp_path)
    code, out, _ = reset(folder, capsys, monkeypatch)
    assert code == 0 and not folder.exists()
    assert out == f"removed {folder}/ (its archive, checkpoints, saved records, logs and API key)\n"
    assert reset(folder, capsys, monkeypatch)[1] == f"nothing to reset: {folder}/ does not exist\n"


def test_reset_is_refused_while_a_stack_holds_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = state_folder(tmp_path)
    running = FolderLock(folder)
    running.acquire()
    try:
        code, _, err = reset(folder, capsys, monkeypatch)
    finally:
        running.release()
    assert code == 2 and "is running with" in err and err.rstrip().endswith("then reset")
    assert (folder / "archive.db").exists() and (folder / "checkpoints").is_dir()


def test_reset_leaves_folders_that_are_not_state_folders_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "serverless.yml").write_text("service: mine\n")
    code, _, err = reset(project, capsys, monkeypatch)
    assert code == 2 and "not a listmgr state folder" in err and (project / "serverless.yml").exists()
    (tmp_path / MARK).write_text("x")
    code, _, err = reset(Path("."), capsys, monkeypatch)
    assert code == 2 and "is this folder or holds it" in err and (tmp_path / MARK).exists()


def test_reset_removes_a_sqlite_archive_kept_elsewhere_and_leaves_a_mysql_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "data" / "lists.db"
    elsewhere.parent.mkdir()
    for path in (elsewhere, elsewhere.with_name("lists.db-wal"), elsewhere.with_name("lists.db-shm")):
        path.write_text("x")
    code, out, _ = reset(state_folder(tmp_path), capsys, monkeypatch, archive=f"sqlite:///{elsewhere}")
    assert code == 0 and out.splitlines()[-1] == f"removed the archive sqlite:///{elsewhere}"
    assert list(elsewhere.parent.iterdir()) == []

    code, out, _ = reset(
        state_folder(tmp_path), capsys, monkeypatch, archive="mysql://root:secret@db:3306/lists"
    )
    assert code == 0
    assert out.splitlines()[-1].startswith("left the archive mysql://db/lists as it is: empty it with")
    assert "secret" not in out
