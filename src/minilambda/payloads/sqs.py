"""SQS events for event source mappings, and the MD5 of message attributes."""

from __future__ import annotations

import base64
import hashlib
import random
import struct
from datetime import datetime
from typing import Any, Iterable, Mapping

from ..ids import new_uuid
from ..isotime import _epoch
from ._common import DEFAULT_ACCOUNT, DEFAULT_REGION, _arn_parts, _rng


def md5_of_message_attributes(attributes: Mapping[str, Mapping[str, Any]] | None) -> str | None:
    """SQS's ``MD5OfMessageAttributes``: MD5 over the sorted attributes, each encoded as
    length-prefixed name, data type, a transport byte (1 string/number, 2 binary) and value.
    None when there are no attributes."""
    if not attributes:
        return None
    buf = bytearray()

    def put(b: bytes) -> None:
        buf.extend(struct.pack(">I", len(b)))
        buf.extend(b)

    for name in sorted(attributes):
        attr = attributes[name]
        dtype = attr.get("DataType") or attr.get("dataType") or "String"
        put(name.encode())
        put(dtype.encode())
        binary = attr.get("BinaryValue", attr.get("binaryValue"))
        if dtype.startswith("Binary") or (binary is not None and attr.get("StringValue") is None):
            buf.append(2)
            if isinstance(binary, str):
                binary = base64.b64decode(binary)
            put(bytes(binary or b""))
        else:
            buf.append(1)
            put(str(attr.get("StringValue", attr.get("stringValue", ""))).encode())
    return hashlib.md5(bytes(buf)).hexdigest()


def _lambda_message_attributes(attrs: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    """SQS API message attributes (``StringValue``/``DataType``) as the Lambda record spells them."""
    out: dict[str, Any] = {}
    for name, a in (attrs or {}).items():
        item: dict[str, Any] = {}
        if a.get("StringValue") is not None:
            item["stringValue"] = a["StringValue"]
        if a.get("BinaryValue") is not None:
            b = a["BinaryValue"]
            item["binaryValue"] = b if isinstance(b, str) else base64.b64encode(bytes(b)).decode()
        item["stringListValues"] = list(a.get("StringListValues") or [])
        item["binaryListValues"] = list(a.get("BinaryListValues") or [])
        item["dataType"] = a.get("DataType", "String")
        out[name] = item
    return out


def sqs_record(body: str, *, queue_arn: str, message_id: str | None = None,
               receipt_handle: str | None = None, receive_count: int = 1,
               sent_timestamp: int | None = None, first_receive_timestamp: int | None = None,
               sender_id: str = "AIDAIENQZJOLO23YVJ4VO",
               message_attributes: Mapping[str, Mapping[str, Any]] | None = None,
               extra_attributes: Mapping[str, str] | None = None,
               rng: random.Random | None = None, time: float | datetime | None = None) -> dict[str, Any]:
    """One SQS record as the Lambda event source mapping delivers it (AWS's key order).

    *message_attributes* use the SQS API spelling (``{"k": {"DataType": "String",
    "StringValue": "v"}}``); the record converts them to ``stringValue``/``dataType``.
    """
    r = _rng(rng)
    now_ms = int(_epoch(time) * 1000)
    sent = now_ms if sent_timestamp is None else int(sent_timestamp)
    attributes = {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": str(sent),
        "SenderId": sender_id,
        "ApproximateFirstReceiveTimestamp": str(first_receive_timestamp if first_receive_timestamp
                                                is not None else max(sent, now_ms)),
    }
    if extra_attributes:
        attributes.update(extra_attributes)
    region = _arn_parts(queue_arn)[0]
    return {
        "messageId": message_id or new_uuid(r),
        "receiptHandle": receipt_handle or base64.b64encode(r.getrandbits(512).to_bytes(64, "big")).decode(),
        "body": body,
        "attributes": attributes,
        "messageAttributes": _lambda_message_attributes(message_attributes),
        "md5OfMessageAttributes": md5_of_message_attributes(message_attributes),
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def sqs_event(bodies_or_messages: Iterable[Any], *,
              queue_arn: str = f"arn:aws:sqs:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:my-queue",
              rng: random.Random | None = None, time: float | datetime | None = None) -> dict[str, Any]:
    """An SQS event-source-mapping event.

    Each item is a body string, a dict of ``sqs_record`` keyword arguments (``{"body": ...,
    "message_attributes": ...}``), or an object with ``to_lambda_record()`` (the simulator's
    own SQS messages).

    >>> import random
    >>> e = sqs_event(["a", {"body": "b", "receive_count": 2}], rng=random.Random(0), time=0)
    >>> [r["body"] for r in e["Records"]], e["Records"][1]["attributes"]["ApproximateReceiveCount"]
    (['a', 'b'], '2')
    """
    records = []
    for item in bodies_or_messages:
        if hasattr(item, "to_lambda_record"):  # an SQS message of the SQS backend
            records.append(item.to_lambda_record())
        elif isinstance(item, Mapping):
            kw = dict(item)
            body = kw.pop("body")
            kw.setdefault("queue_arn", queue_arn)
            kw.setdefault("rng", rng)
            kw.setdefault("time", time)
            records.append(sqs_record(body, **kw))
        else:
            records.append(sqs_record(str(item), queue_arn=queue_arn, rng=rng, time=time))
    return {"Records": records}
