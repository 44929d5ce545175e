"""The listener wired to moto and a real archive, driven with Lambda-shaped Kinesis events."""

from collections.abc import Iterator

import pytest

from shared.adapters.dynamodb import DynamoListStore
from shared.adapters.kinesis import KinesisStream
from shared.adapters.sql_archive import Archive
from tests.support.aws import Deployed
from tests.support.harness import Harness


@pytest.fixture
def harness(deployed: Deployed, archive: Archive) -> Iterator[Harness]:
    yield Harness(
        deployed,
        DynamoListStore(deployed.aws.client("dynamodb"), deployed.table_name),
        archive,
        KinesisStream(deployed.aws.client("kinesis"), deployed.stream_name),
    )
