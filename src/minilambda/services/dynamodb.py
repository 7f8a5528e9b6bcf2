"""Amazon DynamoDB and DynamoDB Streams for a Cloud, answered by moto on private backends.

``cloud.client("dynamodb")`` and ``("dynamodbstreams")`` (and handlers' boto3 through the
Cloud's endpoint, and ``serve``) reach moto's implementations through ``moto_bridge``; this
adapter only watches writes, so that stream records get the Cloud's clock as their arrival
time and stream event source mappings (``lambda_streams``) are woken.

What moto does not do (so neither does minilambda): TTL expiry never deletes items; capacity
is never throttled (no ``ProvisionedThroughputExceededException``); global tables, backups to
S3, Kinesis streaming destinations and DAX are absent; stream records keep moto's wall-clock
``ApproximateCreationDateTime`` in ``GetRecords`` (Lambda events carry the Cloud's clock).
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from ..service import Request, Response

if TYPE_CHECKING:  # pragma: no cover
    from ..cloud import Cloud

READ_PREFIXES = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "TransactGet")


class DynamoDBService:
    """DynamoDB's wire API (moto) plus write notifications for stream mappings."""

    name = "dynamodb"
    protocol = "json"

    def __init__(self, cloud: "Cloud") -> None:
        from ..lambda_streams import StreamMappings
        from .moto_bridge import moto_service

        self.cloud = cloud
        self.moto = moto_service(cloud, "dynamodb")
        self.streams_api = moto_service(cloud, "dynamodbstreams")
        self.mappings = StreamMappings(cloud, self)
        self._stamps: dict[str, list[float]] = {}  # table -> arrival time of each stream record
        self._lock = threading.RLock()

    def handle(self, request: Request) -> Response:
        """Answer with moto; after a successful write, stamp new stream records and wake pollers."""
        response = self.moto.handle(request)
        operation = str(request.headers.get("x-amz-target", "")).rsplit(".", 1)[-1]
        if response.status == 200 and operation and not operation.startswith(READ_PREFIXES):
            if operation == "DeleteTable":
                self._deleted(request)
            self._stamp_new_records()
        return response

    def _deleted(self, request: Request) -> None:
        try:
            table = json.loads(request.body or b"{}").get("TableName", "")
        except ValueError:
            return
        self._stamps.pop(table, None)
        self.mappings.drop_table(table)

    def backend(self) -> Any:
        """moto's DynamoDB backend holding this Cloud's tables."""
        return self.moto.backend()

    def _stamp_new_records(self) -> None:
        now = self.cloud.clock.now()
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
            self.mappings.wake(name)

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
                stamps.extend([self.cloud.clock.now()] * (len(shard.items) - len(stamps)))
            return [(stamps[i], item.record) for i, item in enumerate(shard.items)]

    def shard_id(self, table: str) -> str:
        t = self.backend().tables.get(table)
        return getattr(getattr(t, "stream_shard", None), "id", "")

    def close(self) -> None:
        """Nothing of its own: the Cloud's moto backends hold the tables."""


def install(cloud: "Cloud") -> DynamoDBService:
    """Serve DynamoDB (and Streams) on *cloud*; stream mappings join the Lambda API."""
    service = DynamoDBService(cloud)
    cloud.add_service("dynamodb", service)
    cloud.lambda_extensions.insert(0, service.mappings.register_routes)
    return service
