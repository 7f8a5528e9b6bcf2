"""S3 event notifications."""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

from ..isotime import iso_millis
from ._common import DEFAULT_REGION, _hex, _rng


def s3_key_for_event(key: str) -> str:
    """How S3 writes an object key in an event: URL-encoded, spaces as ``+``, ``/`` kept.

    >>> s3_key_for_event("photos/my cat+dog.jpg")
    'photos/my+cat%2Bdog.jpg'
    """
    return quote_plus(key, safe="/")


def s3_record(bucket: str, key: str, *, event_name: str = "ObjectCreated:Put", size: int | None = 0,
              etag: str | None = None, version_id: str | None = None, sequencer: str | None = None,
              region: str = DEFAULT_REGION, time: float | datetime | None = None,
              configuration_id: str = "minilambda-notification",
              principal_id: str = "AWS:AIDAINPONIXQXHT3IKHL2", owner_id: str = "A3I5XTEXAMAI3E",
              source_ip: str = "127.0.0.1", request_id: str | None = None,
              rng: random.Random | None = None) -> dict[str, Any]:
    """One S3 event record (``key`` is the raw key; it is URL-encoded as S3 does)."""
    r = _rng(rng)
    obj: dict[str, Any] = {"key": s3_key_for_event(key)}
    if not event_name.startswith("ObjectRemoved"):
        obj["size"] = int(size or 0)
        obj["eTag"] = (etag or hashlib.md5(b"").hexdigest()).strip('"')
    if version_id is not None:
        obj["versionId"] = version_id
    obj["sequencer"] = sequencer or _hex(r, 18)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": iso_millis(time),
        "eventName": event_name,
        "userIdentity": {"principalId": principal_id},
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {"x-amz-request-id": request_id or _hex(r, 16),
                             "x-amz-id-2": base64.b64encode(r.getrandbits(384).to_bytes(48, "big")).decode()},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": owner_id},
                       "arn": f"arn:aws:s3:::{bucket}"},
            "object": obj,
        },
    }


def s3_event(bucket: str, key: str, *, event_name: str = "ObjectCreated:Put", size: int | None = 0,
             etag: str | None = None, region: str = DEFAULT_REGION,
             time: float | datetime | None = None, **kwargs: Any) -> dict[str, Any]:
    """An S3 notification event with one record (see ``s3_record`` for the other options).

    >>> e = s3_event("my-bucket", "in/a b.txt", size=5, etag='"5d41402abc4b2a76b9719d911017c592"')
    >>> o = e["Records"][0]["s3"]["object"]
    >>> o["key"], o["size"], o["eTag"], e["Records"][0]["eventName"]
    ('in/a+b.txt', 5, '5d41402abc4b2a76b9719d911017c592', 'ObjectCreated:Put')
    """
    return {"Records": [s3_record(bucket, key, event_name=event_name, size=size, etag=etag,
                                  region=region, time=time, **kwargs)]}
