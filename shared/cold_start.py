"""A handler module's import without the garbage collector, which would otherwise run dozens of
times over the objects the import is making: the modules, classes and functions of boto3,
pydantic and ours, which all live as long as the container and are never garbage.

    with cold_start.importing():
        from services.listener import function
        from shared import bootstrap

    handle = bootstrap.lambda_handler(function.handler)  # which does the same for X-Ray's import

At the end every object made so far is frozen (`gc.freeze`): no later collection walks them
again, and the collector runs as before for what the invocations make. Garbage cycles the
import itself left stay in memory (a few of its temporaries; measured in docs/benchmarks.md,
"Cold start"). This module imports the standard library only, so nothing is loaded before the
collector is off.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def importing() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
