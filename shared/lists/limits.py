"""The limits of the list contract (DESIGN.md, "Lists"), in one place."""

MAX_NAME_LENGTH = 128
"""Titles, users and entry keys: at most this many characters."""
MAX_NAME_BYTES = 4 * MAX_NAME_LENGTH
"""What such a name takes in UTF-8 at most (four bytes a character)."""

MAX_ENTRIES_PER_SUBMISSION = 100
MAX_KEYS_PER_LIST = 1_000
"""Applies to a user list and to the aggregate of its title alike."""

MAX_BODY_BYTES = 64 * 1024
"""The largest request body the API accepts."""

MAX_LIST_BYTES = 180 * 1024
"""The encoded size a list's entries may reach. A DynamoDB item holds at most 400 KB; an aggregate
item carries its keys twice (sums and counts) and a user list item carries its dedup window, and
1,000 keys of MAX_NAME_BYTES each (over 500 KB) would not fit at all. So a change that would
push a list past this size is rejected like any other limit."""

NUMBER_BYTES = 21
"""DynamoDB's worst case for one number; used to size lists before writing them."""


def entries_bytes(keys: int, key_bytes: int) -> int:
    """The encoded size of a map with `keys` numbers whose keys take `key_bytes` in UTF-8."""
    return key_bytes + keys * (NUMBER_BYTES + 3)
