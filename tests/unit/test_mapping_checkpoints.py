"""Checkpoints: the longest run of done records, saved per shard, ignored for another stream."""

import json
from pathlib import Path

from listmgr.runtime.mappings.checkpoints import CheckpointStore, ShardProgress
from listmgr.runtime.mappings.records import StreamRecord


def record(number: int) -> StreamRecord:
    return StreamRecord("shard", str(number), 0.0, "key", {}, 0)


def test_the_checkpoint_advances_over_done_records_only() -> None:
    saved: list[str] = []
    progress = ShardProgress("shard", lambda _, number: saved.append(number))
    progress.read([record(number) for number in (8, 9, 10, 11)])
    progress.finish([record(9), record(10)])
    assert saved == [], "record 8 is not done yet"
    progress.finish([record(8)])
    assert saved == ["10"] and len(progress) == 1
    progress.finish([record(11)])
    assert saved == ["10", "11"] and len(progress) == 0


def test_checkpoints_survive_in_a_file_for_the_same_stream(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, "service-dev-listener", "arn:stream", "arn:stream@1")
    store.save("shard-1", "42")
    store.save("shard-2", "7")
    again = CheckpointStore(tmp_path, "service-dev-listener", "arn:stream", "arn:stream@1")
    assert again.load() == {"shard-1": "42", "shard-2": "7"}
    assert json.loads(again.path.read_text())["function"] == "service-dev-listener"


def test_the_checkpoints_of_a_stream_created_again_are_ignored(tmp_path: Path) -> None:
    CheckpointStore(tmp_path, "f", "arn:stream", "arn:stream@1").save("shard-1", "42")
    assert CheckpointStore(tmp_path, "f", "arn:stream", "arn:stream@2").load() == {}


def test_each_function_and_stream_has_its_own_file(tmp_path: Path) -> None:
    paths = {
        CheckpointStore(tmp_path, function, stream, stream).path
        for function in ("f", "g")
        for stream in ("arn:one", "arn:two")
    }
    assert len(paths) == 4
