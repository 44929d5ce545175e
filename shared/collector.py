"""When the garbage collector runs in a function's process: not while a handler module is
imported, and not while a stream batch runs.

    with collector.importing():
        from services.listener import function
        from shared import bootstrap

    handle = bootstrap.lambda_handler(function.handler)  # which does the same for X-Ray's import

The import: the collector would otherwise run dozens of times over the objects the import is
making (the modules, classes and functions of boto3, pydantic and ours), which all live as long
as the container and are never garbage. At the end every object made so far is frozen
(`gc.freeze`): no later collection walks them again. Garbage cycles the import itself left stay
in memory (a few of its temporaries; measured in docs/benchmarks.md, "Cold start").

A batch (`batch()`, around each invocation of a stream handler): a 1,000-record batch makes
hundreds of thousands of objects, and the collector, counting them, would run hundreds of times
in it, each time walking the batch's records, its clients and whatever else lives in the process
while the batch holds it, to find next to nothing (the pipeline makes no cycles; botocore a few
per request). Instead the batch runs without it, and as it ends one collection of the youngest
generation frees what it left in cycles: with the collector off nothing is moved to an older
generation, so everything the batch made and kept is still in the youngest, and only that is
walked. docs/benchmarks.md ("The collector during a batch") has what it saves and what it costs.

This module imports the standard library only, so nothing is loaded before the collector is off.
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


@contextmanager
def batch() -> Iterator[None]:
    """One batch without automatic collections; its cycles are collected as it ends. Only the
    caller that found the collector on turns it back on (and collects): when batches overlap in
    one process (`listmgr up` runs every function in threads), it stays off until the batch that
    turned it off ends, and is never left off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect(0)
