"""Wiring: the real connectors for a set of settings. Handlers call these once per container;
tests build the same objects around moto, MySQL or fakes."""

from shared.settings import Settings
from shared.stream.connectors.archive import Archive, open_archive
from shared.stream.connectors.aws import client, secret_json
from shared.stream.connectors.dynamodb import DynamoListStore
from shared.stream.connectors.kinesis import KinesisStream


def list_store(settings: Settings) -> DynamoListStore:
    return DynamoListStore(client("dynamodb", settings.region), settings.table_name, settings.dedup)


def event_stream(settings: Settings) -> KinesisStream:
    return KinesisStream(client("kinesis", settings.region), settings.stream_name)


def archive(settings: Settings) -> Archive:
    password = None
    if settings.archive_secret_arn:
        password = secret_json(settings.archive_secret_arn, settings.region)["password"]
    return open_archive(settings.archive_url, password)
