"""The listener's rules: which events it owns and the list change each one asks for.

Every other event type on the stream (the trigger's own events, faults, other services' events)
matches no rule and is left alone, so published events never loop back into state."""

from shared.events.envelope import DELETE_SUBMITTED, UPDATE_SUBMITTED, DeleteSubmitted, UpdateSubmitted
from shared.lists.changes import Delete, Submit
from shared.stream.flavors.materialize import MaterializeRule


def to_submit(event: UpdateSubmitted) -> Submit:
    update = event.update
    return Submit(event.id, update.title, update.user, update.type, update.entries, event.timestamp)


def to_delete(event: DeleteSubmitted) -> Delete:
    return Delete(event.id, event.update.title, event.update.user, event.timestamp)


RULES = (
    MaterializeRule(id="submit", event_type=UPDATE_SUBMITTED, to_change=to_submit),
    MaterializeRule(id="delete", event_type=DELETE_SUBMITTED, to_change=to_delete),
)
