"""`listmgr reset`: start over, as in a fresh folder.

A stopped stack leaves its state behind on purpose (the archive, from which the next `listmgr up`
rebuilds every list, checkpoints, saved records, logs, the API key), so the README's figures hold
only the first time. Reset removes the state folder and a SQLite archive kept elsewhere; it never
runs while a stack holds the folder, never removes a folder that is not a state folder, and
leaves a MySQL archive alone (it says how to empty it).
"""

import argparse
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from listmgr.cli.commands import CommandError, LocalSettings
from listmgr.runtime.folder_lock import FolderLock, FolderTaken
from shared.adapters.sql_archive import sqlite_path
from shared.settings import DEFAULT_ARCHIVE_URL

MARK = "up.lock"
"""What every `listmgr up` writes first into its state folder: a folder without it is not one."""


def command(arguments: argparse.Namespace) -> int:
    settings: LocalSettings = arguments.settings
    for line in reset(arguments.state_dir, settings.archive_url or DEFAULT_ARCHIVE_URL):
        print(line)
    return 0


def reset(state_dir: Path, archive_url: str) -> list[str]:
    """Removes `state_dir` and the SQLite archive at `archive_url`; what it did, line by line."""
    folder = state_dir.resolve()
    if folder == Path.cwd().resolve() or folder in Path.cwd().resolve().parents:
        raise CommandError(f"{state_dir} is this folder or holds it: not a state folder to remove")
    if folder.exists() and any(folder.iterdir()) and not (folder / MARK).exists():
        raise CommandError(f"{state_dir} has no {MARK}: it is not a listmgr state folder, left alone")
    said = []
    if folder.exists():
        lock = FolderLock(state_dir)
        try:
            lock.acquire()
        except FolderTaken as error:
            raise CommandError(f"{error}; then reset") from error
        try:
            # Held while the folder goes: a `listmgr up` started meanwhile waits, then starts afresh.
            shutil.rmtree(folder)
        finally:
            lock.release()
        said.append(f"removed {state_dir}/ (its archive, checkpoints, saved records, logs and API key)")
    parts = urlsplit(archive_url)
    if parts.scheme == "sqlite":
        archive = sqlite_path(archive_url).resolve()
        files = [archive, archive.with_name(archive.name + "-wal"), archive.with_name(archive.name + "-shm")]
        if any(path.exists() for path in files):
            for path in files:
                path.unlink(missing_ok=True)
            said.append(f"removed the archive {archive_url}")
    else:
        said.append(
            f"left the archive {parts.scheme}://{parts.hostname}{parts.path} as it is: empty it with the "
            'admin function while a stack runs (`listmgr invoke admin` with {"action": "purge", '
            '"confirm": "purge"}), or drop its database'
        )
    return said or [f"nothing to reset: {state_dir}/ does not exist"]
