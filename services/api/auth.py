"""API keys: stored hashed, compared in constant time, each bound to one user or an admin key.

The key ring is one JSON document, the same in AWS, where it is the value of the Secrets Manager
secret named by `LISTMGR_API_KEYS_SECRET_ARN`, and locally, in `LISTMGR_API_KEYS` (which
`listmgr up` sets to its dev admin key):

    {"keys": [{"name": "ci", "sha256": "<hex SHA-256 digest of the key>", "user": "bill"},
              {"name": "ops", "sha256": "<hex SHA-256 digest of the key>", "admin": true}]}

A bare list of keys is accepted too. Each key names exactly one of `user` (it may write that
user's lists only) or `"admin": true` (it may write any). Only digests are stored, so a leaked key
ring leaks no key: `new_key()` makes a key, `hash_key(key)` its digest.
"""

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from services.api.errors import ApiError
from shared.events.codec import NotJson, loads
from shared.events.submission import Name
from shared.events.validation import describe

Digest = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]


class InvalidKeyRing(ValueError):
    """A key ring document the API cannot use: it refuses to start rather than guess."""


class ApiKey(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str = Field(default="", max_length=128)
    sha256: Digest
    user: Name | None = None
    admin: bool = False

    @model_validator(mode="after")
    def _user_or_admin(self) -> "ApiKey":
        if (self.user is not None) != self.admin:
            return self
        raise ValueError("a key names exactly one of 'user' or 'admin': true")

    def may_write(self, user: str) -> bool:
        return self.admin or self.user == user


_KEYS = TypeAdapter(list[ApiKey])


class KeyRing:
    def __init__(self, keys: Sequence[ApiKey]) -> None:
        self.keys = tuple(keys)

    @classmethod
    def from_json(cls, text: str | None) -> "KeyRing":
        """The key ring in `text`; no text, no keys (every write is then refused)."""
        if not text:
            return cls(())
        try:
            return cls.from_document(loads(text))
        except NotJson as error:
            raise InvalidKeyRing(f"the API key ring is not JSON: {error}") from error

    @classmethod
    def from_document(cls, document: Any) -> "KeyRing":
        entries = document.get("keys") if isinstance(document, dict) else document
        try:
            return cls(_KEYS.validate_python(entries))
        except ValidationError as error:
            raise InvalidKeyRing(f"the API key ring is invalid: {describe(error)}") from error

    def find(self, presented: str) -> ApiKey | None:
        """The key whose digest matches. Every stored digest is compared, in constant time, so
        the time taken tells nothing about which key nearly matched."""
        digest = hash_key(presented)
        found = None
        for key in self.keys:
            if hmac.compare_digest(key.sha256.lower(), digest):
                found = key
        return found


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "lm_" + secrets.token_urlsafe(32)


def authenticate(keys: KeyRing, authorization: str | None) -> ApiKey:
    """The key presented as `Authorization: Bearer <key>`, or a 401."""
    scheme, _, presented = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise _unauthorized("this needs an 'Authorization: Bearer <key>' header")
    key = keys.find(presented.strip())
    if key is None:
        raise _unauthorized("unknown API key")
    return key


def require_writer(key: ApiKey, user: str) -> None:
    if not key.may_write(user):
        raise ApiError(403, "forbidden", f"this key may not write the lists of {user!r}")


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": 'Bearer realm="listmgr"'})
