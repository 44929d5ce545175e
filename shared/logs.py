"""The functions' logs: one JSON object a line on stdout, which is what Lambda sends to CloudWatch
Logs and what Logs Insights queries field by field.

Every line carries the invocation it belongs to: the function, Lambda's request id and, for a
stream batch, its shard and sequence range. `invocation(...)` sets those for the length of one
handler call in a context variable, not a module global: each thread (and asyncio task) has its
own, so invocations running at once in one process (`listmgr up` runs several) never mix their
fields, and none leaks into the next invocation.

Lines stay far below CloudWatch's 256 KB event limit whatever a record holds: long strings and
long lists are cut (`bounded`), and a line still too long after that keeps only its message.

Metric documents (shared/metrics.py) are written with `document`, at any level: setting
`LISTMGR_LOG_LEVEL=ERROR` quiets the logs, never the alarms built on the metrics.
"""

import contextvars
import json
import logging
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from shared.events.codec import dumps as exact_dumps

LOGGER_NAME = "listmgr.function"
"""The functions' logger; `listmgr up` routes its lines to one file per function
(listmgr/runtime/logbook.py)."""
MAX_LOGGED_CHARS = 1024
"""A string in a line is cut past this many characters."""
MAX_LOGGED_ITEMS = 50
"""A list or object in a line is cut past this many items."""
MAX_LINE_BYTES = 64 * 1024
"""Past this a line keeps only its message and context: a quarter of CloudWatch's event limit."""

_logger = logging.getLogger(LOGGER_NAME)
_NONE: Mapping[str, Any] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar("log_context", default=_NONE)


class JsonLines(logging.Formatter):
    """A record as one JSON line: level, time, message, the invocation's fields, the line's own."""

    def format(self, record: logging.LogRecord) -> str:
        raw = getattr(record, "document", None)
        if isinstance(raw, Mapping):
            return dumps({**_context.get(), **raw})
        document: dict[str, Any] = {
            "level": record.levelname,
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "message": record.getMessage(),
            **_context.get(),
        }
        document.update(getattr(record, "fields", {}))
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        line = dumps(bounded(document))
        if len(line) > MAX_LINE_BYTES:
            kept = {key: document[key] for key in ("level", "timestamp", "message")}
            line = dumps(bounded({**kept, **_context.get(), "truncatedFrom": len(line)}))
        return line


def dumps(value: Any) -> str:
    """Exact numbers where the codec can write them; anything else it cannot as its str()."""
    try:
        return exact_dumps(value)
    except TypeError:
        return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def configure(level: str | None = None) -> None:
    """Lines to stdout, unless something (the local stack) already took the logger over."""
    if not _logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonLines())
        _logger.addHandler(handler)
        _logger.propagate = False
    if _logger.level == logging.NOTSET or level is not None:
        set_level(level or "INFO")


def set_level(level: str) -> None:
    """`level` as Settings.log_level names it; an unknown name is INFO, said once at WARNING."""
    number = logging.getLevelNamesMapping().get(level.upper())
    _logger.setLevel(number if number is not None else logging.INFO)
    if number is None:
        warn("unknown log level; logging at INFO", level=level)


@contextmanager
def invocation(function: str, context: Any, **fields: Any) -> Iterator[None]:
    """Every line written inside carries `function`, the request id and `fields`."""
    base = {"function": function, "requestId": getattr(context, "aws_request_id", None)}
    token = _context.set({**base, **{key: value for key, value in fields.items() if value is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def debug(message: str, **fields: Any) -> None:
    _write(logging.DEBUG, message, fields)


def log(message: str, **fields: Any) -> None:
    _write(logging.INFO, message, fields)


def warn(message: str, **fields: Any) -> None:
    _write(logging.WARNING, message, fields)


def error(message: str, exc_info: bool = False, **fields: Any) -> None:
    _write(logging.ERROR, message, fields, exc_info)


def document(value: Mapping[str, Any]) -> None:
    """A whole JSON document as its own line, whatever the level (an EMF metric document)."""
    record = _logger.makeRecord(_logger.name, logging.INFO, "", 0, "", (), None, extra={"document": value})
    _logger.handle(record)  # handle, not log: it skips the level check, not the handlers


def _write(level: int, message: str, fields: Mapping[str, Any], exc_info: bool = False) -> None:
    if _logger.isEnabledFor(level):
        _logger.log(level, "%s", message, exc_info=exc_info, extra={"fields": fields})


def bounded(value: Any, depth: int = 0) -> Any:
    """`value` with strings cut at MAX_LOGGED_CHARS characters and lists at MAX_LOGGED_ITEMS items, each cut
    saying how much it left out, so one huge record never makes a line CloudWatch refuses."""
    if isinstance(value, str):
        if len(value) <= MAX_LOGGED_CHARS:
            return value
        return f"{value[:MAX_LOGGED_CHARS]}... ({len(value) - MAX_LOGGED_CHARS} more characters)"
    if depth > 6:
        return "..."
    if isinstance(value, Mapping):
        return {str(key): bounded(item, depth + 1) for key, item in list(value.items())[:MAX_LOGGED_ITEMS]}
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        items = [bounded(item, depth + 1) for item in value[:MAX_LOGGED_ITEMS]]
        if len(value) > MAX_LOGGED_ITEMS:
            items.append(f"... {len(value) - MAX_LOGGED_ITEMS} more")
        return items
    return value
