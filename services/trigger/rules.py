"""The trigger's rules: user lists and aggregates out as `user-list-*` and `aggregate-list-*`."""

from collections.abc import Mapping
from typing import Any

from shared.events.partition import partition_key
from shared.lists.items import AGGREGATE, USER_LIST, aggregate_entity, user_list_entity
from shared.stream.flavors.crud import CrudRule


def user_list_partition(item: Mapping[str, Any]) -> str:
    return partition_key(item["title"], item["user"])


def aggregate_partition(item: Mapping[str, Any]) -> str:
    return partition_key(item["title"])


RULES = (
    CrudRule("user-lists", USER_LIST, "user-list", user_list_entity, user_list_partition),
    CrudRule("aggregates", AGGREGATE, "aggregate-list", aggregate_entity, aggregate_partition),
)
