"""Partition keys, pinned to what Node 20 computes with
`crypto.createHash("md5").update(JSON.stringify(parts), "utf8").digest("hex")`, so producers in
other languages can rely on them (the same vectors are in README.md)."""

import pytest

from shared.events.partition import partition_key

NODE_VECTORS = [
    (("stats", "bill"), "2be17b86d1e960b61093d5a671997898"),
    (("favorite movies", "mike"), "533958636804df88267a85b78fb42ccb"),
    (("stats",), "54df565ffd7f203581b0347dc7cbb702"),
    (("favorite movies",), "46036632de80ed60b11bd17911f49b08"),
    (("🎮 scores", "zoë"), "464c7f75bdc57f543a0c5c997d71b1c2"),
    (("a/b#c%d", "50% #1/2"), "82f96ee7992b8099c3f3a16fbd26e811"),
    (('say "hi"', "back\\slash"), "92430e33975c0c64781f610c0c83fca2"),
    (("𝄞 music", "😀"), "84b4a50e20086092b630722c9f6e61d5"),
    (("line\u2028sep", "para\u2029sep"), "91592ff762ebee0c48db9b1f674f3122"),
    # Not valid names (the models refuse them), but a producer may still key such a record.
    (("lone \ud800 surrogate", "bill"), "48e87c0342877ad7f92d7c52eb934b42"),
    (("tab\there", "nl\nx\u007f\u0001"), "84dcb55d090d868861dcdeef6eef64f5"),
]


@pytest.mark.parametrize(("parts", "key"), NODE_VECTORS)
def test_the_key_is_what_javascript_computes(parts: tuple[str, ...], key: str) -> None:
    assert partition_key(*parts) == key


def test_an_aggregate_key_is_never_a_user_list_key() -> None:
    assert partition_key("stats") != partition_key("stats", "")
    assert len(partition_key("t" * 128, "u" * 128)) == 32
