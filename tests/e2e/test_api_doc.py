"""docs/api.md's examples, pasted into a shell as a client would, against a running stack: every
call answers as the page says, the id it promises for the Idempotency-Key included."""

import json
import shutil
from typing import Any

import pytest

from tests.support.docs import code_block
from tests.support.stack import RunningStack, pasted

PROMISED_ID = "9598f8b2-0fa5-5a6c-8cf3-4ae3182755f3"
"""What the page says the keyed submission answers."""


def documents(output: str) -> list[Any]:
    """The JSON documents curl printed one after another (it adds no newline of its own)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(output):
        if output[at].isspace():
            at += 1
            continue
        document, at = decoder.raw_decode(output, at)
        found.append(document)
    return found


@pytest.mark.skipif(shutil.which("curl") is None, reason="the examples use curl")
def test_the_api_examples_answer_as_the_page_says(stack: RunningStack) -> None:
    examples = code_block("docs/api.md", "sh", "api-setup") + code_block("docs/api.md", "sh", "api-examples")
    output = pasted(examples, stack, timeout=120)

    submitted, deleted, *reads, health, openapi = documents(output)
    assert submitted == {"id": PROMISED_ID, "status": "accepted"}
    assert deleted["status"] == "accepted"
    # On a fresh stack the lists may not be there yet: not found is an answer the page allows,
    # a refused parameter or cursor is not.
    errors = [read["error"]["code"] for read in reads if "error" in read]
    assert set(errors) <= {"not_found"}, reads
    assert health["status"] == "ok"
    assert openapi["openapi"].startswith("3.1")
