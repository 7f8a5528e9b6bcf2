"""Triggers: asynchronous invocation (queue, retries, destinations, dead-letter queues) and
event source mappings (SQS), plus the wiring that lets S3, SNS and EventBridge invoke functions.

Every accepted asynchronous event ends as exactly one recorded outcome — ``success``,
``destination`` (OnFailure), ``dead-letter``, or ``dropped`` (only where AWS itself discards
it: no OnFailure destination and no dead-letter queue) — and each step is an ``AsyncRecord`` in
``cloud.records.events`` with its time, so the course can draw it.

AWS: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
Simplification: AWS retries function errors after "about" 1 and 2 minutes; here exactly 60 s and
120 s. Throttled events are retried with exponential back-off from 1 s to 5 minutes. Duplicate
deliveries, which AWS may make, are not injected.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import AwsError, invalid_parameter, not_found, validation_error
from .records import Outcome
from .service import Request, Response

if TYPE_CHECKING:  # pragma: no cover
    from .cloud import Cloud
    from .functions import Function

RETRY_DELAYS = (60.0, 120.0)  # before the 2nd and the 3rd attempt
# SQS pollers: 5 concurrent batches at first, up to 300 more per minute, at most 1,000 per mapping.
# AWS: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
SQS_INITIAL_BATCHES, SQS_BATCHES_PER_MINUTE, SQS_MAX_BATCHES = 5, 300, 1000
THROTTLE_BACKOFF_MAX = 300.0
DEFAULT_MAX_AGE = 21_600
DESTINATION_PATTERN = (r"$|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:"
                       r"((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)")


@dataclass(frozen=True, slots=True)
class AsyncRecord:
    """One step in the life of an asynchronous event (or an event-source batch)."""

    time: float
    request_id: str
    function_name: str
    step: str  # accepted | attempt | throttled | retry-scheduled | success | destination | dead-letter | dropped | delivery
    attempt: int = 0
    detail: str = ""
    target: str | None = None


TERMINAL_STEPS = ("success", "destination", "dead-letter", "dropped")


@dataclass
class AsyncEvent:
    request_id: str
    function: "Function"
    qualifier: str | None
    payload: bytes
    accepted_at: float
    attempts: int = 0
    throttles: int = 0


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


def _iso(t: float) -> str:
    d = _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


class Triggers:
    """The asynchronous queue and event source mappings of one Cloud."""

    def __init__(self, cloud: "Cloud") -> None:
        self.cloud = cloud
        self.rng = random.Random(cloud.rng.randrange(2**32))
        self.mappings: dict[str, EventSourceMapping] = {}
        self._lock = threading.RLock()

    # -- records -----------------------------------------------------------------------------

    def _record(self, ev: AsyncEvent | None, step: str, *, request_id: str | None = None, function: str = "",
                detail: str = "", target: str | None = None) -> None:
        rec = AsyncRecord(self.cloud.clock.now(), ev.request_id if ev else (request_id or ""),
                          ev.function.name if ev else function, step, ev.attempts if ev else 0, detail, target)
        self.cloud.records.events.append(rec)

    # -- the asynchronous queue --------------------------------------------------------------

    def accept(self, fn: "Function", qualifier: str | None, payload: bytes, *, caller: str = "client",
               request_id: str | None = None) -> str:
        """Queue an event (``InvocationType="Event"``); it runs when the clock reaches it."""
        ev = AsyncEvent(request_id or str(uuid.uuid4()), fn, qualifier, payload, self.cloud.clock.now())
        self._record(ev, "accepted", detail=caller)
        self.cloud.clock.call_at(ev.accepted_at, self._run, ev)
        return ev.request_id

    def _config(self, ev: AsyncEvent) -> dict[str, Any]:
        fn = ev.function
        key = ev.qualifier or "$LATEST"
        return fn.event_invoke_configs.get(key, {})

    def _run(self, ev: AsyncEvent) -> None:
        if self.cloud.clock.virtual:
            self._attempt(ev)
        else:  # on the wall clock, attempts run side by side, as AWS's pollers do
            threading.Thread(target=self._attempt, args=(ev,), daemon=True, name="minilambda-async").start()

    def _attempt(self, ev: AsyncEvent) -> None:
        cloud = self.cloud
        fn = ev.function
        if fn.name not in cloud.registry.functions:
            self._record(ev, "dropped", detail="function deleted")
            return
        config = self._config(ev)
        max_age = config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE)
        now = cloud.clock.now()
        if fn.reserved == 0:
            self._fail(ev, "ZeroReservedConcurrency", None, "Function has reserved concurrency 0")
            return
        if now - ev.accepted_at > max_age:
            self._fail(ev, "EventAgeExceeded", None, "event too old")
            return
        fv = fn.get_version(ev.qualifier) if ev.qualifier and ev.qualifier != "$LATEST" else None
        if fv is None and ev.qualifier and ev.qualifier in fn.aliases:
            fv = fn.get_version(fn.aliases[ev.qualifier].function_version)
        fv = cloud.route_alias(fn, fv or fn.latest, ev.qualifier)
        ev.attempts += 1
        self._record(ev, "attempt")
        try:
            out = cloud.executor.execute(fn, fv, ev.qualifier, ev.payload, invocation_type="Event",
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
            cloud.clock.call_at(now + delay, self._run, ev)
            return
        end = out.record.end
        if out.function_error is None:
            self._record(ev, "success")
            dest = (config.get("DestinationConfig") or {}).get("OnSuccess", {}).get("Destination")
            if dest:
                self._deliver(dest, self._destination_record(ev, "Success", out), ev, end)
            return
        retries = config.get("MaximumRetryAttempts", 2)
        if ev.attempts <= retries:
            delay = RETRY_DELAYS[min(ev.attempts - 1, len(RETRY_DELAYS) - 1)]
            if end + delay - ev.accepted_at > max_age:
                self._fail(ev, "EventAgeExceeded", out, "the next retry would exceed MaximumEventAgeInSeconds")
                return
            self._record(ev, "retry-scheduled", detail=f"in {delay:.0f} s")
            cloud.clock.call_at(end + delay, self._run, ev)
            return
        self._fail(ev, "RetriesExhausted", out, out.record.error_type or "")

    def _destination_record(self, ev: AsyncEvent, condition: str, out: Any) -> dict[str, Any]:
        cloud = self.cloud
        rec: dict[str, Any] = {
            "version": "1.0",
            "timestamp": _iso(cloud.clock.now()),
            "requestContext": {
                "requestId": ev.request_id,
                "functionArn": cloud.registry.function_arn(ev.function.name, ev.qualifier or "$LATEST"),
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
        when = out.record.end if out is not None else self.cloud.clock.now()
        if not on_failure and not dlq:
            self._record(ev, "dropped", detail=f"{condition}: {reason}")
            return
        if on_failure:
            self._record(ev, "destination", detail=condition, target=on_failure)
            self._deliver(on_failure, self._destination_record(ev, condition, out), ev, when)
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

    def _deliver(self, target: str, record: dict[str, Any], ev: AsyncEvent, when: float) -> None:
        body = json.dumps(record)
        self._send(target, body, None, ev)

    def _send(self, target: str, body: str, attrs: dict[str, Any] | None, ev: AsyncEvent) -> None:
        """Deliver *body* to a queue, topic or function ARN."""
        cloud = self.cloud
        service = target.split(":")[2] if target.count(":") >= 5 else ""
        if service == "sqs":
            cloud.service("sqs").send(target, body, attrs)
        elif service == "sns":
            cloud.service("sns").publish_raw(target, body)
        elif service == "lambda":
            name, q = cloud.registry.parse_name(target)
            fn = cloud.registry.functions.get(name)
            if fn is None:
                self._record(ev, "dropped", detail=f"destination function {name} no longer exists", target=target)
                return
            self.accept(fn, q, body.encode(), caller="destination")
        elif service == "events" and hasattr(cloud._services.get("events"), "put_event"):
            cloud.service("events").put_event(target, "lambda", "Lambda Function Invocation Result", body)
        else:
            self._record(ev, "dropped", detail=f"unsupported destination {target}", target=target)
            return
        self._record(ev, "delivery", target=target)

    # -- event invoke config API -------------------------------------------------------------

    def register_routes(self, api: Any) -> None:
        base = r"/2019-09-25/functions/(?P<name>[^/]+)/event-invoke-config"
        api.route("PUT", base, lambda req, name: self.put_config(req, name, merge=False))
        api.route("POST", base, lambda req, name: self.put_config(req, name, merge=True))
        api.route("GET", base, self.get_config)
        api.route("DELETE", base, self.delete_config)
        api.route("GET", base + "/list", self.list_configs)
        api.route("POST", r"/2015-03-31/event-source-mappings/?", self.create_mapping)
        api.route("GET", r"/2015-03-31/event-source-mappings/?", self.list_mappings)
        api.route("GET", r"/2015-03-31/event-source-mappings/(?P<uid>[^/]+)", self.get_mapping)
        api.route("PUT", r"/2015-03-31/event-source-mappings/(?P<uid>[^/]+)", self.update_mapping)
        api.route("DELETE", r"/2015-03-31/event-source-mappings/(?P<uid>[^/]+)", self.delete_mapping)

    def _config_target(self, req: Request, name: str) -> tuple["Function", str]:
        reg = self.cloud.registry
        fname, q = reg.parse_name(name, req.q("Qualifier"))
        fn = reg.functions.get(fname)
        if fn is None or (q not in (None, "$LATEST") and fn.get_version(q) is None and q not in fn.aliases):
            raise AwsError("ResourceNotFoundException", "The function doesn't exist.", 404, message_key="Message")
        return fn, q or "$LATEST"

    def _validate_destination(self, fn: "Function", which: str, arn: str | None) -> None:
        if arn is None or arn == "":
            return
        if not re.fullmatch(DESTINATION_PATTERN, arn):
            raise validation_error(
                f"1 validation error detected: Value '{arn}' at 'destinationConfig.{which}.destination' failed to "
                f"satisfy constraint: Member must satisfy regular expression pattern: {DESTINATION_PATTERN}")
        service = arn.split(":")[2]
        reg = self.cloud.registry
        if service == "lambda":
            name, _ = reg.parse_name(arn)
            if name == fn.name:
                raise invalid_parameter("You can't specify the function as a destination for itself.")
            if name not in reg.functions:
                raise invalid_parameter(f"The destination ARN {arn} is invalid.")
        elif service not in ("sqs", "sns", "events", "s3"):
            cfg = "onSuccess=OnSuccess(destination={})".format(arn) if which == "onSuccess" else "onSuccess=null"
            fail = "onFailure=OnFailure(destination={})".format(arn) if which == "onFailure" else "onFailure=null"
            raise invalid_parameter(f"The provided destination config DestinationConfig({cfg}, {fail}) is invalid.")

    def put_config(self, req: Request, name: str, *, merge: bool) -> Response:
        params = req.json()
        settings = {k: params[k] for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
                    if k in params}
        if not settings:
            raise invalid_parameter("You must specify at least one of error handling or destination setting.")
        fn, q = self._config_target(req, name)
        if "MaximumRetryAttempts" in settings and not 0 <= settings["MaximumRetryAttempts"] <= 2:
            raise validation_error(
                f"1 validation error detected: Value '{settings['MaximumRetryAttempts']}' at 'maximumRetryAttempts' "
                "failed to satisfy constraint: Member must have value less than or equal to 2")
        age = settings.get("MaximumEventAgeInSeconds")
        if age is not None and not 60 <= age <= 21600:
            bound = "less than or equal to 21600" if age > 21600 else "greater than or equal to 60"
            raise validation_error(
                f"1 validation error detected: Value '{age}' at 'maximumEventAgeInSeconds' failed to satisfy "
                f"constraint: Member must have value {bound}")
        dest = settings.get("DestinationConfig") or {}
        for which, key in (("onSuccess", "OnSuccess"), ("onFailure", "OnFailure")):
            self._validate_destination(fn, which, (dest.get(key) or {}).get("Destination"))
        current = fn.event_invoke_configs.get(q, {}) if merge else {}
        config = {**current, **settings}
        if "DestinationConfig" in settings and merge:
            config["DestinationConfig"] = {**current.get("DestinationConfig", {}), **settings["DestinationConfig"]}
        config["LastModified"] = self.cloud.clock.now()
        fn.event_invoke_configs[q] = config
        return Response.json(self._config_shape(fn, q, config))

    def _config_shape(self, fn: "Function", q: str, config: dict[str, Any]) -> dict[str, Any]:
        dest = config.get("DestinationConfig") or {}
        out: dict[str, Any] = {
            "DestinationConfig": {"OnFailure": dict(dest.get("OnFailure") or {}),
                                  "OnSuccess": dict(dest.get("OnSuccess") or {})},
            "FunctionArn": self.cloud.registry.function_arn(fn.name, q),
            "LastModified": config["LastModified"],
        }
        for k in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts"):
            if k in config:
                out[k] = config[k]
        return out

    def get_config(self, req: Request, name: str) -> Response:
        reg = self.cloud.registry
        fname, q = reg.parse_name(name, req.q("Qualifier"))
        fn = reg.functions.get(fname)
        q = q or "$LATEST"
        if fn is None or q not in fn.event_invoke_configs:
            raise not_found(f"The function {reg.function_arn(fname, q)} doesn't have an EventInvokeConfig")
        return Response.json(self._config_shape(fn, q, fn.event_invoke_configs[q]))

    def delete_config(self, req: Request, name: str) -> Response:
        reg = self.cloud.registry
        fname, q = reg.parse_name(name, req.q("Qualifier"))
        fn = reg.functions.get(fname)
        q = q or "$LATEST"
        if fn is None or fn.event_invoke_configs.pop(q, None) is None:
            raise not_found(f"The function {reg.function_arn(fname, q)} doesn't have an EventInvokeConfig")
        return Response(204, {"Content-Type": "application/json"}, b"")

    def list_configs(self, req: Request, name: str) -> Response:
        fn, _ = self._config_target(req, name)
        items = [self._config_shape(fn, q, c) for q, c in fn.event_invoke_configs.items()]
        return Response.json({"FunctionEventInvokeConfigs": items})

    # -- event source mappings (SQS) ---------------------------------------------------------

    def _mapping_shape(self, m: EventSourceMapping) -> dict[str, Any]:
        reg = self.cloud.registry
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

    def create_mapping(self, req: Request) -> Response:
        p = req.json()
        reg = self.cloud.registry
        source = p.get("EventSourceArn", "")
        if ":sqs:" not in source:
            raise invalid_parameter(
                f"minilambda supports SQS event source mappings only; {source!r} is not an SQS queue ARN.")
        sqs = self.cloud.service("sqs")
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
        m = EventSourceMapping(str(uuid.UUID(int=self.rng.getrandbits(128), version=4)), fname, q, source, batch,
                               window, p.get("Enabled", True), types, scaling, self.cloud.clock.now())
        self.mappings[m.uuid] = m
        shape = self._mapping_shape(m)
        m.state = "Enabled" if m.enabled else "Disabled"
        sqs.on_message(lambda arn, _m=m: self._wake(_m, arn))
        self._schedule(m, self.cloud.clock.now())
        return Response.json(shape, 202)

    def _get_mapping(self, uid: str) -> EventSourceMapping:
        m = self.mappings.get(uid)
        if m is None:
            raise not_found("The resource you requested does not exist.")
        return m

    def get_mapping(self, req: Request, uid: str) -> Response:
        return Response.json(self._mapping_shape(self._get_mapping(uid)))

    def list_mappings(self, req: Request) -> Response:
        fname = req.q("FunctionName")
        source = req.q("EventSourceArn")
        items = [self._mapping_shape(m) for m in self.mappings.values()
                 if (not fname or self.cloud.registry.parse_name(fname)[0] == m.function_name)
                 and (not source or source == m.source_arn)]
        return Response.json({"EventSourceMappings": items})

    def update_mapping(self, req: Request, uid: str) -> Response:
        m = self._get_mapping(uid)
        p = req.json()
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
        m.last_modified = self.cloud.clock.now()
        self._schedule(m, self.cloud.clock.now())
        return Response.json(self._mapping_shape(m), 202)

    def delete_mapping(self, req: Request, uid: str) -> Response:
        m = self._get_mapping(uid)
        shape = self._mapping_shape(m)
        shape["State"] = "Deleting"
        m.enabled = False
        if m.timer is not None:
            m.timer.cancel()
        del self.mappings[uid]
        return Response.json(shape, 202)

    def _wake(self, m: EventSourceMapping, arn: str) -> None:
        if arn == m.source_arn and m.enabled and m.uuid in self.mappings:
            self._schedule(m, self.cloud.clock.now() + m.window)

    def _schedule(self, m: EventSourceMapping, when: float) -> None:
        if not m.enabled:
            return
        if m.timer is not None and not m.timer.cancelled and m.timer.when <= when:
            return
        if m.timer is not None:
            m.timer.cancel()
        m.timer = self.cloud.clock.call_at(when, self._poll, m)

    def _poll(self, m: EventSourceMapping) -> None:
        """Take one batch from the queue and run the function on it; then plan the next poll."""
        m.timer = None
        cloud = self.cloud
        if not m.enabled or m.uuid not in self.mappings:
            return
        now = cloud.clock.now()
        m.in_flight = [t for t in m.in_flight if t > now]
        if m.busy_since is None:
            m.busy_since = now
        ramp = SQS_INITIAL_BATCHES + int(SQS_BATCHES_PER_MINUTE * (now - m.busy_since) / 60.0)
        limit = min(m.max_concurrency or SQS_MAX_BATCHES, ramp, SQS_MAX_BATCHES)
        if len(m.in_flight) >= limit:
            self._schedule(m, min(m.in_flight))
            return
        sqs = cloud.service("sqs")
        batch = sqs.receive_batch(m.source_arn, m.batch_size)
        if not batch:
            if not m.in_flight:
                m.busy_since = None  # the queue is drained: the next burst starts the ramp again
            nxt = sqs.next_visible_at(m.source_arn)
            if nxt is not None:
                self._schedule(m, max(nxt, now))
            return
        fn = cloud.registry.functions.get(m.function_name)
        if fn is None:
            return
        event = {"Records": [msg.to_lambda_record() for msg in batch]}
        request_id = str(uuid.uuid4())
        fv = fn.get_version(m.qualifier) if m.qualifier and m.qualifier not in fn.aliases else None
        if fv is None and m.qualifier in fn.aliases:
            fv = fn.get_version(fn.aliases[m.qualifier].function_version)
        fv = cloud.route_alias(fn, fv or fn.latest, m.qualifier)
        rec = AsyncRecord(now, request_id, fn.name, "batch", len(batch), detail=f"{len(batch)} messages",
                          target=m.source_arn)
        cloud.records.events.append(rec)
        try:
            out = cloud.executor.execute(fn, fv, m.qualifier, json.dumps(event).encode(), advance_clock=False,
                                         trigger="sqs", request_id=request_id)
        except AwsError as exc:
            if exc.status != 429:
                raise
            # Throttled: the messages stay hidden until their visibility timeout ends.
            cloud.records.events.append(AsyncRecord(now, request_id, fn.name, "throttled", detail="batch"))
            self._schedule(m, now + 1.0)
            return
        m.in_flight.append(out.record.end)
        failed = self._failed_ids(m, out, batch)
        for msg in batch:
            if msg.message_id not in failed:
                sqs.delete(m.source_arn, msg.receipt_handle)
        step = "success" if not failed else ("partial-failure" if len(failed) < len(batch) else "batch-failure")
        cloud.records.events.append(AsyncRecord(out.record.end, request_id, fn.name, step,
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


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return data.decode(errors="replace")


def install(cloud: "Cloud") -> None:
    """Attach SQS, SNS, S3 and EventBridge to a Cloud, and the Lambda triggers that use them.

    Each service gets its own generator seeded from the Cloud's, so ids are reproducible and
    never repeat across services.
    """
    from .services.events import EventBridgeService
    from .services.s3 import S3Service
    from .services.sns import SnsService
    from .services.sqs import SqsService

    triggers = Triggers(cloud)
    cloud.triggers = triggers

    def notify(target_arn: str, event: dict[str, Any]) -> None:
        """An AWS service invokes a function (asynchronously) or forwards to a queue."""
        service = target_arn.split(":")[2]
        if service == "lambda":
            name, q = cloud.registry.parse_name(target_arn)
            fn = cloud.registry.functions.get(name)
            if fn is None:
                cloud.records.events.append(AsyncRecord(cloud.clock.now(), "", name, "dropped",
                                                        detail="notification for a missing function"))
                return
            triggers.accept(fn, q, json.dumps(event).encode(), caller=event.get("source", "service")
                            if isinstance(event, dict) else "service")
        elif service == "sqs":
            cloud.service("sqs").send(target_arn, json.dumps(event))

    def rng() -> random.Random:
        return random.Random(cloud.rng.randrange(2**32))

    where = (cloud.clock, cloud.region, cloud.account_id)
    sqs = SqsService(*where, rng=rng())
    sns = SnsService(*where, rng=rng(), notify=notify, sqs=sqs)
    s3 = S3Service(*where, rng=rng(), notify=notify, sqs=sqs, sns=sns)
    events = EventBridgeService(*where, rng=rng(), notify=notify, sqs=sqs, sns=sns)
    for service in (sqs, sns, s3, events):
        cloud.add_service(service.name, service)
    cloud.lambda_extensions.append(triggers.register_routes)
