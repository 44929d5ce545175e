"""The tables of the in-process endpoint, kept across a restart of `listmgr up`.

moto keeps nothing when it stops, and a table is more than the lists rebuilt from the archive:
it remembers every change's outcome (superseded and rejected ones too, which the archive never
holds) and fingerprint. So a stop writes every item of the stack's tables as it is, every
attribute of every kind of item, to `.listmgr/tables.jsonl.gz`, and the next start puts them
back before any function runs, as a DynamoDB table outlives any restart of its clients. Items
whose Time to Live passed while the stack was stopped stay out: DynamoDB would have deleted them.

The file is written to a temporary file, then renamed over the previous one, so a stop that
fails half-way leaves the previous file whole. A start reads it without removing it: only the
next stop replaces it, and a start that fails before its tables were put back does not save
(listmgr.cli.up), so no failed start loses it. After a crash (nothing saved since) the start
finds the file of the stop before, older than the archive: the lists are checked against the
archive and rebuilt from it where they differ (listmgr.cli.up). The first line names the archive
the items go with; beside another archive they are not put back, since outcomes of changes that
archive never held would pass those changes off as done.
"""

import gzip
import json
import logging
import os
import zlib
from collections import Counter
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from listmgr.endpoint.moto_tables import LocalTable
from listmgr.runtime.expiry import expired

FILE = "tables.jsonl.gz"
log = logging.getLogger("listmgr")


class RestoreFailed(RuntimeError):
    """The saved items could not be put back; the file stays for the next start."""


@dataclass(frozen=True)
class Restored:
    items: int
    """Items put back."""
    expired: int
    """Items left out: their Time to Live passed since they were saved."""


@dataclass(frozen=True)
class KeptTables:
    state_dir: Path
    tables: Sequence[LocalTable]
    archive: str | None
    """The archive the tables go with (its description, no password), None for a project that has none."""

    @property
    def path(self) -> Path:
        return self.state_dir / FILE

    def save(self, now_ms: int) -> int:
        """Writes every item of every table; returns how many. Call it once the functions stopped."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        count = 0
        try:
            with temporary.open("wb") as raw:
                # Level 1: a tenth of the size of the JSON, at a small part of the cost of level 9.
                with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as packed:
                    packed.write(_line({"archive": self.archive, "savedAt": now_ms}))
                    for table in self.tables:
                        for item in table.items():
                            packed.write(_line({"table": table.name, "item": item}))
                            count += 1
                raw.flush()
                os.fsync(raw.fileno())
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        os.replace(temporary, self.path)
        return count

    def restore(self, now: float) -> Restored | None:
        """Puts back what the last stop saved, but what expired by `now` (epoch seconds); None
        when nothing was saved, or when it was saved beside another archive. Call it before
        any function runs."""
        if not self.path.exists():
            return None
        try:
            with closing(self._lines()) as lines:
                return self._put_back(lines, now)
        except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError) as error:
            raise RestoreFailed(
                f"{self.path} is damaged ({error}); move it away to start without it"
            ) from error

    def _put_back(self, lines: Iterator[dict[str, Any]], now: float) -> Restored | None:
        header = next(lines, {})
        if header.get("archive") != self.archive:
            log.warning(
                "%s was saved beside the archive %s, not %s: the tables start from the archive alone",
                self.path,
                header.get("archive"),
                self.archive,
            )
            return None
        tables = {table.name: table for table in self.tables}
        time_to_live = {table.name: table.time_to_live() for table in self.tables}
        put = left_out = 0
        unknown: Counter[str] = Counter()
        for line in lines:
            name, item = str(line["table"]), line["item"]
            table = tables.get(name)
            if table is None:
                unknown[name] += 1
                continue
            attribute = time_to_live[name]
            if attribute is not None and attribute in item and expired(item[attribute], now):
                left_out += 1
                continue
            try:
                put += table.put([item])
            except Exception as error:  # moto's own refusals: a key schema changed since the save
                raise RestoreFailed(
                    f"the table {name} refused an item saved in {self.path} ({error}); did its "
                    "definition change? Move the file away to start without it"
                ) from error
        for name, count in unknown.items():
            log.warning("%s: %s items of %s, a table this stack has not, left out", self.path, count, name)
        return Restored(put, left_out)

    def _lines(self) -> Generator[dict[str, Any]]:
        with gzip.open(self.path, "rt", encoding="utf-8") as file:
            for text in file:
                if text.strip():
                    line = json.loads(text)
                    if not isinstance(line, dict):
                        raise ValueError(f"a line that is not a JSON object: {text[:80]!r}")
                    yield line


def _line(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
