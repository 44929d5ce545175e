"""API keys: stored hashed, compared in constant time, optionally bound to one user.

The key ring is JSON, from a Secrets Manager secret in AWS or `LISTMGR_API_KEYS` locally:

    [{"name": "ci", "sha256": "<hex digest of the key>", "user": "bill"},
     {"name": "ops", "sha256": "<hex digest>", "admin": true}]

A key bound to a user may only write that user's lists; an admin key, or a key bound to no
user, may write any.
"""

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.events.codec import loads


@dataclass(frozen=True)
class ApiKey:
    name: str
    sha256: str
    user: str | None = None
    admin: bool = False

    def may_write(self, user: str) -> bool:
        return self.admin or self.user is None or self.user == user


class KeyRing:
    def __init__(self, keys: Sequence[ApiKey]) -> None:
        self.keys = tuple(keys)

    @classmethod
    def from_json(cls, text: str | None) -> "KeyRing":
        entries: list[dict[str, Any]] = loads(text) if text else []
        return cls(
            [
                ApiKey(str(e.get("name", "")), str(e["sha256"]).lower(), e.get("user"), bool(e.get("admin")))
                for e in entries
            ]
        )

    def find(self, presented: str) -> ApiKey | None:
        """The key whose digest matches; every stored digest is compared, in constant time."""
        digest = hash_key(presented)
        found = None
        for key in self.keys:
            if hmac.compare_digest(key.sha256, digest):
                found = key
        return found


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "lm_" + secrets.token_urlsafe(32)
