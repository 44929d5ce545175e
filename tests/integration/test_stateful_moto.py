"""The stateful proof of the listener's guarantees (tests/faults/machine.py) on the real
connectors: DynamoDB and Kinesis on moto, the archive on SQLite and on MariaDB, with the seeded
faults injected over each (the archive's connection is also closed under it, for real). Fewer
examples than in memory; LISTMGR_PROOF=full (make proof-full) runs more."""

from contextlib import suppress
from typing import Any

from hypothesis import HealthCheck
from hypothesis.stateful import run_state_machine_as_test

from shared.adapters.dynamodb import DynamoListStore
from shared.adapters.kinesis import KinesisStream
from shared.adapters.sql_archive import Archive
from shared.lists.archive import ArchiveUnavailable
from tests.faults.machine import Figures, ListenerMachine, Ports, proof_settings
from tests.support.aws import Deployed
from tests.support.harness import stream_events


class OnMoto(ListenerMachine):
    figures = Figures()
    deployed: Deployed
    real_archive: Archive
    runs = 0

    def ports(self) -> Ports:
        # One table, stream and archive for every example: each starts from an empty store and
        # archive, and its records carry shard ids of their own, so its fault events (whose ids
        # derive from the shard) are told apart from the earlier examples' on the stream.
        type(self).runs += 1
        self.shard_prefix = f"shardId-{type(self).runs:05d}-"
        aws = self.deployed.aws
        store = DynamoListStore(aws.client("dynamodb"), self.deployed.table_name, sleep=lambda _: None)
        store.purge()
        archive = self.real_archive
        archive.purge()
        prefix = self.shard_prefix

        def published() -> list[dict[str, Any]]:
            return [
                event
                for event in stream_events(self.deployed)
                if str(event.get("fault", {}).get("shard", "")).startswith(prefix)
            ]

        def close_under_it() -> None:
            # What a server restart or wait_timeout does: the Archive does not know yet.
            # Closing one already closed is the driver's error (pymysql: "Already closed").
            if archive._connection is not None:
                with suppress(*archive.driver_errors):
                    archive._connection.close()

        return Ports(
            store=store,
            archive=archive,
            stream=KinesisStream(aws.client("kinesis"), self.deployed.stream_name),
            published=published,
            close_archive=close_under_it,
            before_check=lambda: _reconnect(archive),
        )


def _reconnect(archive: Archive) -> None:
    # A statement on a connection closed under it fails once (ArchiveUnavailable, for the
    # listener to retry) and the next one reconnects.
    with suppress(ArchiveUnavailable):
        archive.ping()


def test_the_guarantees_hold_on_moto_and_a_real_archive(deployed: Deployed, archive: Archive) -> None:
    OnMoto.deployed, OnMoto.real_archive = deployed, archive
    OnMoto.figures = Figures()  # per archive: the figures of docs/reliability.md
    run_state_machine_as_test(
        OnMoto,
        settings=proof_settings((6, 60), (15, 40), HealthCheck.function_scoped_fixture),
    )
    print(f"\nstateful, moto + {archive.dialect.name}: {OnMoto.figures.line()}")
