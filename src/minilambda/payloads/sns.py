"""SNS events for Lambda subscriptions, and the envelope SQS subscriptions receive."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from datetime import datetime
from typing import Any, Mapping

from ..ids import new_uuid
from ..isotime import iso_millis
from ._common import DEFAULT_ACCOUNT, DEFAULT_REGION, _arn_parts, _rng


def _sns_attributes(attributes: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    """Message attributes as SNS delivers them: ``{"name": {"Type": ..., "Value": ...}}``.

    Accepts plain values (``{"k": "v"}``, numbers become ``Number``), SNS delivery form
    (``{"Type", "Value"}``) or the publish API form (``{"DataType", "StringValue"|"BinaryValue"}``).
    """
    out: dict[str, dict[str, str]] = {}
    for name, a in (attributes or {}).items():
        if isinstance(a, Mapping) and "Type" in a:
            out[name] = {"Type": a["Type"], "Value": a["Value"]}
        elif isinstance(a, Mapping):
            dtype = a.get("DataType", "String")
            if a.get("BinaryValue") is not None:
                b = a["BinaryValue"]
                value = b if isinstance(b, str) else base64.b64encode(bytes(b)).decode()
            else:
                value = a.get("StringValue", "")
            out[name] = {"Type": dtype, "Value": value}
        elif isinstance(a, (int, float)) and not isinstance(a, bool):
            out[name] = {"Type": "Number", "Value": str(a)}
        else:
            out[name] = {"Type": "String", "Value": str(a)}
    return out


def _sns_common(message: str, topic_arn: str, subscription_arn: str | None, message_id: str,
                timestamp: str) -> tuple[str, str, str, str]:
    region = _arn_parts(topic_arn)[0]
    sig = base64.b64encode(hashlib.sha256(f"{message_id}{message}".encode()).digest() * 8).decode()
    cert = f"https://sns.{region}.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem"
    unsub = (f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
             f"{subscription_arn or topic_arn}")
    return region, sig, cert, unsub


def sns_record(message: str, *, topic_arn: str, subject: str | None = None,
               attributes: Mapping[str, Any] | None = None, message_id: str | None = None,
               subscription_arn: str | None = None, time: float | datetime | None = None,
               rng: random.Random | None = None) -> dict[str, Any]:
    """One SNS record as Lambda receives it (capitalised keys; ``Subject`` null when absent)."""
    r = _rng(rng)
    message_id = message_id or new_uuid(r)
    subscription_arn = subscription_arn or f"{topic_arn}:{new_uuid(r)}"
    ts = iso_millis(time)
    _, sig, cert, unsub = _sns_common(message, topic_arn, subscription_arn, message_id, ts)
    return {
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": "1",
            "Timestamp": ts,
            "Signature": sig,
            "SigningCertUrl": cert,
            "MessageId": message_id,
            "Message": message,
            "MessageAttributes": _sns_attributes(attributes),
            "Type": "Notification",
            "UnsubscribeUrl": unsub,
            "TopicArn": topic_arn,
            "Subject": subject,
        },
    }


def sns_event(message: str, *, topic_arn: str = f"arn:aws:sns:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:my-topic",
              subject: str | None = None, attributes: Mapping[str, Any] | None = None,
              **kwargs: Any) -> dict[str, Any]:
    """An SNS event for Lambda (one record).

    >>> e = sns_event("Hello from SNS!", attributes={"Test": "TestString"})
    >>> s = e["Records"][0]["Sns"]
    >>> s["Message"], s["MessageAttributes"], s["Subject"], s["Type"]
    ('Hello from SNS!', {'Test': {'Type': 'String', 'Value': 'TestString'}}, None, 'Notification')
    """
    return {"Records": [sns_record(message, topic_arn=topic_arn, subject=subject,
                                   attributes=attributes, **kwargs)]}


def sns_envelope(message: str, *, topic_arn: str, subject: str | None = None,
                 attributes: Mapping[str, Any] | None = None, message_id: str | None = None,
                 subscription_arn: str | None = None, time: float | datetime | None = None,
                 rng: random.Random | None = None) -> str:
    """The JSON document SNS puts in an SQS message body (non-raw delivery).

    Note the spellings differ from the Lambda record: ``SigningCertURL``/``UnsubscribeURL``;
    ``Subject`` and ``MessageAttributes`` are omitted when absent; AWS pretty-prints it with
    ``" : "`` separators.
    """
    r = _rng(rng)
    message_id = message_id or new_uuid(r)
    ts = iso_millis(time)
    _, sig, cert, unsub = _sns_common(message, topic_arn, subscription_arn, message_id, ts)
    doc: dict[str, Any] = {"Type": "Notification", "MessageId": message_id, "TopicArn": topic_arn}
    if subject is not None:
        doc["Subject"] = subject
    doc.update({"Message": message, "Timestamp": ts, "SignatureVersion": "1", "Signature": sig,
                "SigningCertURL": cert, "UnsubscribeURL": unsub})
    attrs = _sns_attributes(attributes)
    if attrs:
        doc["MessageAttributes"] = attrs
    return json.dumps(doc, indent=2, separators=(",", " : "))
