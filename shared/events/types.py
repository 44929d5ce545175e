"""The names of the event types, apart from their models (shared/events/envelope.py): a module
that only routes or builds events by type (the trigger, the decoders) imports these without
importing pydantic."""

UPDATE_SUBMITTED = "list-update-submitted"
DELETE_SUBMITTED = "list-delete-submitted"
FAULT = "fault"
USER_LIST_TYPES = ("user-list-created", "user-list-updated", "user-list-deleted")
AGGREGATE_TYPES = ("aggregate-list-created", "aggregate-list-updated", "aggregate-list-deleted")
