"""Sequence numbers on the local endpoint that keep growing across restarts, as AWS's do.

moto numbers each Kinesis shard's records 1, 2, 3... from every start, and every table stream
from the same constant. A restarted local endpoint would hand out the sequence numbers of the
run before, and with them the same Kinesis eventIDs (`shardId-...:<sequence number>`); the
listener takes a bare submission's eventID as its event id and remembers it, so it would take
the new records for redeliveries of old ones and drop them, silently.

Here a sequence number starts from the time it is given out: 56 decimal digits, as AWS writes
them, `1` then the epoch time in microseconds then room for 10^20 records within one
microsecond. A Kinesis record gets the larger of that and one more than the shard's last, so a
shard's numbers grow even if the clock steps back while the endpoint runs; a table stream
starts from the time its table was created. They are still decimal strings of one length here,
but everything in listmgr compares them as integers, as it must for AWS's.
"""

import threading
import time
from typing import Any

DIGITS = 56
_FLOOR: int = 10 ** (DIGITS - 1)
_PER_MICROSECOND = 10**20
_kinesis_lock = threading.Lock()


def time_based(now_ns: int) -> int:
    """The smallest sequence number given out at `now_ns` (epoch nanoseconds)."""
    return _FLOOR + (now_ns // 1000) * _PER_MICROSECOND


def grow_across_restarts() -> None:
    """Patches moto's Kinesis shards and DynamoDB table streams (once per process)."""
    from moto.dynamodb.models.table import StreamShard  # noqa: PLC0415 - only the local endpoint needs moto
    from moto.kinesis.models import Record, Shard  # noqa: PLC0415

    if getattr(Shard, "_listmgr_sequence_numbers", False):
        return

    def put_record(shard: Any, partition_key: str, data: str, explicit_hash_key: str) -> str:
        # moto's own put_record is not safe for concurrent requests to one shard (two records
        # can get one number, and one overwrites the other); the server is threaded.
        with _kinesis_lock:
            number = max(shard.get_max_sequence_number() + 1, time_based(time.time_ns()))
            shard.records[number] = Record(partition_key, data, number, explicit_hash_key)
        return str(number)

    moto_stream_shard_init = StreamShard.__init__

    def stream_shard_init(stream_shard: Any, account_id: str, table: Any) -> None:
        moto_stream_shard_init(stream_shard, account_id, table)
        stream_shard.starting_sequence_number = time_based(time.time_ns())

    setattr(Shard, "put_record", put_record)  # noqa: B010 - patching a foreign class
    setattr(StreamShard, "__init__", stream_shard_init)  # noqa: B010
    setattr(Shard, "_listmgr_sequence_numbers", True)  # noqa: B010 - a marker on a foreign class
