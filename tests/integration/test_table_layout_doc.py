"""docs/table.md's queries, run as written with the AWS CLI against the table after the worked
example and a deletion: they read exactly the lists and the aggregate the API shows, and the
user-list query leaves out tombstones and the items that remember changes."""

import json
import subprocess
import time
from typing import Any

from shared.events.testing import kinesis_event
from tests.samples import WORKED_EXAMPLE
from tests.support.aws import ROOT, Deployed
from tests.support.docs import code_block
from tests.support.harness import Harness

DELETE_BETH = {
    "id": "delete-beth",
    "type": "list-delete-submitted",
    "timestamp": 0,
    "update": {"title": "stats", "user": "beth"},
}


def json_documents(text: str) -> list[Any]:
    decoder, position, documents = json.JSONDecoder(), 0, []
    while text[position:].strip():
        position += len(text[position:]) - len(text[position:].lstrip())
        document, position = decoder.raw_decode(text, position)
        documents.append(document)
    return documents


def test_the_documented_queries_read_the_lists_and_nothing_internal(
    harness: Harness, deployed: Deployed
) -> None:
    now = time.time()
    # beth tallies once more (her list then holds entries), then her list is deleted.
    submissions = [*WORKED_EXAMPLE, {"title": "stats", "user": "beth", "type": "tally", "entries": {"xp": 1}}]
    assert harness.run(kinesis_event(submissions, arrival=now)) == {"batchItemFailures": []}
    deletion = {**DELETE_BETH, "timestamp": int(now * 1000) + 1}
    assert harness.run(kinesis_event([deletion], arrival=now + 1)) == {"batchItemFailures": []}
    subprocess.run(["make", "-s", ".venv-awscli/.installed"], cwd=ROOT, check=True, timeout=900)
    script = code_block("docs/table.md", "sh", "table-queries").replace(
        "http://127.0.0.1:4566", deployed.aws.endpoint_url
    )
    script = script.replace("list-manager-dev-lists", deployed.table_name)

    result = subprocess.run(
        ["bash", "-e", "-c", script],
        env={"PATH": f"{ROOT / '.venv-awscli' / 'bin'}:/usr/bin:/bin", "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    bill, aggregate, users = json_documents(result.stdout)
    assert bill["Item"]["entries"] == {"M": {"xp": {"N": "83"}}}
    assert (bill["Item"]["title"], bill["Item"]["user"], bill["Item"]["type"]) == (
        {"S": "stats"},
        {"S": "bill"},
        {"S": "tally"},
    )
    assert aggregate["Item"]["entries"] == {"M": {"xp": {"N": "83"}}}
    assert aggregate["Item"]["users"] == {"N": "1"}
    # The change items are outside the key condition; beth's tombstone is read and filtered out.
    assert [item["sk"]["S"] for item in users["Items"]] == ["U#bill"]
    assert users["ScannedCount"] == 2
