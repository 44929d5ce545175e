"""The functions' logs on the local stack: each function's lines in `.listmgr/logs/<function>.jsonl`,
as CloudWatch Logs would hold them in its log group (JSON lines, EMF metric documents included),
and `listmgr logs FUNCTION [--follow]` to read them.

In Lambda every function has a process and a stdout of its own; here they share one process, so
the lines are routed by a context variable that `routed(key)` sets around each invocation
(listmgr/runtime/functions.py, and the API's WSGI calls): per thread, so the invocations the mappings run
at once each land in their own function's file. The files outlive the stack, like a log group.
"""

import argparse
import contextvars
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from shared import logs

_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("listmgr_function", default=None)
POLL_SECONDS = 0.25
MetricsSink = Callable[[str, Mapping[str, Any]], None]


@contextmanager
def routed(function: str) -> Iterator[None]:
    """The function logger's lines written inside go to `function`'s file."""
    token = _function.set(function)
    try:
        yield
    finally:
        _function.reset(token)


class Logbook(logging.Handler):
    """Appends each line to its function's file; a line written outside any invocation goes to
    stderr, where someone will see it."""

    def __init__(self, folder: Path, on_metrics: "MetricsSink | None" = None) -> None:
        """`on_metrics` is handed each EMF document a function writes, with the function's key."""
        super().__init__()
        self.folder = folder
        self.on_metrics = on_metrics
        self.setFormatter(logs.JsonLines())
        self._files: dict[str, TextIO] = {}
        self._files_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
            function = _function.get()
            if function is None:
                sys.stderr.write(line)
                return
            self._file(function).write(line)
            document = getattr(record, "document", None)
            if self.on_metrics is not None and isinstance(document, Mapping) and "_aws" in document:
                self.on_metrics(function, document)
        except Exception:
            self.handleError(record)

    def _file(self, function: str) -> TextIO:
        with self._files_lock:
            if function not in self._files:
                self.folder.mkdir(parents=True, exist_ok=True)
                # Appending, line-buffered: one write per line, so `listmgr invoke` and
                # `listmgr dlq redrive` can add to the files of a running stack.
                self._files[function] = (self.folder / f"{function}.jsonl").open(
                    "a", encoding="utf-8", buffering=1
                )
            return self._files[function]

    def close(self) -> None:
        with self._files_lock:
            for file in self._files.values():
                file.close()
            self._files.clear()
        super().close()


def install(folder: Path, on_metrics: "MetricsSink | None" = None) -> Callable[[], None]:
    """Routes the function logger to files under `folder` instead of stdout; returns the undo."""
    logger = logging.getLogger(logs.LOGGER_NAME)
    saved, propagate = list(logger.handlers), logger.propagate
    for handler in saved:
        logger.removeHandler(handler)
    book = Logbook(folder, on_metrics)
    logger.addHandler(book)
    logger.propagate = False

    def uninstall() -> None:
        logger.removeHandler(book)
        book.close()
        for handler in saved:
            logger.addHandler(handler)
        logger.propagate = propagate

    return uninstall


def log_path(state_dir: Path, function: str) -> Path:
    """The file of `function`, named by its key in serverless.yml or by its deployed name."""
    folder = state_dir / "logs"
    path = folder / f"{function}.jsonl"
    if path.exists():
        return path
    try:
        deployed = json.loads((state_dir / "stack.json").read_text()).get("functions") or {}
    except (OSError, ValueError):
        deployed = {}
    for key, name in deployed.items():
        if function in (key, name):
            return folder / f"{key}.jsonl"
    known = sorted(p.stem for p in folder.glob("*.jsonl")) if folder.is_dir() else []
    there = f"; there are: {', '.join(known)}" if known else " (start the stack with `listmgr up`)"
    raise LookupError(f"no logs of {function!r} in {folder}{there}")


def follow(
    path: Path,
    out: TextIO,
    keep_going: Callable[[], bool] = lambda: True,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Prints the lines of `path` and then every line added to it, while `keep_going()`."""
    position = 0
    while True:
        position = _print_from(path, position, out)
        if not keep_going():
            return
        sleep(POLL_SECONDS)


def _print_from(path: Path, position: int, out: TextIO) -> int:
    """Prints the whole lines after `position` (a line still being written waits for the next
    poll); returns where the next read starts."""
    if not path.exists():
        return 0
    with path.open("rb") as file:
        if path.stat().st_size < position:
            position = 0  # the file was removed and begun again
        file.seek(position)
        data = file.read()
    whole = data.rfind(b"\n") + 1
    out.write(data[:whole].decode("utf-8", "replace"))
    out.flush()
    return position + whole


def command(arguments: argparse.Namespace) -> int:
    """`listmgr logs FUNCTION [--follow]`."""
    try:
        path = log_path(arguments.state_dir, arguments.function)
    except LookupError as error:
        print(f"listmgr: {error}", file=sys.stderr)
        return 2
    if arguments.follow:
        follow(path, sys.stdout)
    else:
        _print_from(path, 0, sys.stdout)
    return 0
