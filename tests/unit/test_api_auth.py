"""The key ring: one document format for the secret and the environment, digests only, keys
bound to a user or admin, and a refusal to start on a ring it cannot trust."""

import json

import pytest

from services.api.auth import ApiKey, InvalidKeyRing, KeyRing, authenticate, hash_key, new_key
from services.api.errors import ApiError

KEY = "lm_the-key"
DIGEST = hash_key(KEY)


def test_the_secret_document_and_a_bare_list_are_the_same_ring() -> None:
    entries = [{"name": "ci", "sha256": DIGEST, "user": "bill"}]
    for ring in (KeyRing.from_json(json.dumps({"keys": entries})), KeyRing.from_json(json.dumps(entries))):
        assert ring.keys == (ApiKey(name="ci", sha256=DIGEST, user="bill"),)
    assert KeyRing.from_document({"keys": entries}).keys == KeyRing.from_json(json.dumps(entries)).keys


def test_the_dev_ring_listmgr_up_writes_is_read() -> None:
    ring = KeyRing.from_json(json.dumps([{"name": "dev", "sha256": DIGEST, "admin": True}]))
    key = ring.find(KEY)
    assert key is not None and key.admin and key.may_write("anyone")


def test_no_ring_means_no_key_works() -> None:
    assert KeyRing.from_json(None).find(KEY) is None
    assert KeyRing.from_json("").find(KEY) is None


@pytest.mark.parametrize(
    "text",
    [
        "{",
        '"keys"',
        '{"keys": {}}',
        '{"keys": [{"sha256": "abc", "admin": true}]}',
        f'{{"keys": [{{"sha256": "{DIGEST}"}}]}}',
        f'{{"keys": [{{"sha256": "{DIGEST}", "user": "bill", "admin": true}}]}}',
        f'{{"keys": [{{"sha256": "{DIGEST}", "user": ""}}]}}',
        f'{{"keys": [{{"sha256": "{DIGEST}", "admin": true, "key": "plain text"}}]}}',
    ],
)
def test_a_ring_that_cannot_be_trusted_stops_the_api_from_starting(text: str) -> None:
    with pytest.raises(InvalidKeyRing):
        KeyRing.from_json(text)


def test_keys_are_found_by_digest_only() -> None:
    ring = KeyRing.from_document([{"sha256": DIGEST.upper(), "user": "bill"}])
    assert ring.find(KEY) is not None
    assert ring.find(DIGEST) is None
    assert ring.find(KEY + " ") is None


def test_a_user_key_writes_its_user_only() -> None:
    key = ApiKey(sha256=DIGEST, user="bill")
    assert key.may_write("bill") and not key.may_write("Bill") and not key.may_write("mike")


def test_new_keys_are_long_and_distinct() -> None:
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100 and all(len(key) > 40 and key.startswith("lm_") for key in keys)


@pytest.mark.parametrize("header", [f"Bearer {KEY}", f"bearer {KEY}", f"  BEARER   {KEY}  "])
def test_a_bearer_header_is_read_whatever_its_case_and_spacing(header: str) -> None:
    ring = KeyRing.from_document([{"sha256": DIGEST, "admin": True}])
    assert authenticate(ring, header).admin


@pytest.mark.parametrize("header", [None, "", KEY, f"Basic {KEY}", "Bearer", "Bearer lm_other"])
def test_anything_else_is_401(header: str | None) -> None:
    ring = KeyRing.from_document([{"sha256": DIGEST, "admin": True}])
    with pytest.raises(ApiError) as refused:
        authenticate(ring, header)
    assert refused.value.status == 401
