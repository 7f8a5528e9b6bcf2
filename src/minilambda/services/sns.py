"""Amazon SNS topics, AWS query protocol (form-encoded POST, XML answers), with fan-out.

``Publish`` delivers to every confirmed subscription whose ``FilterPolicy`` (message attributes)
matches:

* ``sqs`` endpoints get AWS's SNS JSON envelope as the message body (or the bare message, with
  the message attributes as SQS attributes, when ``RawMessageDelivery`` is ``"true"``), through
  the SQS service's Python API (``sqs=``);
* ``lambda`` endpoints get AWS's SNS Lambda event (``events.sns_event`` shape) through
  ``notify(function_arn, event)``.

Python API: ``sns.publish_raw(topic_arn, message, subject=None, attributes=None) -> message_id``
(used for destinations and S3 notifications), ``sns.create(name) -> topic_arn``.
Not modelled: http/email/sms protocols, confirmations, FIFO topics, delivery retries/policies.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass, field
from typing import Any

from ..errors import AwsError
from ..payloads import sns_envelope, sns_record
from . import _pattern
from ..ids import new_uuid
from ._util import AccountService, Notify, next_token, token_position

MAX_MESSAGE_BYTES = 262_144
PROTOCOLS = {"sqs", "lambda", "http", "https", "email", "email-json", "sms", "application", "firehose"}
SUPPORTED = {"sqs", "lambda"}


def _error(code: str, message: str, status: int = 400) -> AwsError:
    return AwsError(code, message, status, error_type=None)


def _invalid(message: str) -> AwsError:
    return _error("InvalidParameter", f"Invalid parameter: {message}")


def _not_found(message: str = "Topic does not exist") -> AwsError:
    return _error("NotFound", message, 404)


@dataclass(eq=False)
class Subscription:
    arn: str
    topic_arn: str
    protocol: str
    endpoint: str
    owner: str
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def raw(self) -> bool:
        return self.attributes.get("RawMessageDelivery", "false").lower() == "true"


@dataclass(eq=False)
class Topic:
    arn: str
    name: str
    attributes: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)


def _flat_map(params: dict[str, str], prefix: str, key: str = "key", value: str = "value") -> dict[str, str]:
    """``Attributes.entry.1.key=K&Attributes.entry.1.value=V`` → ``{K: V}``."""
    out = {}
    i = 1
    while f"{prefix}.entry.{i}.{key}" in params:
        out[params[f"{prefix}.entry.{i}.{key}"]] = params.get(f"{prefix}.entry.{i}.{value}", "")
        i += 1
    return out


def _message_attributes(params: dict[str, str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    i = 1
    while f"MessageAttributes.entry.{i}.Name" in params:
        base = f"MessageAttributes.entry.{i}"
        a: dict[str, Any] = {"DataType": params.get(f"{base}.Value.DataType", "String")}
        if f"{base}.Value.StringValue" in params:
            a["StringValue"] = params[f"{base}.Value.StringValue"]
        if f"{base}.Value.BinaryValue" in params:
            a["BinaryValue"] = base64.b64decode(params[f"{base}.Value.BinaryValue"])
        out[params[f"{base}.Name"]] = a
        i += 1
    return out


class SnsBackend(AccountService):
    """SNS standard topics for one account and region: operations take the query parameters and
    return AWS's result fields as a dict (the adapter writes the XML)."""

    service_name = "sns"

    def __init__(self, clock: Any, region: str = "us-east-1", account_id: str = "123456789012",
                 rng: random.Random | None = None, *, notify: Notify | None = None, sqs: Any = None, on_drop: Any = None) -> None:
        self._wire(clock, region, account_id, rng, notify=notify, sqs=sqs, on_drop=on_drop)
        self._topics: dict[str, Topic] = {}  # arn -> topic

    def _topic(self, arn: str | None) -> Topic:
        if not arn:
            raise _invalid("TopicArn")
        t = self._topics.get(arn)
        if t is None:
            if not arn.startswith("arn:aws:sns:"):
                raise _invalid("TopicArn")
            raise _not_found()
        return t

    def _find_sub(self, arn: str | None) -> Subscription:
        if not arn:
            raise _invalid("SubscriptionArn")
        for t in self._topics.values():
            if arn in t.subscriptions:
                return t.subscriptions[arn]
        raise _not_found("Subscription does not exist")

    # ------------------------------------------------------------------ topics

    def CreateTopic(self, p: dict[str, str]) -> dict[str, Any]:
        name = p.get("Name", "")
        import re

        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", name):
            raise _invalid("Topic Name")
        arn = f"arn:aws:sns:{self.region}:{self.account_id}:{name}"
        with self._lock:
            if arn not in self._topics:
                self._topics[arn] = Topic(arn, name, _flat_map(p, "Attributes"))
        return {"TopicArn": arn}

    def ListTopics(self, p: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            arns = sorted(self._topics)
        start = token_position(p.get("NextToken"), len(arns), lambda: AwsError(
            "InvalidParameter", "Invalid parameter: NextToken", 400))
        out: dict[str, Any] = {"Topics": [{"TopicArn": a} for a in arns[start:start + 100]]}
        if start + 100 < len(arns):
            out["NextToken"] = next_token(start + 100)
        return out

    def DeleteTopic(self, p: dict[str, str]) -> None:
        with self._lock:
            self._topics.pop(p.get("TopicArn", ""), None)
        return None

    def GetTopicAttributes(self, p: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            t = self._topic(p.get("TopicArn"))
            attrs = {
                "Policy": json.dumps({"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": []}),
                "Owner": self.account_id,
                "SubscriptionsPending": "0",
                "TopicArn": t.arn,
                "EffectiveDeliveryPolicy": json.dumps({"http": {"defaultHealthyRetryPolicy": {
                    "minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3, "numMaxDelayRetries": 0,
                    "numNoDelayRetries": 0, "numMinDelayRetries": 0, "backoffFunction": "linear"},
                    "disableSubscriptionOverrides": False, "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"}}}),
                "SubscriptionsConfirmed": str(len(t.subscriptions)),
                "DisplayName": "",
                "SubscriptionsDeleted": "0",
            }
            attrs.update(t.attributes)
        return {"Attributes": attrs}

    def SetTopicAttributes(self, p: dict[str, str]) -> None:
        with self._lock:
            t = self._topic(p.get("TopicArn"))
            t.attributes[p.get("AttributeName", "")] = p.get("AttributeValue", "")
        return None

    # ------------------------------------------------------------------ subscriptions

    def Subscribe(self, p: dict[str, str]) -> dict[str, Any]:
        protocol = p.get("Protocol", "")
        endpoint = p.get("Endpoint", "")
        if protocol not in PROTOCOLS:
            raise _invalid(f"Amazon SNS does not support this protocol string: {protocol}")
        if protocol not in SUPPORTED:
            raise _invalid(f"minilambda supports the sqs and lambda protocols only, not {protocol}")
        expected = {"sqs": "arn:aws:sqs:", "lambda": "arn:aws:lambda:"}[protocol]
        if not endpoint.startswith(expected):
            raise _invalid(f"{'SQS' if protocol == 'sqs' else 'Lambda'} endpoint ARN")
        attrs = _flat_map(p, "Attributes")
        self._check_sub_attrs(attrs)
        with self._lock:
            t = self._topic(p.get("TopicArn"))
            for s in t.subscriptions.values():  # idempotent for the same endpoint
                if s.protocol == protocol and s.endpoint == endpoint:
                    return {"SubscriptionArn": s.arn}
            arn = f"{t.arn}:{new_uuid(self.rng)}"
            t.subscriptions[arn] = Subscription(arn, t.arn, protocol, endpoint, self.account_id, attrs)
        return {"SubscriptionArn": arn}

    @staticmethod
    def _check_sub_attrs(attrs: dict[str, str]) -> None:
        for k, v in attrs.items():
            if k not in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy",
                         "DeliveryPolicy", "SubscriptionRoleArn", "ReplayPolicy"):
                raise _invalid("AttributeName")
            if k == "FilterPolicy" and v:
                try:
                    _pattern.validate(v)
                except ValueError:
                    raise _invalid("Filter policy: failed to parse JSON.") from None

    def Unsubscribe(self, p: dict[str, str]) -> None:
        with self._lock:
            s = self._find_sub(p.get("SubscriptionArn"))
            del self._topics[s.topic_arn].subscriptions[s.arn]
        return None

    @staticmethod
    def _sub_fields(s: Subscription) -> dict[str, str]:
        return {"SubscriptionArn": s.arn, "Owner": s.owner, "Protocol": s.protocol, "Endpoint": s.endpoint,
                "TopicArn": s.topic_arn}

    def ListSubscriptions(self, p: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            subs = [s for t in self._topics.values() for s in t.subscriptions.values()]
        return {"Subscriptions": [self._sub_fields(s) for s in subs]}

    def ListSubscriptionsByTopic(self, p: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            t = self._topic(p.get("TopicArn"))
            subs = list(t.subscriptions.values())
        return {"Subscriptions": [self._sub_fields(s) for s in subs]}

    def GetSubscriptionAttributes(self, p: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            s = self._find_sub(p.get("SubscriptionArn"))
            attrs = {"Owner": s.owner, "RawMessageDelivery": "false", "TopicArn": s.topic_arn,
                     "Endpoint": s.endpoint, "Protocol": s.protocol, "PendingConfirmation": "false",
                     "ConfirmationWasAuthenticated": "true", "SubscriptionArn": s.arn}
            attrs.update(s.attributes)
        return {"Attributes": attrs}

    def SetSubscriptionAttributes(self, p: dict[str, str]) -> None:
        name, value = p.get("AttributeName", ""), p.get("AttributeValue", "")
        self._check_sub_attrs({name: value})
        with self._lock:
            s = self._find_sub(p.get("SubscriptionArn"))
            s.attributes[name] = value
        return None

    # ------------------------------------------------------------------ publish

    def Publish(self, p: dict[str, str]) -> dict[str, Any]:
        arn = p.get("TopicArn") or p.get("TargetArn")
        message = p.get("Message")
        if not message:
            raise _invalid("Empty message")
        attrs = _message_attributes(p)
        if p.get("MessageStructure") == "json":
            try:
                doc = json.loads(message)
                if not isinstance(doc, dict) or "default" not in doc:
                    raise ValueError
            except ValueError:
                raise _invalid("Message Structure - No default entry in JSON message body") from None
        mid = self._publish(arn, message, p.get("Subject"), attrs, p.get("MessageStructure"))
        return {"MessageId": mid}

    def publish_raw(self, topic_arn: str, message: str, subject: str | None = None,
                    attributes: dict[str, dict[str, Any]] | None = None) -> str:
        """Publish from inside the simulator (destinations, S3 notifications); the message id."""
        return self._publish(topic_arn, message, subject, attributes or {}, None)

    def create(self, name: str) -> str:
        """Create a topic; its ARN."""
        self.CreateTopic({"Name": name})
        return f"arn:aws:sns:{self.region}:{self.account_id}:{name}"

    def _publish(self, arn: str | None, message: str, subject: str | None,
                 attrs: dict[str, dict[str, Any]], structure: str | None) -> str:
        if len(message.encode()) > MAX_MESSAGE_BYTES:
            raise _invalid("Message too long")
        if subject is not None and (not subject or len(subject) > 100 or "\n" in subject):
            raise _invalid("Subject")
        with self._lock:
            t = self._topic(arn)
            subs = list(t.subscriptions.values())
        mid = new_uuid(self.rng)
        now = self.clock.now()
        per_protocol = json.loads(message) if structure == "json" else None
        filter_view = {k: (float(a["StringValue"]) if a.get("DataType", "").startswith("Number")
                           else a.get("StringValue")) for k, a in attrs.items() if "StringValue" in a}
        for s in subs:
            policy = s.attributes.get("FilterPolicy")
            if policy:
                if s.attributes.get("FilterPolicyScope") == "MessageBody":
                    try:
                        view = json.loads(message)
                    except ValueError:
                        continue
                else:
                    view = filter_view
                if not _pattern.matches(json.loads(policy), view):
                    continue
            text = message
            if per_protocol is not None:
                text = per_protocol.get(s.protocol, per_protocol["default"])
            if s.protocol == "sqs":
                if s.raw:
                    body, sqs_attrs = text, attrs or None
                else:
                    body = sns_envelope(text, topic_arn=t.arn, subject=subject, attributes=attrs,
                                        message_id=mid, subscription_arn=s.arn, time=now, rng=self.rng)
                    sqs_attrs = None
                self._to_queue(s.endpoint, body, sqs_attrs)
            elif s.protocol == "lambda":
                record = sns_record(text, topic_arn=t.arn, subject=subject, attributes=attrs,
                                    message_id=mid, subscription_arn=s.arn, time=now, rng=self.rng)
                self._to_notify(s.endpoint, {"Records": [record]})
            else:
                self._drop(s.endpoint, f"protocol {s.protocol!r} is not delivered by minilambda")
        return mid
