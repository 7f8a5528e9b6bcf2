"""The asynchronous queue: ``InvocationType="Event"`` and service notifications, with retries,
destinations and dead-letter queues.

Every accepted asynchronous event ends as exactly one recorded outcome — ``success``,
``destination`` (OnFailure), ``dead-letter``, or ``dropped`` (where AWS itself discards it: no
OnFailure destination and no dead-letter queue, or a target that no longer exists) — and each step
is an ``AsyncRecord`` in ``cloud.records.events`` with its time, so the course can draw it.

AWS: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
Simplification: AWS retries function errors after "about" 1 and 2 minutes; here exactly 60 s and
120 s. Throttled events are retried with exponential back-off from 1 s to 5 minutes. Duplicate
deliveries, which AWS may make, are not injected.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from ..clock import Clock
from ..delivery import Deliveries
from ..errors import AwsError
from ..isotime import iso_millis
from ..records import AsyncRecord, RecordLog
from .registry import Function, Registry

RETRY_DELAYS = (60.0, 120.0)  # before the 2nd and the 3rd attempt
THROTTLE_BACKOFF_MAX = 300.0
DEFAULT_MAX_AGE = 21_600


@dataclass
class AsyncEvent:
    request_id: str
    function: "Function"
    qualifier: str | None
    payload: bytes
    accepted_at: float
    attempts: int = 0
    throttles: int = 0


class AsyncQueue:
    """The asynchronous event queue of one Lambda backend: attempts run when the clock reaches them."""

    def __init__(self, backend: Any, *, clock: Clock, records: RecordLog, registry: Registry,
                 deliveries: Deliveries) -> None:
        self.backend = backend  # the LambdaBackend: resolves targets and executes attempts
        self.clock = clock
        self.records = records
        self.registry = registry
        self.deliveries = deliveries

    # -- records -----------------------------------------------------------------------------

    def _record(self, ev: AsyncEvent | None, step: str, *, request_id: str | None = None, function: str = "",
                detail: str = "", target: str | None = None) -> None:
        rec = AsyncRecord(self.clock.now(), ev.request_id if ev else (request_id or ""),
                          ev.function.name if ev else function, step, ev.attempts if ev else 0, detail, target)
        self.records.events.append(rec)

    # -- the asynchronous queue --------------------------------------------------------------

    def accept(self, fn: "Function", qualifier: str | None, payload: bytes, *, caller: str = "client",
               request_id: str | None = None) -> str:
        """Queue an event (``InvocationType="Event"``); it runs when the clock reaches it."""
        ev = AsyncEvent(request_id or str(uuid.uuid4()), fn, qualifier, payload, self.clock.now())
        self._record(ev, "accepted", detail=caller)
        self.clock.call_at(ev.accepted_at, self._run, ev)
        return ev.request_id

    def _config(self, ev: AsyncEvent) -> dict[str, Any]:
        fn = ev.function
        key = ev.qualifier or "$LATEST"
        return fn.event_invoke_configs.get(key, {})

    def _run(self, ev: AsyncEvent) -> None:
        if self.clock.virtual:
            self._attempt(ev)
        else:  # on the wall clock, attempts run side by side, as AWS's pollers do
            threading.Thread(target=self._attempt, args=(ev,), daemon=True, name="minilambda-async").start()

    def _attempt(self, ev: AsyncEvent) -> None:
        fn = ev.function
        if fn.name not in self.registry.functions:
            self._record(ev, "dropped", detail="function deleted")
            return
        config = self._config(ev)
        max_age = config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE)
        now = self.clock.now()
        if self.backend.reserved(fn.name) == 0:
            self._fail(ev, "ZeroReservedConcurrency", None, "Function has reserved concurrency 0")
            return
        if now - ev.accepted_at > max_age:
            self._fail(ev, "EventAgeExceeded", None, "event too old")
            return
        fv = self.backend.target_version(fn, ev.qualifier)
        ev.attempts += 1
        self._record(ev, "attempt")
        try:
            out = self.backend.executor.execute(fn, fv, ev.qualifier, ev.payload, invocation_type="Event",
                                         advance_clock=False, trigger="async", request_id=ev.request_id)
        except AwsError as exc:
            if exc.status != 429:
                raise
            ev.attempts -= 1
            ev.throttles += 1
            delay = min(THROTTLE_BACKOFF_MAX, 2.0 ** (ev.throttles - 1))
            if now + delay - ev.accepted_at > max_age:
                self._fail(ev, "EventAgeExceeded", None, "throttled until the event was too old")
                return
            self._record(ev, "throttled", detail=exc.extra.get("Reason", ""))
            self.clock.call_at(now + delay, self._run, ev)
            return
        end = out.record.end
        if out.function_error is None:
            self._record(ev, "success")
            dest = (config.get("DestinationConfig") or {}).get("OnSuccess", {}).get("Destination")
            if dest:
                self._send(dest, json.dumps(self._destination_record(ev, "Success", out)), None, ev)
            return
        retries = config.get("MaximumRetryAttempts", 2)
        if ev.attempts <= retries:
            delay = RETRY_DELAYS[min(ev.attempts - 1, len(RETRY_DELAYS) - 1)]
            if end + delay - ev.accepted_at > max_age:
                self._fail(ev, "EventAgeExceeded", out, "the next retry would exceed MaximumEventAgeInSeconds")
                return
            self._record(ev, "retry-scheduled", detail=f"in {delay:.0f} s")
            self.clock.call_at(end + delay, self._run, ev)
            return
        self._fail(ev, "RetriesExhausted", out, out.record.error_type or "")

    def _destination_record(self, ev: AsyncEvent, condition: str, out: Any) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "version": "1.0",
            "timestamp": iso_millis(self.clock.now()),
            "requestContext": {
                "requestId": ev.request_id,
                "functionArn": self.registry.function_arn(ev.function.name, ev.qualifier or "$LATEST"),
                "condition": condition,
                "approximateInvokeCount": ev.attempts,
            },
            "requestPayload": _json_or_text(ev.payload),
        }
        if out is not None:
            ctx: dict[str, Any] = {"statusCode": 200, "executedVersion": out.executed_version}
            if out.function_error:
                ctx["functionError"] = out.function_error
            rec["responseContext"] = ctx
            rec["responsePayload"] = _json_or_text(out.payload)
        return rec

    def _fail(self, ev: AsyncEvent, condition: str, out: Any, reason: str) -> None:
        fn = ev.function
        config = self._config(ev)
        on_failure = (config.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
        dlq = fn.latest.config.get("DeadLetterConfig", {}).get("TargetArn")
        if not on_failure and not dlq:
            self._record(ev, "dropped", detail=f"{condition}: {reason}")
            return
        if on_failure:
            self._record(ev, "destination", detail=condition, target=on_failure)
            self._send(on_failure, json.dumps(self._destination_record(ev, condition, out)), None, ev)
        else:
            self._record(ev, "dead-letter", detail=condition, target=dlq)
        if dlq:
            message = ""
            if out is not None:
                try:
                    message = json.loads(out.payload).get("errorMessage", "")
                except (ValueError, AttributeError):
                    message = out.payload.decode(errors="replace")
            attrs = {"RequestID": {"DataType": "String", "StringValue": ev.request_id},
                     "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                     "ErrorMessage": {"DataType": "String", "StringValue": message[:1024] or condition}}
            self._send(dlq, ev.payload.decode(), attrs, ev)

    def _send(self, target: str, body: str, attrs: dict[str, Any] | None, ev: AsyncEvent) -> None:
        """Deliver *body* to a queue, topic, bus or function ARN; a failure is recorded as a drop."""
        reason = self.deliveries.send(target, body, attributes=attrs, source="destination")
        if reason is None:
            self._record(ev, "delivery", target=target)
        else:
            self._record(ev, "dropped", detail=reason, target=target)


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return data.decode(errors="replace")


