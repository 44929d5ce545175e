"""What reads return and the trigger's events carry: lists as plain JSON-ready documents."""

from typing import Any

from shared.lists.aggregate import Aggregate, ranking
from shared.lists.user_list import UserList


def user_list_entity(user_list: UserList) -> dict[str, Any]:
    return {
        "title": user_list.title,
        "user": user_list.user,
        "type": user_list.type,
        "entries": dict(user_list.entries),
        "updatedAt": user_list.updated_at,
    }


def aggregate_entity(aggregate: Aggregate) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "title": aggregate.title,
        "type": aggregate.type,
        "entries": dict(aggregate.sums),
        "users": aggregate.users,
        "updatedAt": aggregate.updated_at,
    }
    if aggregate.type == "rank":
        entity["counts"] = dict(aggregate.counts)
        entity["ranking"] = ranking(aggregate.sums, aggregate.counts)
    return entity


def entity(value: UserList | Aggregate) -> dict[str, Any]:
    return user_list_entity(value) if isinstance(value, UserList) else aggregate_entity(value)
