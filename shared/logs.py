"""One JSON log line per invocation: what a function did, for CloudWatch Logs Insights."""

import json
import logging
import sys
from typing import Any

_logger = logging.getLogger("listmgr")


def configure() -> None:
    if not _logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        _logger.addHandler(handler)
        _logger.setLevel(logging.INFO)
        _logger.propagate = False


def log(message: str, **fields: Any) -> None:
    _logger.info(json.dumps({"message": message, **fields}, default=str, ensure_ascii=False))


def warn(message: str, **fields: Any) -> None:
    _logger.warning(
        json.dumps({"level": "warning", "message": message, **fields}, default=str, ensure_ascii=False)
    )
