"""The DynamoDB adapter of the list store: its table layout (`layout`) and the store (`table`)."""

from shared.adapters.dynamodb.layout import ListImage, list_image
from shared.adapters.dynamodb.table import DynamoListStore, TableUnavailable

__all__ = ["DynamoListStore", "ListImage", "TableUnavailable", "list_image"]
