"""The trigger's rules: user lists and aggregates out as `user-list-*` and `aggregate-list-*`.

The table's images are read by the DynamoDB adapter's own function, so the item layout stays its
business; what a rule adds is the entity subscribers see and the partition key that keeps one
list's events in order."""

from collections.abc import Mapping
from typing import Any

from shared.adapters.dynamodb import list_image
from shared.events.partition import partition_key
from shared.lists.aggregate import Aggregate
from shared.lists.entities import aggregate_entity, user_list_entity
from shared.lists.user_list import UserList
from shared.stream.flavors.crud import CrudRule, View


def user_list_view(image: Mapping[str, Any]) -> View | None:
    found = list_image(image)
    if found is None or found.user is None:
        return None
    entity = user_list_entity(found.value) if isinstance(found.value, UserList) else None
    return View(
        ("user-list", found.title, found.user),
        found.version,
        entity,
        found.raw,
        partition_key(found.title, found.user),
    )


def aggregate_view(image: Mapping[str, Any]) -> View | None:
    found = list_image(image)
    if found is None or found.user is not None:
        return None
    entity = aggregate_entity(found.value) if isinstance(found.value, Aggregate) else None
    return View(("aggregate", found.title), found.version, entity, found.raw, partition_key(found.title))


RULES = (
    CrudRule("user-lists", "user-list", user_list_view),
    CrudRule("aggregates", "aggregate-list", aggregate_view),
)
