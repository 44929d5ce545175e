"""What a stopping stack still holds, kept under `.listmgr/` and given back on the next start.

The in-process endpoint forgets everything when it stops. Two things would be lost with it:
- records of a Kinesis stream that its functions had not finished (a stop forced before the
  drain ended): every record after the lowest checkpoint of any mapping on the stream;
- the messages on the on-failure queues.
Both are written out at the stop (`unapplied.jsonl`, `failure-queue.jsonl`) and, at the next
start, put back: the records onto the stream before any mapping runs, the messages onto their
queue. A record the functions had finished after that checkpoint comes back too, as AWS
redelivers after a restart; its event id is the same, so it changes nothing twice. A bare
submission's event id is its old Kinesis eventID, which a record put again would lose, so it
goes back as the `list-update-submitted` envelope the listener made of it, with that id and its
first arrival time.
"""

import base64
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from listmgr.runtime.mappings.mapping import EventSourceMapping
from listmgr.runtime.mappings.records import KINESIS, StreamRecord
from listmgr.runtime.mappings.streams import Position, StreamReader, reader_for
from shared.adapters.kinesis import KinesisStream
from shared.events.codec import NotJson, dumps, loads
from shared.stream.decoders import is_submission, kinesis_unit
from shared.stream.publish import Outgoing, PublishOptions, publish

log = logging.getLogger("listmgr")
UNAPPLIED = "unapplied.jsonl"
FAILURE_QUEUE = "failure-queue.jsonl"


class RestoreFailed(RuntimeError):
    """Saved records or messages could not be put back; the file stays for the next try."""


@dataclass(frozen=True)
class Saved:
    records: int
    messages: int


def save(state_dir: Path, mappings: Sequence[EventSourceMapping], clients: Mapping[str, Any]) -> Saved:
    """Writes what the stopped mappings left; call it after they stopped, before the endpoint."""
    records = [
        {"streamName": reader.source.stream_name, "record": record.event_record}
        for reader, after in _streams(mappings)
        for record in _unfinished(reader, after)
    ]
    _write(state_dir / UNAPPLIED, records)
    messages = [message for url in _queue_urls(mappings, clients) for message in _drain_queue(clients, url)]
    _write(state_dir / FAILURE_QUEUE, messages)
    return Saved(len(records), len(messages))


def restore(state_dir: Path, clients: Mapping[str, Any]) -> Saved:
    """Puts back what the last stop saved; call it before the mappings start."""
    records = _read(state_dir / UNAPPLIED)
    by_stream: dict[str, list[Outgoing]] = {}
    for ref, saved in enumerate(records):
        by_stream.setdefault(saved["streamName"], []).append(_outgoing(saved, ref))
    for stream_name, outgoing in by_stream.items():
        unsent = publish(KinesisStream(clients["kinesis"], stream_name), outgoing, PublishOptions())
        if unsent:
            raise RestoreFailed(
                f"{len(unsent)} of the records in {state_dir / UNAPPLIED} could not be put back on "
                f"{stream_name}; the file is kept for the next start"
            )
    (state_dir / UNAPPLIED).unlink(missing_ok=True)
    messages = _read(state_dir / FAILURE_QUEUE)
    for message in messages:
        queue_url = clients["sqs"].get_queue_url(QueueName=message["queueName"])["QueueUrl"]
        clients["sqs"].send_message(QueueUrl=queue_url, MessageBody=message["body"])
    (state_dir / FAILURE_QUEUE).unlink(missing_ok=True)
    return Saved(len(records), len(messages))


def _streams(mappings: Sequence[EventSourceMapping]) -> Iterator[tuple[StreamReader, dict[str, str | None]]]:
    """Each Kinesis stream with, per shard, the lowest checkpoint of its mappings (None: none yet)."""
    by_arn: dict[str, list[EventSourceMapping]] = {}
    for mapping in mappings:
        if mapping.source.kind == KINESIS and mapping.source.enabled:
            by_arn.setdefault(mapping.source.arn, []).append(mapping)
    for on_stream in by_arn.values():
        first = on_stream[0]
        reader = reader_for(first.source, first.clients, first.region)
        saved = [mapping.store.load() if mapping.store else {} for mapping in on_stream]
        after: dict[str, str | None] = {}
        for shard in reader.shards():
            checkpoints = [checkpoint.get(shard.shard_id) for checkpoint in saved]
            after[shard.shard_id] = (
                None if None in checkpoints else str(min(int(str(number)) for number in checkpoints))
            )
        yield reader, after


def _unfinished(reader: StreamReader, after: Mapping[str, str | None]) -> Iterator[StreamRecord]:
    for shard_id, checkpoint in after.items():
        position = (
            Position("TRIM_HORIZON") if checkpoint is None else Position("AFTER_SEQUENCE_NUMBER", checkpoint)
        )
        iterator: str | None = reader.iterator(shard_id, position)
        while iterator is not None:
            page = reader.read(shard_id, iterator)
            yield from page.records
            if page.caught_up and not page.records:
                break
            iterator = page.next_iterator


def _outgoing(saved: Mapping[str, Any], ref: int) -> Outgoing:
    record = saved["record"]
    data = base64.b64decode(record["kinesis"]["data"])
    try:
        document = loads(data)
    except (NotJson, UnicodeDecodeError):
        document = None
    if isinstance(document, dict) and is_submission(document):
        # Published as its envelope, the one the decoder makes of it (with the record's eventID).
        envelope = kinesis_unit(record).event
        if envelope is not None:
            data = dumps(envelope).encode()
    return Outgoing(ref=ref, partition_key=str(record["kinesis"]["partitionKey"]), data=data)


def _queue_urls(mappings: Sequence[EventSourceMapping], clients: Mapping[str, Any]) -> list[str]:
    destinations = {mapping.source.on_failure or "" for mapping in mappings}
    arns = sorted(arn for arn in destinations if arn.startswith("arn:aws:sqs:"))
    return [clients["sqs"].get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"] for arn in arns]


def _drain_queue(clients: Mapping[str, Any], queue_url: str) -> Iterator[dict[str, Any]]:
    """Every message on the queue (hidden for the rest of this run, the endpoint stops next)."""
    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    while True:
        messages = (
            clients["sqs"]
            .receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=3600, WaitTimeSeconds=0
            )
            .get("Messages", [])
        )
        if not messages:
            return
        yield from ({"queueName": name, "body": message["Body"]} for message in messages)


def _write(path: Path, documents: Sequence[Mapping[str, Any]]) -> None:
    """Adds to what an earlier stop saved and a start could not put back, if anything."""
    if not documents:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        for document in documents:
            file.write(json.dumps(document) + "\n")


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as error:
        raise RestoreFailed(f"{path} is damaged ({error}); move it away to start without it") from error
