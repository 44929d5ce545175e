"""The expected fold of a stream of submissions (no deletes): what every list must hold once
each record has been applied exactly once, in stream order, whatever the faults on the way.

Tallies add up per user and per title; a ranking replaces the user's previous one, and the title's
aggregate holds per key the sum and the number of the users' current ranks. Numbers are compared
as Decimal, so 3 == Decimal("3")."""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

ListRef = tuple[str, str | None]
"""(title, user), user None for the aggregate."""


def fold(documents: Iterable[Mapping[str, Any]]) -> dict[ListRef, dict[str, Any]]:
    """Every list as {type, entries[, counts], users for an aggregate}, from the submissions in order."""
    lists: dict[tuple[str, str], dict[str, Any]] = {}
    for document in documents:
        ref = (document["title"], document["user"])
        entries = {key: Decimal(str(value)) for key, value in document["entries"].items()}
        if document["type"] == "tally" and ref in lists:
            current = lists[ref]["entries"]
            entries = {**current, **{key: current.get(key, 0) + value for key, value in entries.items()}}
        lists[ref] = {"type": document["type"], "entries": entries}
    folded: dict[ListRef, dict[str, Any]] = {ref: user_list for ref, user_list in lists.items()}
    for title in {title for title, _ in lists}:
        members = [user_list for (t, _), user_list in lists.items() if t == title]
        sums: dict[str, Decimal] = {}
        counts: dict[str, int] = {}
        for member in members:
            for key, value in member["entries"].items():
                sums[key] = sums.get(key, Decimal(0)) + value
                counts[key] = counts.get(key, 0) + 1
        aggregate: dict[str, Any] = {"type": members[0]["type"], "entries": sums, "users": len(members)}
        if aggregate["type"] == "rank":
            aggregate["counts"] = counts
        folded[(title, None)] = aggregate
    return folded


def observed(entities: Mapping[ListRef, Mapping[str, Any]]) -> dict[ListRef, dict[str, Any]]:
    """Read entities (services.admin.operations.live_entities, or the API's documents keyed the
    same way) in the shape `fold` gives, without the fields a fold cannot predict (updatedAt)."""
    shown: dict[ListRef, dict[str, Any]] = {}
    for ref, found in entities.items():
        view: dict[str, Any] = {
            "type": found["type"],
            "entries": {key: Decimal(str(value)) for key, value in found["entries"].items()},
        }
        if ref[1] is None:
            view["users"] = found["users"]
            if found["type"] == "rank":
                view["counts"] = dict(found["counts"])
        shown[ref] = view
    return shown
