"""Property: whatever the delivery (redelivered batches, bisected batches, replayed shards,
resubmitted ids, any batch boundaries), the lists end up exactly as the fold of the unique
submissions, applied once each in stream order. Runs the listener's materialize step on fakes."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.listener.function import listener
from shared.events.testing import kinesis_record
from shared.lists.aggregate import Aggregate, ranking
from shared.lists.entities import entity
from shared.lists.memory import MemoryArchive, MemoryListStore
from shared.stream.decoders import kinesis_unit
from shared.stream.unit_of_work import UnitOfWork
from tests.support.ports import TAGS, in_memory

TITLES = ("stats", "movies")
USERS = ("bill", "beth", "mike")
KEYS = ("a", "b", "c")
ARRIVAL_MS = 1_700_000_000_000
"""When kinesis_record's records arrive; the events are timestamped just before, in order."""

submission = st.builds(
    lambda title, user, kind, entries: {"title": title, "user": user, "type": kind, "entries": entries},
    st.sampled_from(TITLES),
    st.sampled_from(USERS),
    st.sampled_from(("tally", "rank")),
    st.dictionaries(st.sampled_from(KEYS), st.integers(1, 5), min_size=1, max_size=3),
)
deletion = st.builds(
    lambda title, user: {"delete": {"title": title, "user": user}},
    st.sampled_from(TITLES),
    st.sampled_from(USERS),
)


def envelope(index: int, document: dict[str, Any]) -> dict[str, Any]:
    if "delete" in document:
        return {
            "id": f"id-{index}",
            "type": "list-delete-submitted",
            "timestamp": ARRIVAL_MS - 1000 + index,
            "update": document["delete"],
        }
    return {
        "id": f"id-{index}",
        "type": "list-update-submitted",
        "timestamp": ARRIVAL_MS - 1000 + index,
        "update": document,
    }


def reference(documents: Sequence[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The lists after applying each document once, in order: the plainest possible model."""
    lists: dict[tuple[str, str], dict[str, Any]] = {}
    for when, document in enumerate(documents):
        if "delete" in document:
            lists.pop((document["delete"]["title"], document["delete"]["user"]), None)
            continue
        title, user = document["title"], document["user"]
        live_types = {
            kind for (t, _), (kind, _, _) in ((k, (v["type"], 0, 0)) for k, v in lists.items()) if t == title
        }
        if live_types and document["type"] not in live_types:
            continue  # a type conflict: the record is a fault
        current = lists.get((title, user))
        entries = dict(current["entries"]) if current and document["type"] == "tally" else {}
        for key, value in document["entries"].items():
            entries[key] = entries.get(key, 0) + value
        lists[(title, user)] = {"type": document["type"], "entries": entries, "when": when}
    return lists


def expected_entities(
    lists: dict[tuple[str, str], dict[str, Any]],
) -> dict[tuple[str, str | None], Any]:
    expected: dict[tuple[str, str | None], Any] = {}
    for (title, user), user_list in lists.items():
        expected[(title, user)] = (user_list["type"], user_list["entries"])
    for title in {title for title, _ in lists}:
        members = [user_list for (t, _), user_list in lists.items() if t == title]
        sums: dict[str, int] = {}
        counts: dict[str, int] = {}
        for member in members:
            for key, value in member["entries"].items():
                sums[key] = sums.get(key, 0) + value
                counts[key] = counts.get(key, 0) + 1
        kind = members[0]["type"]
        expected[(title, None)] = (kind, sums, counts, len(members))
    return expected


def observed_entities(store: MemoryListStore) -> dict[tuple[str, str | None], Any]:
    observed: dict[tuple[str, str | None], Any] = {}
    for stored in store.lists():
        if stored.value is None:
            continue
        shown = entity(stored.value)
        entries = {k: int(v) for k, v in shown["entries"].items()}
        if isinstance(stored.value, Aggregate):
            counts = dict(stored.value.counts)
            observed[(stored.title, None)] = (shown["type"], entries, counts, shown["users"])
            if shown["type"] == "rank":
                assert shown["ranking"] == ranking(stored.value.sums, counts)
        else:
            observed[(stored.title, stored.user)] = (shown["type"], entries)
    return observed


deliveries = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 25), st.booleans()), min_size=1, max_size=12
)


@settings(max_examples=150, deadline=None)
@given(
    documents=st.lists(st.one_of(submission, submission, deletion), min_size=1, max_size=40),
    plan=deliveries,
    data=st.data(),
)
def test_any_delivery_gives_the_fold_of_the_unique_submissions(
    documents: list[dict[str, Any]], plan: list[tuple[int, int, bool]], data: st.DataObject
) -> None:
    records = [kinesis_record(envelope(i, doc), sequence_number=i + 1) for i, doc in enumerate(documents)]
    # A resubmission: some events put on the stream again later, same id, new sequence number.
    resubmitted = data.draw(st.lists(st.integers(0, len(documents) - 1), max_size=5))
    records += [
        kinesis_record(envelope(i, documents[i]), sequence_number=len(records) + n + 1)
        for n, i in enumerate(resubmitted)
    ]
    store, archive = MemoryListStore(), MemoryArchive()
    step = listener(in_memory(store=store, archive=archive), TAGS)

    position = 0
    for rewind, size, fail in plan:
        # Replays and retries: the shard goes back up to `rewind` records and delivers again.
        position = max(0, position - rewind)
        batch = records[position : position + size]
        units: list[UnitOfWork] = step([kinesis_unit(record) for record in batch])
        if not fail:
            position += len(batch)
    # Finally the shard is read to the end.
    while position < len(records):
        step([kinesis_unit(record) for record in records[position : position + 25]])
        position += 25

    assert observed_entities(store) == expected_entities(reference(documents))
    applied_ids = {row.id for row in archive.rows.values()}
    assert applied_ids <= {f"id-{i}" for i in range(len(documents))}
    assert units is not None


def test_tally_values_stay_exact_through_the_pipeline() -> None:
    store, archive = MemoryListStore(), MemoryArchive()
    step = listener(in_memory(store=store, archive=archive), TAGS)
    documents = [
        {"title": "t", "user": "u", "type": "tally", "entries": {"xp": Decimal("0.1")}},
        {"title": "t", "user": "u", "type": "tally", "entries": {"xp": Decimal("0.2")}},
    ]
    step([kinesis_unit(kinesis_record(doc, i + 1)) for i, doc in enumerate(documents)])
    user_list = store.user_list("t", "u")
    assert user_list is not None and user_list.entries == {"xp": Decimal("0.3")}
