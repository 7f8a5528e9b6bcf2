"""DynamoDB Streams → Lambda event source mappings, on both clocks.

Lambda reads each shard in order and invokes the function with batches of stream records
(AWS's event shape: ``eventVersion "1.1"``, ``eventSourceARN`` per record, ``B`` values in
base64). The rules [LDG with-ddb.md], [BC lambda]: ``BatchSize`` 1–10,000 (default 100);
``MaximumBatchingWindowInSeconds`` 0–300 (records wait until the batch is full or the window
ends); ``StartingPosition`` ``TRIM_HORIZON``/``LATEST``; a failing batch blocks its shard and is
retried until it succeeds, ``MaximumRetryAttempts`` (−1 = forever) or ``MaximumRecordAgeInSeconds``
(−1 = forever) is exceeded; ``BisectBatchOnFunctionError`` halves a failing batch before the
retry; ``FunctionResponseTypes: ["ReportBatchItemFailures"]`` checkpoints at the lowest failed
sequence number; ``DestinationConfig.OnFailure`` (SQS or SNS) receives AWS's metadata record
(``DDBStreamBatchInfo``, no records) for a batch given up.

Model choices (AWS does not document them): a write is seen by the poller at once (AWS polls 4
times a second), a retry starts 1 s after the failed attempt ends, and each bisected half and
each retry counts as one attempt. Records come from moto's stream shard (the Cloud's private
DynamoDB backend); their ``ApproximateCreationDateTime`` is the Cloud's clock at the write.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import random
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..delivery import Deliveries
from ..errors import AwsError, invalid_parameter, not_found
from ..records import Outcome

RETRY_DELAY_S = 1.0
MAX_BATCH, DEFAULT_BATCH, MAX_WINDOW = 10_000, 100, 300
MAX_RECORD_AGE = 604_800


@dataclass
class StreamMapping:
    """One DynamoDB stream → function mapping and its shard position."""

    uuid: str
    function_name: str
    qualifier: str | None
    source_arn: str
    table: str
    starting_position: str
    batch_size: int = DEFAULT_BATCH
    window: int = 0
    bisect: bool = False
    max_retries: int = -1
    max_age: int = -1
    on_failure: str | None = None
    response_types: list[str] = field(default_factory=list)
    enabled: bool = True
    last_modified: float = 0.0
    position: int = 0  # index of the next record to deliver in the shard
    limit: int = 0  # current batch limit (halved by bisection)
    attempts: int = 0  # failed attempts of the batch at ``position``
    timer: Any = None
    last_result: str = "No records processed"
    busy: bool = False  # a batch is being processed (one batch per shard at a time)
    busy_until: float = 0.0  # when the last batch's invocation ends (virtual clock: in the future)


def _iso(t: float, millis: bool = True) -> str:
    d = _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + (f".{d.microsecond // 1000:03d}Z" if millis else "Z")


def _encode_binary(value: Any) -> Any:
    """AttributeValues with ``B``/``BS`` as base64 text, as Lambda delivers them."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "B" and isinstance(v, (bytes, bytearray)):
                out[k] = base64.b64encode(bytes(v)).decode()
            elif k == "BS" and isinstance(v, list):
                out[k] = [base64.b64encode(bytes(b)).decode() if isinstance(b, (bytes, bytearray)) else b for b in v]
            else:
                out[k] = _encode_binary(v)
        return out
    if isinstance(value, list):
        return [_encode_binary(v) for v in value]
    return value


class StreamMappings:
    """The DynamoDB stream mappings of one Lambda backend (``EventSourceMappings`` hands them the
    calls for DynamoDB stream ARNs and for their own UUIDs)."""

    def __init__(self, backend: Any, dynamodb: Any, deliveries: Deliveries, rng: random.Random) -> None:
        self.backend = backend  # the LambdaBackend: registry, clock, target_version, executor
        self.clock = backend.clock
        self.dynamodb = dynamodb  # the DynamoDB backend (stamps writes, finds shards)
        self.deliveries = deliveries
        self.mappings: dict[str, StreamMapping] = {}
        self._lock = threading.RLock()
        self.rng = rng
        dynamodb.listen(self.wake, self.drop_table)

    def owns(self, uid: str) -> bool:
        with self._lock:
            return uid in self.mappings

    def create_mapping(self, p: dict[str, Any]) -> dict[str, Any]:
        """Create a mapping from ``CreateEventSourceMapping``'s parameters; AWS's shape."""
        source = p.get("EventSourceArn", "")
        reg = self.backend.registry
        fname, q = reg.parse_name(p.get("FunctionName", ""))
        if fname not in reg.functions:
            raise not_found(f"Function not found: {reg.function_arn(fname, q)}")
        table = self.dynamodb.table_of_stream(source)
        if table is None:
            raise invalid_parameter(f"Stream not found: {source}")
        if p.get("StartingPosition") not in ("TRIM_HORIZON", "LATEST"):
            raise invalid_parameter("1 validation error detected: Value at 'startingPosition' failed to satisfy "
                                    "constraint: Member must satisfy enum value set: [TRIM_HORIZON, LATEST] "
                                    "(required for DynamoDB Streams)")
        m = StreamMapping(str(uuid.UUID(int=self.rng.getrandbits(128), version=4)), fname, q, source, table,
                          p["StartingPosition"], last_modified=self.clock.now())
        self._configure(m, p)
        m.position = 0 if m.starting_position == "TRIM_HORIZON" else len(self.dynamodb.stream_records(table))
        with self._lock:
            self.mappings[m.uuid] = m
        shape = self.shape(m, state="Creating")
        self.wake(table)
        return shape

    def _configure(self, m: StreamMapping, p: dict[str, Any]) -> None:
        batch = int(p.get("BatchSize", m.batch_size))
        window = int(p.get("MaximumBatchingWindowInSeconds", m.window))
        retries = int(p.get("MaximumRetryAttempts", m.max_retries))
        age = int(p.get("MaximumRecordAgeInSeconds", m.max_age))
        if not 1 <= batch <= MAX_BATCH:
            raise invalid_parameter(f"1 validation error detected: Value '{batch}' at 'batchSize' failed to satisfy "
                                    f"constraint: Member must have value between 1 and {MAX_BATCH}")
        if not 0 <= window <= MAX_WINDOW:
            raise invalid_parameter(f"1 validation error detected: Value '{window}' at "
                                    "'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have "
                                    f"value less than or equal to {MAX_WINDOW}")
        if not -1 <= retries <= 10_000:
            raise invalid_parameter(f"1 validation error detected: Value '{retries}' at 'maximumRetryAttempts' failed "
                                    "to satisfy constraint: Member must have value between -1 and 10000")
        if age != -1 and not 60 <= age <= MAX_RECORD_AGE:
            raise invalid_parameter(f"1 validation error detected: Value '{age}' at 'maximumRecordAgeInSeconds' failed "
                                    f"to satisfy constraint: Member must be -1 or between 60 and {MAX_RECORD_AGE}")
        types = list(p.get("FunctionResponseTypes", m.response_types) or [])
        if any(t != "ReportBatchItemFailures" for t in types):
            raise invalid_parameter("1 validation error detected: Value at 'functionResponseTypes' failed to satisfy "
                                    "constraint: Member must satisfy enum value set: [ReportBatchItemFailures]")
        on_failure = ((p.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination", m.on_failure)
        if on_failure and on_failure.split(":")[2:3] not in (["sqs"], ["sns"]):
            raise invalid_parameter(f"The provided destination config DestinationConfig(onSuccess=null, onFailure="
                                    f"OnFailure(destination={on_failure})) is invalid.")
        m.batch_size, m.window, m.max_retries, m.max_age = batch, window, retries, age
        m.bisect = bool(p.get("BisectBatchOnFunctionError", m.bisect))
        m.response_types, m.on_failure = types, on_failure or None
        m.enabled = bool(p.get("Enabled", m.enabled))
        m.limit = batch

    def shape(self, m: StreamMapping, state: str | None = None) -> dict[str, Any]:
        reg = self.backend.registry
        return {
            "UUID": m.uuid, "StartingPosition": m.starting_position, "BatchSize": m.batch_size,
            "MaximumBatchingWindowInSeconds": m.window, "ParallelizationFactor": 1, "EventSourceArn": m.source_arn,
            "FunctionArn": reg.function_arn(m.function_name, m.qualifier), "LastModified": m.last_modified,
            "LastProcessingResult": m.last_result,
            "State": state or ("Enabled" if m.enabled else "Disabled"), "StateTransitionReason": "User action",
            "DestinationConfig": {"OnFailure": {"Destination": m.on_failure} if m.on_failure else {}},
            "MaximumRecordAgeInSeconds": m.max_age, "BisectBatchOnFunctionError": m.bisect,
            "MaximumRetryAttempts": m.max_retries, "TumblingWindowInSeconds": 0,
            "FunctionResponseTypes": list(m.response_types),
            "EventSourceMappingArn": f"arn:aws:lambda:{reg.region}:{reg.account_id}:event-source-mapping:{m.uuid}",
        }

    def _mine(self, uid: str) -> StreamMapping:
        with self._lock:
            m = self.mappings.get(uid)
        if m is None:
            raise not_found("The resource you requested does not exist.")
        return m

    def get_mapping(self, uid: str) -> dict[str, Any]:
        return self.shape(self._mine(uid))

    def list_mappings(self, fname: str | None, source: str | None) -> list[dict[str, Any]]:
        with self._lock:
            return [self.shape(m) for m in self.mappings.values()
                    if (not fname or self.backend.registry.parse_name(fname)[0] == m.function_name)
                    and (not source or source == m.source_arn)]

    def update_mapping(self, uid: str, p: dict[str, Any]) -> dict[str, Any]:
        m = self._mine(uid)
        self._configure(m, p)
        m.last_modified = self.clock.now()
        self.wake(m.table)
        return self.shape(m, "Updating")

    def delete_mapping(self, uid: str) -> dict[str, Any]:
        m = self._mine(uid)
        with self._lock:
            del self.mappings[uid]
        m.enabled = False
        if m.timer is not None:
            m.timer.cancel()
        return self.shape(m, "Deleting")

    def drop_table(self, table: str) -> None:
        """A deleted table's stream is gone: its mappings stop (AWS disables them)."""
        with self._lock:
            for m in self.mappings.values():
                if m.table == table:
                    m.enabled = False
                    m.last_result = "PROBLEM: Stream not found"

    # -- polling -----------------------------------------------------------------------------

    def wake(self, table: str) -> None:
        """New records in *table*'s stream: plan a poll for each of its mappings."""
        with self._lock:
            mappings = [m for m in self.mappings.values() if m.table == table and m.enabled]
        for m in mappings:
            self._schedule(m, self.clock.now())

    def _schedule(self, m: StreamMapping, when: float) -> None:
        if m.timer is not None and not m.timer.cancelled and m.timer.when <= when:
            return
        if m.timer is not None:
            m.timer.cancel()
        m.timer = self.clock.call_at(when, self._poll, m)

    def _poll(self, m: StreamMapping) -> None:
        m.timer = None
        if not m.enabled or m.uuid not in self.mappings:
            return
        if m.busy:  # a batch is still running on another thread: look again shortly
            return self._schedule(m, self.clock.now() + 0.05)
        if self.clock.now() < m.busy_until:  # the shard's current batch has not ended yet
            return self._schedule(m, m.busy_until)
        records = self.dynamodb.stream_records(m.table)
        pending = records[m.position:]
        if not pending:
            return
        now = self.clock.now()
        first_seen = pending[0][0]
        if len(pending) < m.limit and now < first_seen + m.window:
            self._schedule(m, first_seen + m.window)  # the batching window is still open
            return
        batch = pending[:m.limit]
        if m.max_age != -1 and now - batch[0][0] > m.max_age:
            expired = [r for r in batch if now - r[0] > m.max_age]
            self._give_up(m, expired, "RecordAgeExceeded", None)
            return self._schedule(m, now)
        m.busy = True
        if self.clock.virtual:
            self._invoke(m, batch)
        else:  # on the wall clock the poller works beside the caller, as AWS's does
            threading.Thread(target=self._invoke, args=(m, batch), daemon=True, name="minilambda-ddb-poller").start()

    def _event(self, m: StreamMapping, batch: list[tuple[float, dict[str, Any]]]) -> bytes:
        records = []
        for stamp, rec in batch:
            ddb = rec["dynamodb"]
            body = {"ApproximateCreationDateTime": int(stamp)}
            for key in ("Keys", "NewImage", "OldImage"):
                if key in ddb:
                    body[key] = _encode_binary(ddb[key])
            body.update(SequenceNumber=ddb["SequenceNumber"], SizeBytes=ddb["SizeBytes"],
                        StreamViewType=ddb["StreamViewType"])
            records.append({"eventID": rec["eventID"], "eventName": rec["eventName"], "eventVersion": "1.1",
                            "eventSource": "aws:dynamodb", "awsRegion": rec["awsRegion"], "dynamodb": body,
                            "eventSourceARN": m.source_arn})
        return json.dumps({"Records": records}).encode()

    def _invoke(self, m: StreamMapping, batch: list[tuple[float, dict[str, Any]]]) -> None:
        try:
            self._invoke_once(m, batch)
        finally:
            m.busy = False

    def _invoke_once(self, m: StreamMapping, batch: list[tuple[float, dict[str, Any]]]) -> None:
        backend = self.backend
        fn = backend.registry.functions.get(m.function_name)
        if fn is None:
            m.enabled, m.last_result = False, "PROBLEM: Function not found"
            return
        fv = backend.target_version(fn, m.qualifier)
        now = self.clock.now()
        try:
            out = backend.executor.execute(fn, fv, m.qualifier, self._event(m, batch), advance_clock=False,
                                           trigger="dynamodb")
        except AwsError as exc:
            if exc.status != 429:
                raise
            return self._schedule(m, now + RETRY_DELAY_S)  # throttled: the batch waits
        self._settle(m, batch, out)

    def _settle(self, m: StreamMapping, batch: list[tuple[float, dict[str, Any]]], out: Any) -> None:
        """Move the checkpoint after an invocation (AWS's partial batch response rules)."""
        end = out.record.end
        m.busy_until = end
        failed_at, error = self._failure(m, batch, out)
        if failed_at is None:
            m.position += len(batch)
            m.attempts, m.limit, m.last_result = 0, m.batch_size, "OK"
            return self._schedule(m, end)
        m.position += failed_at  # records before the first failed one are done
        rest = batch[failed_at:]
        m.attempts += 1
        m.last_result = "PROBLEM: Function call failed"
        if m.max_retries != -1 and m.attempts > m.max_retries:
            self._give_up(m, rest, "RetryAttemptsExhausted", error, invokes=m.attempts)
            return self._schedule(m, end)
        if m.bisect and len(rest) > 1:
            m.limit = max(1, len(rest) // 2)
        self._schedule(m, end + RETRY_DELAY_S)

    def _failure(self, m: StreamMapping, batch: list[tuple[float, dict[str, Any]]],
                 out: Any) -> tuple[int | None, Any]:
        """(index of the first record to retry or None, ``functionError`` for the OnFailure record)."""
        if out.record.outcome is not Outcome.SUCCESS:
            return 0, out.function_error or "Unhandled"
        if "ReportBatchItemFailures" not in m.response_types:
            return None, None
        try:
            body = json.loads(out.payload) if out.payload else None
        except ValueError:
            return 0, None
        if body is None or body == {} or (isinstance(body, dict) and body.get("batchItemFailures") in (None, [])):
            return None, None
        failures = body.get("batchItemFailures") if isinstance(body, dict) else None
        if not isinstance(failures, list):
            return 0, None
        seqs = [r["dynamodb"]["SequenceNumber"] for _, r in batch]
        indexes = []
        for item in failures:
            ident = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not ident or ident not in seqs:
                return 0, None  # an invalid response fails the whole batch
            indexes.append(seqs.index(ident))
        return min(indexes), None

    def _give_up(self, m: StreamMapping, batch: list[tuple[float, dict[str, Any]]], condition: str,
                 error: Any, invokes: int | None = None) -> None:
        """Skip *batch*: send AWS's failure record to the OnFailure destination, if any."""
        count = invokes if invokes is not None else m.attempts
        m.position += len(batch)
        m.attempts, m.limit = 0, m.batch_size
        if not m.on_failure or not batch:
            return
        first, last = batch[0], batch[-1]
        info = {"shardId": self.dynamodb.shard_id(m.table), "startSequenceNumber": first[1]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": last[1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(first[0], millis=False),
                "approximateArrivalOfLastRecord": _iso(last[0], millis=False), "batchSize": len(batch),
                "streamArn": m.source_arn}
        record = {"requestContext": {"requestId": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                                     "functionArn": self.backend.registry.function_arn(m.function_name),
                                     "condition": condition, "approximateInvokeCount": count},
                  "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": error},
                  "version": "1.0", "timestamp": _iso(self.clock.now()), "DDBStreamBatchInfo": info}
        reason = self.deliveries.send(m.on_failure, json.dumps(record), source="dynamodb")
        if reason is not None:
            self.deliveries.drop("dynamodb", m.on_failure, reason)
