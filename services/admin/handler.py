"""The admin function: `{"action": "migrate" | "stats" | "verify" | "rebuild" | "purge"}`.

`purge` also needs `"confirm": "purge"`. Every action answers `{"action", "ok", ...}`.
"""

import time
from collections.abc import Mapping
from functools import cache
from typing import Any

from services.admin import operations
from shared import bootstrap, logs, tracing
from shared.lists.store import ListStore
from shared.settings import Settings
from shared.stream.connectors.archive import Archive

logs.configure()
tracing.trace_calls()


@cache
def _wiring() -> tuple[Settings, Archive, ListStore]:
    settings = Settings.from_env()
    return settings, bootstrap.archive(settings), bootstrap.list_store(settings)


def handle(event: Any, context: Any) -> dict[str, Any]:
    if not isinstance(event, Mapping):
        return {"action": None, "ok": False, "error": 'the admin function takes an object: {"action": ...}'}
    settings, archive, table = _wiring()
    action = event.get("action")
    now = int(time.time() * 1000)
    if action == "migrate":
        return {"action": action, "ok": True, "applied": archive.migrate()}
    if action == "stats":
        return {"action": action, "ok": True, **operations.stats(archive, table)}
    if action == "verify":
        differences = operations.verify(archive, table, now, settings.dedup)
        described = [difference.describe() for difference in differences]
        return {"action": action, "ok": not differences, "differences": described}
    if action == "rebuild":
        report = operations.rebuild_store(archive, table, now, settings.dedup)
        return {"action": action, "ok": not report.refused, **vars(report)}
    if action == "purge":
        if event.get("confirm") != "purge":
            return {
                "action": action,
                "ok": False,
                "error": 'purge removes everything: send "confirm": "purge"',
            }
        return {"action": action, "ok": True, **operations.purge(archive, table)}
    return {
        "action": action,
        "ok": False,
        "error": "unknown action; use migrate, stats, verify, rebuild or purge",
    }
