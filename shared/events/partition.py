"""Partition keys: every event about one list carries the same key, so Kinesis keeps them in
one shard, in order, and a parallelized event source mapping still applies them in order.

The key of a user list is the lowercase hex MD5 of the UTF-8 JSON array `[title, user]` as
JavaScript's `JSON.stringify` writes it (no spaces, nothing escaped but what JSON must), so a
producer in any language computes the same key; README.md ("Partition keys for direct
producers") has the function in JavaScript and test vectors. A title's aggregate is keyed the
same way by `[title]`: an array of another length, so never a user list's key. A digest, because
a title and a user together can be longer than the 256 characters Kinesis allows.
"""

import hashlib
import json
import re

_SURROGATE = re.compile("[\ud800-\udfff]")
"""A surrogate code point: never in a valid name, and not encodable as UTF-8. JSON.stringify
writes a lone one as a lowercase \\u escape (ES2019), so we do the same."""


def partition_key(title: str, user: str | None = None) -> str:
    """The key of a user's list, or of a title's aggregate when `user` is None."""
    text = json.dumps([title] if user is None else [title, user], separators=(",", ":"), ensure_ascii=False)
    if _SURROGATE.search(text):
        text = _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
