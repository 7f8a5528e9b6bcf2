"""DynamoDB Streams events and DynamoDB JSON."""

from __future__ import annotations

import base64
import json
import random
from datetime import datetime
from decimal import Decimal
from typing import Any, Mapping

from ..isotime import _epoch
from ._common import DEFAULT_ACCOUNT, DEFAULT_REGION, _arn_parts, _hex


def to_dynamodb_json(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB typed attribute value.

    >>> to_dynamodb_json({"id": 101, "tags": {"a", "b"}, "ok": True, "n": None})
    {'M': {'id': {'N': '101'}, 'tags': {'SS': ['a', 'b']}, 'ok': {'BOOL': True}, 'n': {'NULL': True}}}
    """
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (bytes, bytearray)):
        return {"B": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, (set, frozenset)):
        items = sorted(value, key=str)
        if all(isinstance(v, str) for v in items):
            return {"SS": items}
        if all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in items):
            return {"NS": [str(v) for v in items]}
        if all(isinstance(v, (bytes, bytearray)) for v in items):
            return {"BS": [base64.b64encode(bytes(v)).decode() for v in items]}
        raise TypeError("a DynamoDB set must hold only strings, only numbers or only binary values")
    if isinstance(value, Mapping):
        return {"M": {str(k): to_dynamodb_json(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [to_dynamodb_json(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def _typed_item(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    out = {}
    for k, v in item.items():
        is_typed = (isinstance(v, Mapping) and len(v) == 1
                    and next(iter(v)) in {"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"})
        out[k] = dict(v) if is_typed else to_dynamodb_json(v)
    return out


def dynamodb_record(event_name: str, keys: Mapping[str, Any], *, new_image: Mapping[str, Any] | None = None,
                    old_image: Mapping[str, Any] | None = None,
                    table_arn: str = f"arn:aws:dynamodb:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:table/TestTable",
                    stream_label: str = "2015-05-11T21:21:33.291",
                    stream_view_type: str = "NEW_AND_OLD_IMAGES", sequence_number: str | int = "111",
                    event_id: str | None = None, time: float | datetime | None = None,
                    rng: random.Random | None = None) -> dict[str, Any]:
    """One DynamoDB Streams record; *keys*/*images* may be plain Python values or typed JSON.

    ``INSERT`` carries ``NewImage``, ``MODIFY`` both images, ``REMOVE`` ``OldImage``, filtered by
    *stream_view_type* (``KEYS_ONLY``, ``NEW_IMAGE``, ``OLD_IMAGE``, ``NEW_AND_OLD_IMAGES``).
    """
    if event_name not in ("INSERT", "MODIFY", "REMOVE"):
        raise ValueError(f"event_name must be INSERT, MODIFY or REMOVE, not {event_name!r}")
    region, _ = _arn_parts(table_arn)
    ddb: dict[str, Any] = {"ApproximateCreationDateTime": int(_epoch(time)), "Keys": _typed_item(keys)}
    want_new = stream_view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    want_old = stream_view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    if want_new and event_name in ("INSERT", "MODIFY") and new_image is not None:
        ddb["NewImage"] = _typed_item(new_image)
    if want_old and event_name in ("MODIFY", "REMOVE") and old_image is not None:
        ddb["OldImage"] = _typed_item(old_image)
    sizes = json.dumps([ddb.get("Keys"), ddb.get("NewImage"), ddb.get("OldImage")], separators=(",", ":"))
    ddb.update({"SequenceNumber": str(sequence_number), "SizeBytes": len(sizes) // 2,
                "StreamViewType": stream_view_type})
    return {
        "eventID": event_id or _hex(rng, 32, upper=False),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": ddb,
        "eventSourceARN": f"{table_arn}/stream/{stream_label}",
    }


def dynamodb_stream_event(*records: Mapping[str, Any] | tuple, **defaults: Any) -> dict[str, Any]:
    """A DynamoDB Streams event. Each record is a ``dynamodb_record(...)`` dict or a tuple
    ``(event_name, keys, new_image, old_image)`` (images may be None); *defaults* go to
    ``dynamodb_record`` (``table_arn``, ``rng``…). Sequence numbers increase from 111.

    >>> e = dynamodb_stream_event(("INSERT", {"Id": 101}, {"Id": 101, "Message": "New item!"}, None),
    ...                           event_id="1")
    >>> r = e["Records"][0]
    >>> r["eventName"], r["dynamodb"]["Keys"], r["dynamodb"]["NewImage"]["Message"]
    ('INSERT', {'Id': {'N': '101'}}, {'S': 'New item!'})
    """
    out = []
    for i, rec in enumerate(records):
        if isinstance(rec, Mapping):
            out.append(dict(rec))
            continue
        name, keys, new, old = (tuple(rec) + (None, None))[:4]
        kw = dict(defaults)
        kw.setdefault("sequence_number", str(111 + i))
        out.append(dynamodb_record(name, keys, new_image=new, old_image=old, **kw))
    return {"Records": out}
