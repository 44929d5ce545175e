"""The in-process endpoint's DynamoDB tables, read and written whole through moto's backend.

What a restart keeps of a table (listmgr.runtime.table_snapshot), the check of its lists against the
archive at a start, and what Time to Live deletes (listmgr.runtime.expiry) are whole-table work. Over
HTTP, moto answers each page of a Scan by sorting the whole table again (25 s for the pages of
100,000 items), then serializes every attribute of every item with its model-driven serializer
(1.5 ms an item): minutes in all, where one pass here takes about a second. Items go out and
back in DynamoDB's wire format (AttributeValue JSON, binary values base64) or as boto3 reads
them, whatever their layout: nothing here reads an item beyond its key and the one attribute it
is asked about. Each call holds moto's DynamoDB lock, as the backend's own calls do
(listmgr.endpoint.moto_server), so nothing comes between a read and the writes that follow from it.
"""

import base64
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from listmgr.endpoint import moto_server
from shared.stream.lambda_records import binary_as_base64

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]


@dataclass(frozen=True)
class LocalTable:
    """One table of the in-process endpoint, named by its ARN (which holds its account and region)."""

    arn: str

    @property
    def name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def items(self) -> list[Item]:
        """Every item, in the wire format."""
        return [binary_as_base64(item) for item in self.read()]

    def read(self) -> list[Item]:
        """Every item, as boto3 reads it (binary values as bytes), in the order of a Scan."""
        from moto.dynamodb.models.utilities import dynamo_to_dict  # noqa: PLC0415

        with moto_server.dynamodb_lock:
            return [dynamo_to_dict(item.attrs) for item in self._moto_table().all_items()]

    def put(self, items: Iterable[Mapping[str, AttributeValue]]) -> int:
        """Puts each item (wire format) as PutItem does, a record on the table's stream included."""
        backend = self._backend()
        count = 0
        for item in items:
            backend.put_item(self.name, {name: _from_wire(value) for name, value in item.items()})
            count += 1
        return count

    def time_to_live(self) -> str | None:
        """The attribute Time to Live reads, while it is enabled."""
        with moto_server.dynamodb_lock:
            setting = self._moto_table().ttl
        return str(setting["AttributeName"]) if setting.get("TimeToLiveStatus") == "ENABLED" else None

    def delete_where(
        self, attribute: str, doomed: Callable[[AttributeValue], bool], user_identity: Mapping[str, str]
    ) -> int:
        """Deletes every item whose `attribute` (wire format) is `doomed`, each with a REMOVE record
        on the table's stream that names `user_identity` as the deleter; returns how many."""
        from moto.dynamodb.models.utilities import dynamo_to_dict  # noqa: PLC0415

        with moto_server.dynamodb_lock:
            table = self._moto_table()
            gone = [
                item
                for item in _unordered(table)
                if attribute in item.attrs and doomed(binary_as_base64(dynamo_to_dict(item.attrs[attribute])))
            ]
            for item in gone:
                table.delete_item(item.hash_key, item.range_key)
                stream = table.stream_shard
                if stream is not None and stream.items:
                    stream.items[-1].record["userIdentity"] = dict(user_identity)
        return len(gone)

    def _backend(self) -> Any:
        from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415

        _, _, _, region, account, _ = self.arn.split(":", 5)
        return dynamodb_backends[account][region]

    def _moto_table(self) -> Any:
        return self._backend().get_table(self.name)


def _unordered(table: Any) -> Iterator[Any]:
    """The items of a moto table in no order: `all_items` sorts them, a second for 100,000 items,
    which a sweep every few seconds need not pay with the lock held."""
    for under_hash in table.items.values():
        if table.range_key_attr:
            yield from under_hash.values()
        else:
            yield under_hash


class OnePassScans:
    """A boto3 DynamoDB client of the in-process endpoint whose plain Scan of one of `tables` (no
    filter, projection, limit or segment) reads the whole table in one page; every other call is
    the client's own. Given to the list store (shared.adapters.dynamodb), it lists the
    lists in a second where a Scan over HTTP took minutes."""

    def __init__(self, client: Any, tables: Sequence[LocalTable]) -> None:
        self._client = client
        self._tables = {table.name: table for table in tables}

    def scan(self, **request: Any) -> dict[str, Any]:
        table = self._tables.get(str(request.get("TableName")))
        if table is None or set(request) != {"TableName"}:
            answer: dict[str, Any] = self._client.scan(**request)
            return answer
        items = table.read()
        return {"Items": items, "Count": len(items), "ScannedCount": len(items)}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _from_wire(value: AttributeValue) -> AttributeValue:
    """An attribute value of the wire format as moto's requests hold it, parsed: binary values as bytes."""
    ((kind, content),) = value.items()
    if kind == "B":
        return {kind: base64.b64decode(content)}
    if kind == "BS":
        return {kind: [base64.b64decode(member) for member in content]}
    if kind == "M":
        return {kind: {key: _from_wire(member) for key, member in content.items()}}
    if kind == "L":
        return {kind: [_from_wire(member) for member in content]}
    return {kind: content}
