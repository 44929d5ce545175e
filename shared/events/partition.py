"""Partition keys: every event about one list carries the same key, so Kinesis keeps them in
one shard, in order, and a parallelized event source mapping still applies them in order."""

import hashlib
import json


def partition_key(title: str, user: str | None = None) -> str:
    """The key of a user's list, or of a title's aggregate when `user` is None. A digest, because
    a title and a user together can be longer than the 256 characters Kinesis allows."""
    return hashlib.sha256(json.dumps([title, user]).encode()).hexdigest()[:32]
