"""Wiring: the real connectors for a set of settings. Handlers call these once per container;
tests build the same objects around moto, MySQL or fakes.

The archive's module (and pymysql with it) is imported only by `archive()`: the trigger never
opens the archive and should not pay for importing a database driver on every cold start."""

from typing import TYPE_CHECKING

from shared.adapters.aws import client, secret_json
from shared.adapters.dynamodb import DynamoListStore
from shared.adapters.kinesis import KinesisStream
from shared.settings import Settings

if TYPE_CHECKING:
    from shared.adapters.sql_archive import Archive


def list_store(settings: Settings) -> DynamoListStore:
    return DynamoListStore(
        client("dynamodb", settings.region, settings.aws), settings.table_name, settings.dedup
    )


def event_stream(settings: Settings) -> KinesisStream:
    return KinesisStream(client("kinesis", settings.region, settings.aws), settings.stream_name)


def archive(settings: Settings) -> "Archive":
    from shared.adapters.sql_archive import open_archive  # noqa: PLC0415 - see the docstring

    password = None
    if settings.archive_secret_arn:
        password = secret_json(settings.archive_secret_arn, settings.region, settings.aws)["password"]
    return open_archive(settings.archive_url, password)
