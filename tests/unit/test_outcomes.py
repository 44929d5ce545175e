"""The digest that keys an id's outcome: the stored items of every earlier version hold it, so it
must stay the SHA-256 of the compact JSON array [user, id], whatever the names hold."""

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from shared.adapters.dynamodb.outcomes import DIGEST_BYTES, digest

ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]))
"""Any text UTF-8 can carry: quotes, backslashes, controls, emoji and the rest."""


@given(ANY_TEXT, ANY_TEXT)
def test_the_digest_is_that_of_the_compact_json_array(user: str, event_id: str) -> None:
    scoped = json.dumps([user, event_id], ensure_ascii=False, separators=(",", ":"))
    assert digest(user, event_id) == hashlib.sha256(scoped.encode()).digest()[:DIGEST_BYTES]


def test_the_names_cannot_run_into_each_other() -> None:
    assert digest("a", "b,c") != digest('a","b', "c") != digest("a,b", "c")
