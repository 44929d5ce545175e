"""The clock every default reads: epoch milliseconds, as the project counts time everywhere (event
timestamps, outcomes, archived rows). Code that must be testable takes a clock instead."""

import time


def now_ms() -> int:
    return int(time.time() * 1000)
