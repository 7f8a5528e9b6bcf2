"""Amazon SQS standard queues, AWS JSON 1.0 protocol (``X-Amz-Target: AmazonSQS.<Operation>``).

Time comes from the clock and is evaluated lazily: a received message is hidden until
``now + VisibilityTimeout``, a delayed one until ``sent + DelaySeconds``, and old messages vanish
after ``MessageRetentionPeriod``; nothing needs a timer. A queue with a ``RedrivePolicy`` moves a
message to its dead-letter queue when it would be received for the ``maxReceiveCount + 1``-th
time.

Errors follow SQS's JSON protocol with the ``awsQueryCompatible`` trait: the body's ``__type`` is
``com.amazonaws.sqs#<Shape>`` and the ``x-amzn-query-error`` header carries the old query code
(``AWS.SimpleQueueService.NonExistentQueue;Sender``), which is how botocore resolves
``sqs.exceptions.QueueDoesNotExist``.

Python API for the platform (the Lambda event-source-mapping poller)::

    q = sqs.get_queue_by_arn(arn)                       # Queue or None
    msgs = sqs.receive_batch(arn, 10, visibility_timeout=None)   # list[Message]
    msgs[0].to_lambda_record()                          # the SQS record of a Lambda event
    sqs.delete(arn, msgs[0].receipt_handle)
    sqs.make_visible(arn, msgs[1].receipt_handle)       # visible again now (or after delay=)
    sqs.send(arn, "body", attributes={"k": {"DataType": "String", "StringValue": "v"}})
    unsubscribe = sqs.on_message(lambda queue_arn: ...)  # called after each send (no lock held)
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import AwsError
from ..ids import new_uuid
from ..payloads import md5_of_message_attributes, sqs_record
from ._util import AccountService, next_token, token_position

# The maximum message size. AWS's limit was 256 KiB (262,144 bytes) until 2025; AWS raised it to
# 1 MiB (1,048,576 bytes) for SQS in 2025/26 (aws-facts §0). Pass max_message_bytes= to choose.
MAX_MESSAGE_BYTES = 262_144
MAX_MESSAGE_BYTES_2026 = 1_048_576

DEFAULT_SENDER_ID = "AIDAIENQZJOLO23YVJ4VO"

_ATTR_LIMITS = {
    "VisibilityTimeout": (0, 43_200, "30"),
    "MessageRetentionPeriod": (60, 1_209_600, "345600"),
    "DelaySeconds": (0, 900, "0"),
    "ReceiveMessageWaitTimeSeconds": (0, 20, "0"),
    "MaximumMessageSize": (1_024, MAX_MESSAGE_BYTES_2026, str(MAX_MESSAGE_BYTES)),
}
_SETTABLE = set(_ATTR_LIMITS) | {"RedrivePolicy", "Policy", "KmsMasterKeyId",
                                 "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled",
                                 "RedriveAllowPolicy"}
_VALID_BODY = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def _sqs_error(shape: str, message: str, query_code: str | None = None, status: int = 400) -> AwsError:
    """An SQS JSON error; *query_code* is the legacy code sent in ``x-amzn-query-error``."""
    code = query_code or shape
    return AwsError(f"com.amazonaws.sqs#{shape}", message, status, error_type=None,
                    headers={"x-amzn-query-error": f"{code};Sender"})


def _invalid_parameter(message: str) -> AwsError:
    return _sqs_error("InvalidParameterValue", message, "InvalidParameterValue")


def _no_queue() -> AwsError:
    return _sqs_error("QueueDoesNotExist", "The specified queue does not exist.",
                      "AWS.SimpleQueueService.NonExistentQueue")


@dataclass(eq=False)
class Message:
    """One message in a queue (internal; ``to_lambda_record`` gives AWS's event record)."""

    message_id: str
    body: str
    message_attributes: dict[str, dict[str, Any]]
    sent_at: float
    visible_at: float
    queue_arn: str
    sender_id: str = DEFAULT_SENDER_ID
    receive_count: int = 0
    first_receive_at: float | None = None
    receipt_handle: str | None = None
    system_attributes: dict[str, str] = field(default_factory=dict)

    @property
    def md5_of_body(self) -> str:
        return hashlib.md5(self.body.encode()).hexdigest()

    @property
    def md5_of_message_attributes(self) -> str | None:
        return md5_of_message_attributes(self.message_attributes)

    def attributes(self) -> dict[str, str]:
        """System attributes in AWS's order (as ReceiveMessage and the Lambda record show them)."""
        out = {
            "ApproximateReceiveCount": str(self.receive_count),
            "SentTimestamp": str(int(self.sent_at * 1000)),
            "SenderId": self.sender_id,
            "ApproximateFirstReceiveTimestamp": str(int((self.first_receive_at or self.sent_at) * 1000)),
        }
        out.update(self.system_attributes)
        return out

    def to_lambda_record(self) -> dict[str, Any]:
        """This message as a record of a Lambda SQS event (``events.sqs_record`` shape)."""
        return sqs_record(self.body, queue_arn=self.queue_arn, message_id=self.message_id,
                          receipt_handle=self.receipt_handle, receive_count=self.receive_count,
                          sent_timestamp=int(self.sent_at * 1000),
                          first_receive_timestamp=int((self.first_receive_at or self.sent_at) * 1000),
                          sender_id=self.sender_id, message_attributes=self.message_attributes,
                          extra_attributes=self.system_attributes or None)


@dataclass(eq=False)
class Queue:
    name: str
    url: str
    arn: str
    attributes: dict[str, str]
    created_at: float
    modified_at: float
    messages: dict[str, Message] = field(default_factory=dict)  # message id -> message, send order
    handles: dict[str, str] = field(default_factory=dict)  # receipt handle -> message id
    last_purge: float | None = None

    def attr(self, name: str) -> int:
        return int(self.attributes.get(name, _ATTR_LIMITS[name][2]))

    @property
    def redrive(self) -> dict[str, Any] | None:
        raw = self.attributes.get("RedrivePolicy")
        return json.loads(raw) if raw else None


class SqsBackend(AccountService):
    """SQS standard queues for one account and region: state and operations, no HTTP."""

    service_name = "sqs"

    def __init__(self, clock: Any, region: str = "us-east-1", account_id: str = "123456789012",
                 rng: random.Random | None = None, *, max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self._wire(clock, region, account_id, rng)
        self.max_message_bytes = max_message_bytes
        self._queues: dict[str, Queue] = {}  # name -> queue
        self._arrived = threading.Condition(self._lock)
        self._listeners: list[Callable[[str], Any]] = []

    # ------------------------------------------------------------------ helpers

    def _uuid(self) -> str:
        return new_uuid(self.rng)

    def queue_url(self, name: str) -> str:
        return f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{name}"

    def queue_arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account_id}:{name}"

    def _by_url(self, url: str | None) -> Queue:
        if not url:
            raise _sqs_error("MissingParameter", "The request must contain the parameter QueueUrl.",
                             "MissingParameter")
        name = url.rstrip("/").rsplit("/", 1)[-1]
        q = self._queues.get(name)
        if q is None:
            raise _no_queue()
        return q

    def _by_arn(self, arn: str) -> Queue:
        q = self._queues.get(arn.rsplit(":", 1)[-1])
        if q is None or q.arn != arn:
            raise _no_queue()
        return q

    def _expire(self, q: Queue, now: float) -> None:
        keep = q.attr("MessageRetentionPeriod")
        dead = [mid for mid, m in q.messages.items() if m.sent_at + keep <= now]
        for mid in dead:
            del q.messages[mid]

    def _validate_attributes(self, attrs: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in attrs.items():
            if k not in _SETTABLE:
                raise _sqs_error("InvalidAttributeName", f"Unknown Attribute {k}.", "InvalidAttributeName")
            v = str(v)
            if k in _ATTR_LIMITS:
                lo, hi, _ = _ATTR_LIMITS[k]
                if k == "MaximumMessageSize":
                    hi = self.max_message_bytes
                if not v.lstrip("-").isdigit() or not lo <= int(v) <= hi:
                    raise _sqs_error("InvalidAttributeValue", f"Invalid value for the parameter {k}.",
                                     "InvalidAttributeValue")
            if k == "RedrivePolicy" and v:
                try:
                    policy = json.loads(v)
                    target = policy["deadLetterTargetArn"]
                    count = int(policy["maxReceiveCount"])
                except (ValueError, KeyError, TypeError):
                    raise _invalid_parameter(f"Value {v} for parameter RedrivePolicy is invalid. Reason: "
                                             "Redrive policy is not a valid JSON map.") from None
                if not 1 <= count <= 1000:
                    raise _invalid_parameter(f"Value {v} for parameter RedrivePolicy is invalid. Reason: "
                                             "Invalid value for maxReceiveCount: "
                                             f"{policy['maxReceiveCount']}, valid values are from 1 to 1000 both inclusive.")
                dlq = self._queues.get(str(target).rsplit(":", 1)[-1])
                if dlq is None or dlq.arn != target:
                    raise _invalid_parameter(f"Value {v} for parameter RedrivePolicy is invalid. Reason: "
                                             "Dead letter target does not exist.")
            out[k] = v
        return out

    def _check_message(self, body: Any, attrs: dict[str, Any] | None, delay: Any) -> int:
        if body is None or body == "":
            raise _sqs_error("MissingParameter", "The request must contain the parameter MessageBody.",
                             "MissingParameter")
        if _VALID_BODY.search(body):
            raise _sqs_error("InvalidMessageContents", "Invalid characters found. Valid unicode "
                             "characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | "
                             "#x10000 to #x10FFFF", "InvalidMessageContents")
        size = len(body.encode())
        for name, a in (attrs or {}).items():
            size += len(name.encode()) + len(str(a.get("DataType", "")).encode())
            if a.get("StringValue") is not None:
                size += len(str(a["StringValue"]).encode())
            if a.get("BinaryValue") is not None:
                size += len(a["BinaryValue"])
        if size > self.max_message_bytes:
            raise _invalid_parameter("One or more parameters are invalid. Reason: Message must be "
                                     f"shorter than {self.max_message_bytes} bytes.")
        if delay is not None and not 0 <= int(delay) <= 900:
            raise _invalid_parameter(f"Value {delay} for parameter DelaySeconds is invalid. Reason: "
                                     "DelaySeconds must be >= 0 and <= 900.")
        return size

    def _enqueue(self, q: Queue, body: str, attrs: dict[str, Any] | None, delay: Any,
                 message_id: str | None = None, system: dict[str, str] | None = None) -> Message:
        now = self.clock.now()
        d = q.attr("DelaySeconds") if delay is None else int(delay)
        norm = {}
        for name, a in (attrs or {}).items():
            a = dict(a)
            if isinstance(a.get("BinaryValue"), str):
                a["BinaryValue"] = base64.b64decode(a["BinaryValue"])
            norm[name] = a
        m = Message(message_id or self._uuid(), body, norm, now, now + d, q.arn,
                    system_attributes=dict(system or {}))
        q.messages[m.message_id] = m
        return m

    def _notify(self, arn: str) -> None:
        for listener in list(self._listeners):
            listener(arn)

    def _receive(self, q: Queue, max_messages: int, visibility: int | None) -> list[Message]:
        now = self.clock.now()
        self._expire(q, now)
        vis = q.attr("VisibilityTimeout") if visibility is None else int(visibility)
        policy = q.redrive
        out: list[Message] = []
        for m in list(q.messages.values()):
            if len(out) >= max_messages:
                break
            if m.visible_at > now:
                continue
            if policy and m.receive_count >= int(policy["maxReceiveCount"]):
                dlq = self._queues.get(str(policy["deadLetterTargetArn"]).rsplit(":", 1)[-1])
                del q.messages[m.message_id]
                if dlq is not None:
                    m.queue_arn = dlq.arn
                    m.visible_at = now
                    m.receipt_handle = None
                    m.system_attributes["DeadLetterQueueSourceArn"] = q.arn
                    dlq.messages[m.message_id] = m
                continue
            m.receive_count += 1
            if m.first_receive_at is None:
                m.first_receive_at = now
            m.visible_at = now + vis
            raw = f"{m.message_id}:{q.arn}:{self.rng.getrandbits(64):016x}:{m.receive_count}".encode()
            m.receipt_handle = base64.b64encode(b"AQEB" + raw).decode()
            q.handles[m.receipt_handle] = m.message_id
            out.append(m)
        return out

    def _lookup_handle(self, q: Queue, handle: str | None) -> Message | None:
        """The message a receipt handle names (None if deleted); error if not a handle."""
        if not handle or handle not in q.handles:
            raise _sqs_error("ReceiptHandleIsInvalid",
                             f'The input receipt handle "{handle}" is not a valid receipt handle.',
                             "ReceiptHandleIsInvalid")
        return q.messages.get(q.handles[handle])

    # ------------------------------------------------------------------ Python API

    def get_queue_by_arn(self, arn: str) -> Queue | None:
        """The queue with this ARN, or None."""
        with self._lock:
            q = self._queues.get(arn.rsplit(":", 1)[-1])
            return q if q is not None and q.arn == arn else None

    def create(self, name: str, attributes: dict[str, str] | None = None) -> Queue:
        """Create (or return) a queue; same rules as CreateQueue."""
        self.CreateQueue({"QueueName": name, "Attributes": attributes or {}})
        return self._queues[name]

    def receive_batch(self, arn: str, max_messages: int = 10,
                      visibility_timeout: int | None = None) -> list[Message]:
        """Receive up to *max_messages* visible messages (no upper cap: a poller may take a
        larger batch), hiding them for *visibility_timeout* (default: the queue's)."""
        with self._lock:
            return self._receive(self._by_arn(arn), max_messages, visibility_timeout)

    def delete(self, arn: str, receipt_handle: str) -> bool:
        """Delete the message; False if it was already gone."""
        with self._lock:
            q = self._by_arn(arn)
            m = self._lookup_handle(q, receipt_handle)
            if m is None:
                return False
            del q.messages[m.message_id]
            return True

    def make_visible(self, arn: str, receipt_handle: str, delay: float = 0.0) -> bool:
        """Make a received message visible again after *delay* seconds (0: now)."""
        with self._lock:
            q = self._by_arn(arn)
            m = self._lookup_handle(q, receipt_handle)
            if m is None:
                return False
            m.visible_at = self.clock.now() + delay
        if delay <= 0:
            self._notify(arn)
        return True

    def send(self, arn: str, body: str, attributes: dict[str, dict[str, Any]] | None = None,
             delay_seconds: int | None = None) -> Message:
        """Send a message (the ``SendMessage`` rules apply: size, characters, delay)."""
        with self._lock:
            q = self._by_arn(arn)
            self._check_message(body, attributes, delay_seconds)
            m = self._enqueue(q, body, attributes, delay_seconds)
            self._arrived.notify_all()
        self._notify(arn)
        return m

    def next_visible_at(self, arn: str) -> float | None:
        """When the next hidden or delayed message becomes visible (None if none waiting)."""
        with self._lock:
            q = self._by_arn(arn)
            times = [m.visible_at for m in q.messages.values()]
            return min(times) if times else None

    def on_message(self, listener: Callable[[str], Any]) -> Callable[[], None]:
        """Call ``listener(queue_arn)`` after every send; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # ------------------------------------------------------------------ operations

    def CreateQueue(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p.get("QueueName", "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", name):
            raise _invalid_parameter("Can only include alphanumeric characters, hyphens, or "
                                     "underscores. 1 to 80 in length")
        with self._lock:
            attrs = self._validate_attributes(p.get("Attributes") or {})
            existing = self._queues.get(name)
            if existing is not None:
                for k, v in attrs.items():
                    current = existing.attributes.get(k, _ATTR_LIMITS[k][2] if k in _ATTR_LIMITS else None)
                    if current != v:
                        raise _sqs_error("QueueNameExists", "A queue already exists with the same name "
                                         f"and a different value for attribute {k}", "QueueAlreadyExists")
                return {"QueueUrl": existing.url}
            now = self.clock.now()
            self._queues[name] = Queue(name, self.queue_url(name), self.queue_arn(name), attrs, now, now)
            return {"QueueUrl": self.queue_url(name)}

    def GetQueueUrl(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            q = self._queues.get(p.get("QueueName", ""))
            if q is None:
                raise _no_queue()
            return {"QueueUrl": q.url}

    def ListQueues(self, p: dict[str, Any]) -> dict[str, Any]:
        prefix = p.get("QueueNamePrefix", "")
        with self._lock:
            urls = [q.url for n, q in sorted(self._queues.items()) if n.startswith(prefix)]
        limit = p.get("MaxResults")
        start = token_position(p.get("NextToken"), len(urls), lambda: _invalid_parameter("Invalid NextToken value."))
        out: dict[str, Any] = {}
        if limit:
            page = urls[start:start + int(limit)]
            if start + int(limit) < len(urls):
                out["NextToken"] = next_token(start + int(limit))
        else:
            page = urls[:1000]
        if page:
            out["QueueUrls"] = page
        return out

    def DeleteQueue(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            q = self._by_url(p.get("QueueUrl"))
            del self._queues[q.name]
        return {}

    def GetQueueAttributes(self, p: dict[str, Any]) -> dict[str, Any]:
        names = p.get("AttributeNames") or []
        with self._lock:
            q = self._by_url(p.get("QueueUrl"))
            now = self.clock.now()
            self._expire(q, now)
            visible = sum(1 for m in q.messages.values() if m.visible_at <= now)
            delayed = sum(1 for m in q.messages.values() if m.visible_at > now and m.receive_count == 0)
            inflight = len(q.messages) - visible - delayed
            full = {
                "QueueArn": q.arn,
                "ApproximateNumberOfMessages": str(visible),
                "ApproximateNumberOfMessagesNotVisible": str(inflight),
                "ApproximateNumberOfMessagesDelayed": str(delayed),
                "CreatedTimestamp": str(int(q.created_at)),
                "LastModifiedTimestamp": str(int(q.modified_at)),
            }
            for k, (_, _, default) in _ATTR_LIMITS.items():
                full[k] = q.attributes.get(k, default)
            full["SqsManagedSseEnabled"] = q.attributes.get("SqsManagedSseEnabled", "true")
            for k in ("RedrivePolicy", "Policy", "RedriveAllowPolicy", "KmsMasterKeyId"):
                if q.attributes.get(k):
                    full[k] = q.attributes[k]
        if "All" in names:
            chosen = full
        else:
            for n in names:
                if n not in full and n not in _SETTABLE:
                    raise _sqs_error("InvalidAttributeName", f"Unknown Attribute {n}.", "InvalidAttributeName")
            chosen = {n: full[n] for n in names if n in full}
        return {"Attributes": chosen} if chosen else {}

    def SetQueueAttributes(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            q = self._by_url(p.get("QueueUrl"))
            attrs = self._validate_attributes(p.get("Attributes") or {})
            for k, v in attrs.items():
                if v == "" and k in ("RedrivePolicy", "Policy", "RedriveAllowPolicy"):
                    q.attributes.pop(k, None)
                else:
                    q.attributes[k] = v
            q.modified_at = self.clock.now()
        return {}

    def PurgeQueue(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            q = self._by_url(p.get("QueueUrl"))
            now = self.clock.now()
            if q.last_purge is not None and now - q.last_purge < 60:
                raise _sqs_error("PurgeQueueInProgress", f"Only one PurgeQueue operation on {q.name} "
                                 "is allowed every 60 seconds.", "AWS.SimpleQueueService.PurgeQueueInProgress")
            q.last_purge = now
            q.messages.clear()
            q.handles.clear()
        return {}

    def SendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            q = self._by_url(p.get("QueueUrl"))
            self._check_message(p.get("MessageBody"), p.get("MessageAttributes"), p.get("DelaySeconds"))
            m = self._enqueue(q, p["MessageBody"], p.get("MessageAttributes"), p.get("DelaySeconds"))
            self._arrived.notify_all()
        self._notify(q.arn)
        out = {"MD5OfMessageBody": m.md5_of_body}
        if m.message_attributes:
            out["MD5OfMessageAttributes"] = m.md5_of_message_attributes
        out["MessageId"] = m.message_id
        return out

    def _check_batch(self, entries: list[dict[str, Any]], name: str) -> None:
        if not entries:
            raise _sqs_error("EmptyBatchRequest", "There should be at least one "
                             f"{name}RequestEntry in the request.", "AWS.SimpleQueueService.EmptyBatchRequest")
        if len(entries) > 10:
            raise _sqs_error("TooManyEntriesInBatchRequest", "Maximum number of entries per request "
                             f"are 10. You have sent {len(entries)}.",
                             "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
        seen = set()
        for e in entries:
            eid = e.get("Id", "")
            if not _BATCH_ID.match(eid):
                raise _sqs_error("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric "
                                 "characters, hyphens and underscores. It can be at most 80 letters long.",
                                 "AWS.SimpleQueueService.InvalidBatchEntryId")
            if eid in seen:
                raise _sqs_error("BatchEntryIdsNotDistinct", f"Id {eid} repeated.",
                                 "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
            seen.add(eid)

    def SendMessageBatch(self, p: dict[str, Any]) -> dict[str, Any]:
        entries = p.get("Entries") or []
        ok, failed = [], []
        with self._lock:
            q = self._by_url(p.get("QueueUrl"))
            self._check_batch(entries, "SendMessageBatch")
            total = sum(len(str(e.get("MessageBody", "")).encode()) for e in entries)
            if total > self.max_message_bytes:
                raise _sqs_error("BatchRequestTooLong", "Batch requests cannot be longer than "
                                 f"{self.max_message_bytes} bytes. You have sent {total} bytes.",
                                 "AWS.SimpleQueueService.BatchRequestTooLong")
            for e in entries:
                try:
                    self._check_message(e.get("MessageBody"), e.get("MessageAttributes"), e.get("DelaySeconds"))
                except AwsError as err:
                    failed.append({"Id": e["Id"], "SenderFault": True,
                                   "Code": err.code.rsplit("#", 1)[-1], "Message": err.message})
                    continue
                m = self._enqueue(q, e["MessageBody"], e.get("MessageAttributes"), e.get("DelaySeconds"))
                item = {"Id": e["Id"], "MessageId": m.message_id, "MD5OfMessageBody": m.md5_of_body}
                if m.message_attributes:
                    item["MD5OfMessageAttributes"] = m.md5_of_message_attributes
                ok.append(item)
            self._arrived.notify_all()
        if ok:
            self._notify(q.arn)
        return {"Successful": ok, "Failed": failed}

    def ReceiveMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        n = p.get("MaxNumberOfMessages", 1)
        if not 1 <= int(n) <= 10:
            raise _invalid_parameter(f"Value {n} for parameter MaxNumberOfMessages is invalid. Reason: "
                                     "Must be between 1 and 10, if provided.")
        vis = p.get("VisibilityTimeout")
        if vis is not None and not 0 <= int(vis) <= 43_200:
            raise _invalid_parameter(f"Value {vis} for parameter VisibilityTimeout is invalid. Reason: "
                                     "Must be >= 0 and <= 43200, if provided.")
        wait = p.get("WaitTimeSeconds")
        if wait is not None and not 0 <= int(wait) <= 20:
            raise _invalid_parameter(f"Value {wait} for parameter WaitTimeSeconds is invalid. Reason: "
                                     "Must be >= 0 and <= 20, if provided.")
        sys_names = set(p.get("MessageSystemAttributeNames") or []) | set(p.get("AttributeNames") or [])
        attr_names = p.get("MessageAttributeNames") or []
        with self._lock:
            q = self._by_url(p.get("QueueUrl"))
            msgs = self._receive(q, int(n), vis)
            if wait is None:
                wait = q.attr("ReceiveMessageWaitTimeSeconds")
            if not msgs and wait and not getattr(self.clock, "virtual", False):
                # Long polling on the wall clock: wait for a send (a virtual clock never blocks).
                import time as _time

                deadline = _time.monotonic() + int(wait)
                while not msgs and _time.monotonic() < deadline:
                    self._arrived.wait(min(0.2, deadline - _time.monotonic()))
                    if q.name not in self._queues:
                        break
                    msgs = self._receive(q, int(n), vis)
            out = [self._render(m, sys_names, attr_names) for m in msgs]
        return {"Messages": out} if out else {}

    @staticmethod
    def _render(m: Message, sys_names: set[str], attr_names: list[str]) -> dict[str, Any]:
        item: dict[str, Any] = {"MessageId": m.message_id, "ReceiptHandle": m.receipt_handle,
                                "MD5OfBody": m.md5_of_body, "Body": m.body}
        if sys_names:
            attrs = m.attributes()
            if not ({"All", ".*"} & sys_names):
                attrs = {k: v for k, v in attrs.items() if k in sys_names}
            if attrs:
                item["Attributes"] = attrs
        if attr_names and m.message_attributes:
            chosen = {}
            for name, a in m.message_attributes.items():
                for pat in attr_names:
                    if pat in ("All", ".*") or pat == name or (pat.endswith(".*") and name.startswith(pat[:-1])):
                        chosen[name] = a
                        break
            if chosen:
                item["MD5OfMessageAttributes"] = m.md5_of_message_attributes
                item["MessageAttributes"] = {
                    k: {kk: (base64.b64encode(vv).decode() if kk == "BinaryValue" else vv)
                        for kk, vv in v.items()} for k, v in chosen.items()}
        return item

    def DeleteMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            q = self._by_url(p.get("QueueUrl"))
            m = self._lookup_handle(q, p.get("ReceiptHandle"))
            if m is not None:
                del q.messages[m.message_id]
        return {}

    def DeleteMessageBatch(self, p: dict[str, Any]) -> dict[str, Any]:
        entries = p.get("Entries") or []
        ok, failed = [], []
        with self._lock:
            q = self._by_url(p.get("QueueUrl"))
            self._check_batch(entries, "DeleteMessageBatch")
            for e in entries:
                try:
                    m = self._lookup_handle(q, e.get("ReceiptHandle"))
                except AwsError as err:
                    failed.append({"Id": e["Id"], "SenderFault": True,
                                   "Code": "ReceiptHandleIsInvalid", "Message": err.message})
                    continue
                if m is not None:
                    del q.messages[m.message_id]
                ok.append({"Id": e["Id"]})
        return {"Successful": ok, "Failed": failed}

    def _change_visibility(self, q: Queue, handle: str | None, timeout: Any) -> None:
        if timeout is None or not 0 <= int(timeout) <= 43_200:
            raise _invalid_parameter(f"Value {timeout} for parameter VisibilityTimeout is invalid. "
                                     "Reason: Must be >= 0 and <= 43200, if provided.")
        m = self._lookup_handle(q, handle)
        now = self.clock.now()
        if m is None or m.visible_at <= now or m.receipt_handle != handle:
            raise _sqs_error("MessageNotInflight", "Message does not exist or is not available for "
                             "visibility timeout change.", "AWS.SimpleQueueService.MessageNotInflight")
        m.visible_at = now + int(timeout)

    def ChangeMessageVisibility(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            q = self._by_url(p.get("QueueUrl"))
            self._change_visibility(q, p.get("ReceiptHandle"), p.get("VisibilityTimeout"))
        if int(p.get("VisibilityTimeout") or 0) == 0:
            self._notify(q.arn)
        return {}

    def ChangeMessageVisibilityBatch(self, p: dict[str, Any]) -> dict[str, Any]:
        entries = p.get("Entries") or []
        ok, failed = [], []
        with self._lock:
            q = self._by_url(p.get("QueueUrl"))
            self._check_batch(entries, "ChangeMessageVisibilityBatch")
            for e in entries:
                try:
                    self._change_visibility(q, e.get("ReceiptHandle"), e.get("VisibilityTimeout"))
                except AwsError as err:
                    failed.append({"Id": e["Id"], "SenderFault": True,
                                   "Code": err.headers.get("x-amzn-query-error", "").split(";")[0],
                                   "Message": err.message})
                    continue
                ok.append({"Id": e["Id"]})
        return {"Successful": ok, "Failed": failed}

    def ListDeadLetterSourceQueues(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            q = self._by_url(p.get("QueueUrl"))
            urls = [s.url for s in self._queues.values()
                    if s.redrive and s.redrive.get("deadLetterTargetArn") == q.arn]
        return {"queueUrls": urls}
