"""The name rule (a title, a user, an entry key): 1 to 128 characters, none of Unicode's control
characters, no lone surrogate. pydantic-core checks it by NAME_PATTERN; this holds the pattern
to the rule as Unicode states it, and the reason to the first control character."""

import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from shared.events.validation import InvalidEvent, parse_event
from shared.lists.limits import MAX_NAME_LENGTH
from shared.stream.decoders import submission_envelope

ANY_CHARACTER = st.characters(codec=None, categories=None)
NAMES = st.text(ANY_CHARACTER, max_size=MAX_NAME_LENGTH + 2) | st.text(
    st.sampled_from("a\x00\x1f\x7f\x85\x9f\xa0é\u2028\ud800"), max_size=6
)


def reason_for(title: str) -> str | None:
    """The rule, from Unicode's categories rather than a pattern."""
    if any(unicodedata.category(character) == "Cs" for character in title):
        return "title: Input should be a valid string, unable to parse raw data as a unicode string"
    if not title:
        return "title: String should have at least 1 character"
    if len(title) > MAX_NAME_LENGTH:
        return f"title: String should have at most {MAX_NAME_LENGTH} characters"
    controls = [character for character in title if unicodedata.category(character) == "Cc"]
    if controls:
        return f"title: must not contain control characters (found U+{ord(controls[0]):04X})"
    return None


@given(NAMES)
@example("tab\there")
@example("\x9f")
@example("a" * MAX_NAME_LENGTH + "\x00")
def test_a_name_is_refused_exactly_when_the_rule_says_and_for_its_first_control_character(
    title: str,
) -> None:
    document = {"title": title, "user": "bill", "type": "tally", "entries": {"xp": 1}}
    expected = reason_for(title)
    try:
        parse_event(submission_envelope(document, "shardId-000000000000:1", 1_700_000_000_000, "p"))
    except InvalidEvent as error:
        assert str(error) == f"update.{expected}"
    else:
        assert expected is None
