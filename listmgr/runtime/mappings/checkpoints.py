"""Checkpoints: how far each shard has been processed, kept on disk so a restart resumes there.

A shard's checkpoint is the sequence number of the last record such that it and every record
before it is done: delivered, discarded to the on-failure destination, or filtered out. With
several batches of a shard in flight (parallelizationFactor), records after the checkpoint may be
done already; they are delivered again after a restart, as AWS does.

The file of a mapping names the stream as it was when the checkpoints were taken (for Kinesis,
its creation time), so a checkpoint of a stream since deleted and re-created, as happens when the
local endpoint restarts empty, is ignored.
"""

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

from listmgr.runtime.mappings.records import StreamRecord

log = logging.getLogger("listmgr.mapping")


class CheckpointStore:
    """The checkpoints of one mapping (function and stream), in one JSON file."""

    def __init__(self, directory: Path, function_name: str, stream_arn: str, stream_identity: str) -> None:
        digest = hashlib.sha256(f"{function_name}\n{stream_arn}".encode()).hexdigest()[:12]
        self.path = directory / f"{function_name}-{digest}.json"
        self.function_name = function_name
        self.stream_arn = stream_arn
        self.stream_identity = stream_identity
        self._shards: dict[str, str] = {}
        self._lock = threading.Lock()

    def load(self) -> dict[str, str]:
        """The saved checkpoints, shard id -> sequence number; none if they are of another stream."""
        try:
            saved = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        if saved.get("stream") != self.stream_identity:
            log.info(
                "%s: ignoring checkpoints of a stream that no longer exists (%s)",
                self.path,
                saved.get("stream"),
            )
            return {}
        with self._lock:
            self._shards = {str(shard): str(sequence) for shard, sequence in saved.get("shards", {}).items()}
            return dict(self._shards)

    def save(self, shard_id: str, sequence_number: str) -> None:
        with self._lock:
            self._shards[shard_id] = sequence_number
            document = {
                "function": self.function_name,
                "streamArn": self.stream_arn,
                "stream": self.stream_identity,
                "shards": self._shards,
            }
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(document, indent=2) + "\n")
            temporary.replace(self.path)


class ShardProgress:
    """The records of one shard read and not yet checkpointed, in shard order."""

    def __init__(self, shard_id: str, checkpoint: Callable[[str, str], None]) -> None:
        self.shard_id = shard_id
        self._checkpoint = checkpoint
        self._done: OrderedDict[int, tuple[str, bool]] = OrderedDict()
        self._lock = threading.Lock()
        self.checkpointed = 0
        """Records checkpointed so far: a drain watches it to tell whether anything still moves."""
        self.checkpoint: str | None = None
        """The sequence number of the last checkpoint this run took; None before the first."""

    def read(self, records: Sequence[StreamRecord]) -> None:
        with self._lock:
            for record in records:
                self._done[record.sequence] = (record.sequence_number, False)

    def finish(self, records: Sequence[StreamRecord]) -> None:
        """Marks records done, and checkpoints the longest run of done records from the oldest."""
        with self._lock:
            for record in records:
                if record.sequence in self._done:
                    self._done[record.sequence] = (record.sequence_number, True)
            last = None
            while self._done and next(iter(self._done.values()))[1]:
                last = self._done.popitem(last=False)[1][0]
                self.checkpointed += 1
            if last is not None:
                self.checkpoint = last
                self._checkpoint(self.shard_id, last)

    def __len__(self) -> int:
        with self._lock:
            return len(self._done)
