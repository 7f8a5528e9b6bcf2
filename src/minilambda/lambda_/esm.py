"""SQS event source mappings: pollers that scale like AWS's and apply partial batch responses.

DynamoDB stream mappings live beside them (``streams.py``, attached with ``attach_streams``): the
Lambda API's five mapping operations come here, and calls for a stream ARN or a stream mapping's
UUID are handed to them.

AWS: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from ..errors import AwsError, invalid_parameter, not_found, validation_error
from ..ids import new_uuid
from ..records import AsyncRecord, Outcome

# SQS pollers: 5 concurrent batches at first, up to 300 more per minute, at most 1,000 per mapping.
SQS_INITIAL_BATCHES, SQS_BATCHES_PER_MINUTE, SQS_MAX_BATCHES = 5, 300, 1000


@dataclass
class EventSourceMapping:
    uuid: str
    function_name: str
    qualifier: str | None
    source_arn: str
    batch_size: int = 10
    window: int = 0
    enabled: bool = True
    response_types: list[str] = field(default_factory=list)
    max_concurrency: int | None = None
    last_modified: float = 0.0
    in_flight: list[float] = field(default_factory=list)  # virtual end times of running batches
    busy_since: float | None = None  # when the queue last went from empty to having messages
    timer: Any = None
    state: str = "Creating"


class EventSourceMappings:
    """The SQS event source mappings of one Lambda backend."""

    def __init__(self, backend: Any, sqs: Any, rng: random.Random) -> None:
        self.backend = backend
        self.sqs = sqs
        self.rng = rng
        self.mappings: dict[str, EventSourceMapping] = {}
        self.streams: Any = None  # DynamoDB stream mappings (streams.StreamMappings), once attached

    def attach_streams(self, streams: Any) -> None:
        """Serve DynamoDB stream ARNs with *streams* (a ``StreamMappings``)."""
        self.streams = streams

    def _mapping_shape(self, m: EventSourceMapping) -> dict[str, Any]:
        reg = self.backend.registry
        out: dict[str, Any] = {
            "BatchSize": m.batch_size,
            "EventSourceArn": m.source_arn,
            "EventSourceMappingArn": f"arn:aws:lambda:{reg.region}:{reg.account_id}:event-source-mapping:{m.uuid}",
            "FunctionArn": reg.function_arn(m.function_name, m.qualifier),
            "FunctionResponseTypes": list(m.response_types),
            "LastModified": m.last_modified,
            "MaximumBatchingWindowInSeconds": m.window,
            "State": m.state,
            "StateTransitionReason": "USER_INITIATED",
            "UUID": m.uuid,
        }
        if m.max_concurrency is not None:
            out["ScalingConfig"] = {"MaximumConcurrency": m.max_concurrency}
        return out

    def _check_batch(self, batch_size: int, window: int) -> None:
        if not 1 <= batch_size <= 10000:
            raise invalid_parameter(
                f"1 validation error detected: Value '{batch_size}' at 'batchSize' failed to satisfy constraint: "
                f"Member must have value {'less than or equal to 10000' if batch_size > 10000 else 'greater than or equal to 1'}")
        if not 0 <= window <= 300:
            raise invalid_parameter(
                f"1 validation error detected: Value '{window}' at 'maximumBatchingWindowInSeconds' failed to satisfy "
                "constraint: Member must have value less than or equal to 300")
        if batch_size > 10 and window < 1:
            raise invalid_parameter(
                "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")

    def create_mapping(self, p: dict[str, Any]) -> dict[str, Any]:
        """Create a mapping from ``CreateEventSourceMapping``'s parameters; AWS's shape."""
        reg = self.backend.registry
        source = p.get("EventSourceArn", "")
        if ":dynamodb:" in source and self.streams is not None:
            return self.streams.create_mapping(p)
        if ":kinesis:" in source:
            raise invalid_parameter("minilambda does not simulate Kinesis; use SQS or DynamoDB Streams.")
        if ":sqs:" not in source:
            raise invalid_parameter(
                f"minilambda supports SQS event source mappings only; {source!r} is not an SQS queue ARN.")
        sqs = self.sqs
        if sqs.get_queue_by_arn(source) is None:
            raise invalid_parameter(f"Error occurred while ReceiveMessage. SQS Error Code: "
                                    f"AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue "
                                    f"does not exist for this wsdl version. ({source})")
        fname, q = reg.parse_name(p["FunctionName"])
        if fname not in reg.functions:
            raise not_found(f"Function not found: {reg.function_arn(fname, q)}")
        batch = int(p.get("BatchSize", 10))
        window = int(p.get("MaximumBatchingWindowInSeconds", 0))
        self._check_batch(batch, window)
        types = list(p.get("FunctionResponseTypes") or [])
        if any(t != "ReportBatchItemFailures" for t in types):
            raise validation_error("1 validation error detected: Value at 'functionResponseTypes' failed to satisfy "
                                   "constraint: Member must satisfy enum value set: [ReportBatchItemFailures]")
        scaling = (p.get("ScalingConfig") or {}).get("MaximumConcurrency")
        if scaling is not None and not 2 <= scaling <= 1000:
            raise validation_error(
                f"1 validation error detected: Value '{scaling}' at 'scalingConfig.maximumConcurrency' failed to "
                "satisfy constraint: Member must have value between 2 and 1000")
        m = EventSourceMapping(new_uuid(self.rng), fname, q, source, batch,
                               window, p.get("Enabled", True), types, scaling, self.backend.clock.now())
        self.mappings[m.uuid] = m
        shape = self._mapping_shape(m)
        m.state = "Enabled" if m.enabled else "Disabled"
        sqs.on_message(lambda arn, _m=m: self._wake(_m, arn))
        self._schedule(m, self.backend.clock.now())
        return shape

    def _get_mapping(self, uid: str) -> EventSourceMapping:
        m = self.mappings.get(uid)
        if m is None:
            raise not_found("The resource you requested does not exist.")
        return m

    def _stream_owns(self, uid: str) -> bool:
        return self.streams is not None and self.streams.owns(uid)

    def get_mapping(self, uid: str) -> dict[str, Any]:
        if self._stream_owns(uid):
            return self.streams.get_mapping(uid)
        return self._mapping_shape(self._get_mapping(uid))

    def list_mappings(self, fname: str | None, source: str | None) -> dict[str, Any]:
        items = [self._mapping_shape(m) for m in self.mappings.values()
                 if (not fname or self.backend.registry.parse_name(fname)[0] == m.function_name)
                 and (not source or source == m.source_arn)]
        if self.streams is not None:
            items += self.streams.list_mappings(fname, source)
        return {"EventSourceMappings": items}

    def update_mapping(self, uid: str, p: dict[str, Any]) -> dict[str, Any]:
        if self._stream_owns(uid):
            return self.streams.update_mapping(uid, p)
        m = self._get_mapping(uid)
        batch = int(p.get("BatchSize", m.batch_size))
        window = int(p.get("MaximumBatchingWindowInSeconds", m.window))
        self._check_batch(batch, window)
        m.batch_size, m.window = batch, window
        if "Enabled" in p:
            m.enabled = bool(p["Enabled"])
            m.state = "Enabled" if m.enabled else "Disabled"
        if "FunctionResponseTypes" in p:
            m.response_types = list(p["FunctionResponseTypes"])
        if "ScalingConfig" in p:
            m.max_concurrency = (p["ScalingConfig"] or {}).get("MaximumConcurrency")
        m.last_modified = self.backend.clock.now()
        self._schedule(m, self.backend.clock.now())
        return self._mapping_shape(m)

    def delete_mapping(self, uid: str) -> dict[str, Any]:
        if self._stream_owns(uid):
            return self.streams.delete_mapping(uid)
        m = self._get_mapping(uid)
        shape = self._mapping_shape(m)
        shape["State"] = "Deleting"
        m.enabled = False
        if m.timer is not None:
            m.timer.cancel()
        del self.mappings[uid]
        return shape

    def _wake(self, m: EventSourceMapping, arn: str) -> None:
        if arn == m.source_arn and m.enabled and m.uuid in self.mappings:
            self._schedule(m, self.backend.clock.now() + m.window)

    def _schedule(self, m: EventSourceMapping, when: float) -> None:
        if not m.enabled:
            return
        if m.timer is not None and not m.timer.cancelled and m.timer.when <= when:
            return
        if m.timer is not None:
            m.timer.cancel()
        m.timer = self.backend.clock.call_at(when, self._poll, m)

    def _poll(self, m: EventSourceMapping) -> None:
        """Take one batch from the queue and run the function on it; then plan the next poll."""
        m.timer = None
        backend = self.backend
        if not m.enabled or m.uuid not in self.mappings:
            return
        now = backend.clock.now()
        m.in_flight = [t for t in m.in_flight if t > now]
        if m.busy_since is None:
            m.busy_since = now
        ramp = SQS_INITIAL_BATCHES + int(SQS_BATCHES_PER_MINUTE * (now - m.busy_since) / 60.0)
        limit = min(m.max_concurrency or SQS_MAX_BATCHES, ramp, SQS_MAX_BATCHES)
        if len(m.in_flight) >= limit:
            self._schedule(m, min(m.in_flight))
            return
        sqs = self.sqs
        batch = sqs.receive_batch(m.source_arn, m.batch_size)
        if not batch:
            if not m.in_flight:
                m.busy_since = None  # the queue is drained: the next burst starts the ramp again
            nxt = sqs.next_visible_at(m.source_arn)
            if nxt is not None:
                self._schedule(m, max(nxt, now))
            return
        fn = backend.registry.functions.get(m.function_name)
        if fn is None:
            return
        event = {"Records": [msg.to_lambda_record() for msg in batch]}
        request_id = new_uuid()
        fv = backend.target_version(fn, m.qualifier)
        rec = AsyncRecord(now, request_id, fn.name, "batch", len(batch), detail=f"{len(batch)} messages",
                          target=m.source_arn)
        backend.records.events.append(rec)
        try:
            out = backend.executor.execute(fn, fv, m.qualifier, json.dumps(event).encode(), advance_clock=False,
                                         trigger="sqs", request_id=request_id)
        except AwsError as exc:
            if exc.status != 429:
                raise
            # Throttled: the messages stay hidden until their visibility timeout ends.
            backend.records.events.append(AsyncRecord(now, request_id, fn.name, "throttled", detail="batch"))
            self._schedule(m, now + 1.0)
            return
        m.in_flight.append(out.record.end)
        failed = self._failed_ids(m, out, batch)
        for msg in batch:
            if msg.message_id not in failed:
                sqs.delete(m.source_arn, msg.receipt_handle)
        step = "success" if not failed else ("partial-failure" if len(failed) < len(batch) else "batch-failure")
        backend.records.events.append(AsyncRecord(out.record.end, request_id, fn.name, step,
                                                detail=f"{len(batch) - len(failed)} deleted, {len(failed)} returned"))
        self._schedule(m, now)

    @staticmethod
    def _failed_ids(m: EventSourceMapping, out: Any, batch: list[Any]) -> set[str]:
        """Which messages of a batch failed (AWS's partial batch response rules)."""
        ids = {msg.message_id for msg in batch}
        if out.record.outcome is not Outcome.SUCCESS:
            return ids
        if "ReportBatchItemFailures" not in m.response_types:
            return set()
        try:
            body = json.loads(out.payload) if out.payload else None
        except ValueError:
            return ids
        if body is None or body == {}:
            return set()
        if not isinstance(body, dict):
            return ids
        failures = body.get("batchItemFailures")
        if failures is None or failures == []:
            return set()
        failed: set[str] = set()
        for item in failures:
            ident = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not ident or ident not in ids:
                return ids  # malformed: the whole batch failed
            failed.add(ident)
        return failed


