"""Amazon DynamoDB and DynamoDB Streams for a Cloud, answered by moto on private backends.

``cloud.client("dynamodb")`` and ``("dynamodbstreams")`` (and handlers' boto3 through the
Cloud's endpoint, and ``serve``) reach moto's implementations through ``moto_bridge``; the
adapter (``dynamodb_api.py``) tells this backend about every successful call, so that request
units are counted, stream records get the Cloud's clock as their arrival time and stream event
source mappings (``lambda_/streams.py``) are woken.

What moto does not do (so neither does minilambda): TTL expiry never deletes items; capacity
is never throttled (no ``ProvisionedThroughputExceededException``); global tables, backups to
S3, Kinesis streaming destinations and DAX are absent; stream records keep moto's wall-clock
``ApproximateCreationDateTime`` in ``GetRecords`` (Lambda events carry the Cloud's clock).
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable

from ..clock import Clock

READ_PREFIXES = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "TransactGet")
ITEM_READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
ITEM_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def _units(size_bytes: int, unit_kb: int) -> int:
    return max(1, -(-size_bytes // (unit_kb * 1024)))


def request_units(operation: str, request: dict[str, Any], response: dict[str, Any]) -> tuple[float, float]:
    """(read, write) request units of one call, as on-demand billing counts them: a write unit per
    KB written (2 in a transaction), a read unit per 4 KB read (half if eventually consistent, 2 in
    a transaction). Item sizes are estimated from their JSON length (AWS: names + values)."""
    if operation in ITEM_WRITES:
        if operation == "BatchWriteItem":
            items = [w for ws in (request.get("RequestItems") or {}).values() for w in ws]
            return 0.0, float(sum(_units(len(json.dumps(i)), 1) for i in items))
        if operation == "TransactWriteItems":
            items = request.get("TransactItems") or []
            return 0.0, float(sum(2 * _units(len(json.dumps(i)), 1) for i in items))
        return 0.0, float(_units(len(json.dumps(request.get("Item") or request.get("Key") or {})), 1))
    if operation in ITEM_READS:
        factor = 2.0 if operation == "TransactGetItems" else (1.0 if request.get("ConsistentRead") else 0.5)
        if operation == "GetItem":
            size = len(json.dumps(response.get("Item") or {}))
        elif operation in ("Query", "Scan"):
            size = len(json.dumps(response.get("Items") or []))
        else:
            size = len(json.dumps(response.get("Responses") or {}))
        return factor * _units(size, 4), 0.0
    return 0.0, 0.0


class DynamoDBBackend:
    """What the Cloud adds to moto's DynamoDB: request units, stream record arrival times, and
    the listeners (stream mappings) woken by new records or told of deleted tables."""

    def __init__(self, clock: Clock, moto_backend: Callable[[], Any]) -> None:
        self.clock = clock
        self._moto_backend = moto_backend
        self._stamps: dict[str, list[float]] = {}  # table -> arrival time of each stream record
        self._lock = threading.RLock()
        self.read_units = 0.0  # on-demand request units so far (see request_units)
        self.write_units = 0.0
        self.requests: dict[str, int] = {}  # operation -> successful calls
        self._on_records: list[Callable[[str], None]] = []  # table -> None (stream mappings' wake)
        self._on_deleted: list[Callable[[str], None]] = []

    def listen(self, on_records: Callable[[str], None], on_deleted: Callable[[str], None]) -> None:
        """Be told of new stream records in a table, and of a table's deletion."""
        self._on_records.append(on_records)
        self._on_deleted.append(on_deleted)

    def succeeded(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> None:
        """One successful call: count it; after a write, stamp new stream records and wake pollers."""
        self._count(operation, request, response)
        if not operation.startswith(READ_PREFIXES):
            if operation == "DeleteTable":
                self._deleted(str(request.get("TableName", "")))
            self._stamp_new_records()

    def _count(self, operation: str, request: dict[str, Any], response: dict[str, Any]) -> None:
        reads = writes = 0.0
        if operation in ITEM_READS or operation in ITEM_WRITES:
            reads, writes = request_units(operation, request, response)
        with self._lock:
            self.requests[operation] = self.requests.get(operation, 0) + 1
            self.read_units += reads
            self.write_units += writes

    def _deleted(self, table: str) -> None:
        self._stamps.pop(table, None)
        for listener in self._on_deleted:
            listener(table)

    def backend(self) -> Any:
        """moto's DynamoDB backend holding this Cloud's tables."""
        return self._moto_backend()

    def _stamp_new_records(self) -> None:
        now = self.clock.now()
        woken = []
        with self._lock:
            for name, table in list(self.backend().tables.items()):
                shard = getattr(table, "stream_shard", None)
                if shard is None:
                    continue
                stamps = self._stamps.setdefault(name, [])
                if len(shard.items) > len(stamps):
                    stamps.extend([now] * (len(shard.items) - len(stamps)))
                    woken.append(name)
        for name in woken:
            for listener in self._on_records:
                listener(name)

    # -- what stream mappings read ---------------------------------------------------------------

    def table_of_stream(self, stream_arn: str) -> str | None:
        """The table whose current stream is *stream_arn* (None if there is none)."""
        for name, table in list(self.backend().tables.items()):
            label = getattr(table, "latest_stream_label", None)
            if getattr(table, "stream_shard", None) is not None and label and \
                    stream_arn.endswith(f":table/{name}/stream/{label}"):
                return name
        return None

    def stream_records(self, table: str) -> list[tuple[float, dict[str, Any]]]:
        """(arrival time on the Cloud's clock, moto's record) for every record of the table's stream."""
        with self._lock:
            t = self.backend().tables.get(table)
            shard = getattr(t, "stream_shard", None) if t is not None else None
            if shard is None:
                return []
            stamps = self._stamps.setdefault(table, [])
            if len(shard.items) > len(stamps):  # written before we watched (e.g. through moto directly)
                stamps.extend([self.clock.now()] * (len(shard.items) - len(stamps)))
            return [(stamps[i], item.record) for i, item in enumerate(shard.items)]

    def shard_id(self, table: str) -> str:
        t = self.backend().tables.get(table)
        return getattr(getattr(t, "stream_shard", None), "id", "")

    def close(self) -> None:
        """Nothing of its own: the Cloud's moto backends hold the tables."""
