"""Amazon S3 buckets and objects in memory, with bucket notifications: state and operations, no HTTP.

Notification configurations (events such as ``s3:ObjectCreated:*``, ``s3:ObjectRemoved:*``;
``prefix``/``suffix`` key filters) get AWS's S3 event (``minilambda.payloads.s3_event`` shape) when
an object is created or removed: Lambda targets through ``notify(function_arn, event)``, queues
through the SQS backend as a JSON body, topics through the SNS backend with subject ``Amazon S3
Notification``. A target that cannot be reached is recorded as a drop. Deliveries happen after the
request's lock is released, in configuration order.
Multipart uploads live in ``s3_multipart``, CORS matching in ``s3_cors``.
Not modelled: versioning, ACLs/policies, the ``s3:TestEvent`` AWS sends to
queues and topics when a configuration is saved, destination permission checks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import AwsError
from ..payloads import s3_record
from ._util import AccountService, Notify

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
EVENTS = {
    "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRestore:*", "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed", "s3:ReducedRedundancyLostObject", "s3:Replication:*",
    "s3:ObjectTagging:*", "s3:ObjectAcl:Put", "s3:LifecycleExpiration:*", "s3:IntelligentTiering",
}


class S3Error(AwsError):
    """An S3 error: ``<Error><Code>…</Code><Message>…</Message>…</Error>``."""

    def __init__(self, code: str, message: str, status: int, **fields: str) -> None:
        super().__init__(code, message, status, error_type=None, extra=fields)


def _no_bucket(name: str) -> S3Error:
    return S3Error("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=name)


def _no_key(key: str) -> S3Error:
    return S3Error("NoSuchKey", "The specified key does not exist.", 404, Key=key)


@dataclass(eq=False)
class S3Object:
    key: str
    body: bytes
    etag: str  # quoted MD5 hex
    content_type: str
    metadata: dict[str, str]
    last_modified: float


@dataclass(eq=False)
class Bucket:
    name: str
    created: float
    region: str
    objects: dict[str, S3Object] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)  # parsed configurations
    cors: list[dict[str, Any]] | None = None  # CORSRules, None when the bucket has no CORS configuration


@dataclass(frozen=True)
class Listing:
    """One page of a bucket listing: objects, common prefixes, and where the next page starts."""

    contents: list[S3Object]
    prefixes: list[str]
    truncated: bool
    last: str


class S3Backend(AccountService):
    """S3 for one account: buckets, objects and notification configurations."""

    service_name = "s3"

    def __init__(self, clock: Any, region: str = "us-east-1", account_id: str = "123456789012",
                 rng: random.Random | None = None, *, notify: Notify | None = None,
                 sqs: Any = None, sns: Any = None, on_drop: Any = None) -> None:
        self._wire(clock, region, account_id, rng, notify=notify, sqs=sqs, sns=sns, on_drop=on_drop)
        self._buckets: dict[str, Bucket] = {}
        self._sequencer = 0

    def _bucket(self, name: str) -> Bucket:
        b = self._buckets.get(name)
        if b is None:
            raise _no_bucket(name)
        return b

    # ------------------------------------------------------------------ buckets

    def buckets(self) -> list[Bucket]:
        with self._lock:
            return sorted(self._buckets.values(), key=lambda b: b.name)

    def bucket(self, name: str) -> Bucket:
        with self._lock:
            return self._bucket(name)

    def create_bucket(self, name: str, location: str | None = None) -> None:
        if not _BUCKET_RE.match(name) or ".." in name:
            raise S3Error("InvalidBucketName", "The specified bucket is not valid.", 400, BucketName=name)
        with self._lock:
            if name in self._buckets:
                if self.region == "us-east-1":  # AWS's legacy us-east-1 answer: 200, no change
                    return
                raise S3Error("BucketAlreadyOwnedByYou", "Your previous request to create the named "
                              "bucket succeeded and you already own it.", 409, BucketName=name)
            self._buckets[name] = Bucket(name, self.clock.now(), location or self.region)

    def delete_bucket(self, name: str) -> None:
        with self._lock:
            b = self._bucket(name)
            if b.objects:
                raise S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409,
                              BucketName=name)
            del self._buckets[name]

    def list_objects(self, name: str, prefix: str, delimiter: str | None, max_keys: int, after: str) -> Listing:
        """Keys after *after* under *prefix*, rolled up at *delimiter*, at most *max_keys* entries."""
        with self._lock:
            b = self._bucket(name)
            keys = sorted(k for k in b.objects if k.startswith(prefix) and k > after)
            objs = {k: b.objects[k] for k in keys}
        contents: list[S3Object] = []
        prefixes: list[str] = []
        truncated = False
        last = ""
        for k in keys:
            cp = None
            if delimiter:
                rest = k[len(prefix):]
                if delimiter in rest:
                    cp = prefix + rest[:rest.index(delimiter) + len(delimiter)]
            if cp is not None and prefixes and prefixes[-1] == cp:
                last = k
                continue
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            if cp is not None:
                prefixes.append(cp)
            else:
                contents.append(objs[k])
            last = k
        if truncated and prefixes and last.startswith(prefixes[-1]):
            last = prefixes[-1] + "\U0010ffff"  # resume after everything under that prefix
        return Listing(contents, prefixes, truncated, last)

    # ------------------------------------------------------------------ objects

    def _store(self, b: Bucket, key: str, body: bytes, content_type: str,
               metadata: dict[str, str]) -> S3Object:
        obj = S3Object(key, body, f'"{hashlib.md5(body).hexdigest()}"', content_type, metadata,
                       self.clock.now())
        b.objects[key] = obj
        return obj

    def put_object(self, bucket: str, key: str, body: bytes, content_type: str | None = None,
                   metadata: dict[str, str] | None = None, content_md5: str | None = None) -> S3Object:
        if content_md5 and base64.b64encode(hashlib.md5(body).digest()).decode() != content_md5:
            raise S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.", 400)
        with self._lock:
            b = self._bucket(bucket)
            obj = self._store(b, key, body, content_type or "binary/octet-stream", metadata or {})
            deliveries = self._deliveries(b, obj.key, "ObjectCreated:Put", len(body), obj.etag)
        self._deliver(deliveries)
        return obj

    def copy_object(self, src_bucket: str, src_key: str, bucket: str, key: str,
                    replace: tuple[dict[str, str], str | None] | None = None) -> S3Object:
        """Copy an object; *replace* = (metadata, content type) for the REPLACE directive."""
        with self._lock:
            so = self._bucket(src_bucket).objects.get(src_key)
            if so is None:
                raise _no_key(src_key)
            b = self._bucket(bucket)
            meta, ctype = (replace[0], replace[1] or so.content_type) if replace else (dict(so.metadata),
                                                                                       so.content_type)
            obj = self._store(b, key, so.body, ctype, meta)
            deliveries = self._deliveries(b, key, "ObjectCreated:Copy", len(obj.body), obj.etag)
        self._deliver(deliveries)
        return obj

    def get_object(self, bucket: str, key: str) -> S3Object:
        with self._lock:
            obj = self._bucket(bucket).objects.get(key)
            if obj is None:
                raise _no_key(key)
            return obj

    def delete_objects(self, bucket: str, keys: list[str]) -> None:
        deliveries: list = []
        with self._lock:
            b = self._bucket(bucket)
            for k in keys:
                if b.objects.pop(k, None) is not None:
                    deliveries += self._deliveries(b, k, "ObjectRemoved:Delete", None, None)
        self._deliver(deliveries)

    # ------------------------------------------------------------------ CORS

    def put_cors(self, bucket: str, rules: list[dict[str, Any]]) -> None:
        with self._lock:
            self._bucket(bucket).cors = [dict(r) for r in rules]

    def cors(self, bucket: str) -> list[dict[str, Any]] | None:
        """The bucket's CORS rules (None when it has none)."""
        with self._lock:
            rules = self._bucket(bucket).cors
            return None if rules is None else [dict(r) for r in rules]

    def delete_cors(self, bucket: str) -> None:
        with self._lock:
            self._bucket(bucket).cors = None

    # ------------------------------------------------------------------ notifications

    def put_notifications(self, bucket: str, configs: list[dict[str, Any]]) -> None:
        """Replace a bucket's notification configurations (``kind``, ``arn``, ``events``, ``rules`` …)."""
        for c in configs:
            for e in c["events"]:
                if e not in EVENTS:
                    raise S3Error("InvalidArgument", "The event is not supported for notifications",
                                  400, ArgumentName=e, ArgumentValue=e)
            c["id"] = c.get("id") or self._config_id()
        with self._lock:
            self._bucket(bucket).notifications = configs

    def notifications(self, bucket: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._bucket(bucket).notifications)

    def _config_id(self) -> str:
        return base64.b64encode(self.rng.getrandbits(192).to_bytes(24, "big")).decode()[:32]

    @staticmethod
    def _matches(config: dict[str, Any], event_name: str, key: str) -> bool:
        full = f"s3:{event_name}"
        if not any(e == full or (e.endswith("*") and full.startswith(e[:-1])) for e in config["events"]):
            return False
        for rule, value in config["rules"]:
            if rule == "prefix" and not key.startswith(value):
                return False
            if rule == "suffix" and not key.endswith(value):
                return False
        return True

    def _next_sequencer(self) -> str:
        self._sequencer = max(self._sequencer + 1, int(self.clock.now() * 1_000_000) << 8)
        return f"{self._sequencer:018X}"

    def _deliveries(self, b: Bucket, key: str, event_name: str, size: int | None,
                    etag: str | None) -> list[tuple[str, str, dict[str, Any]]]:
        out = []
        sequencer = None
        for c in b.notifications:
            if not self._matches(c, event_name, key):
                continue
            sequencer = sequencer or self._next_sequencer()
            rec = s3_record(b.name, key, event_name=event_name, size=size, etag=etag, region=b.region,
                            time=self.clock.now(), sequencer=sequencer, configuration_id=c["id"],
                            principal_id=f"AWS:{self.account_id}", rng=self.rng)
            out.append((c["kind"], c["arn"], {"Records": [rec]}))
        return out

    def _deliver(self, deliveries: list[tuple[str, str, dict[str, Any]]]) -> None:
        for kind, arn, event in deliveries:
            if kind == "queue":
                self._to_queue(arn, json.dumps(event))
            elif kind == "topic":
                self._to_topic(arn, json.dumps(event), subject="Amazon S3 Notification")
            else:
                self._to_notify(arn, event)

    # ------------------------------------------------------------------ Python API

    def create(self, name: str) -> None:
        """Create a bucket (same rules as CreateBucket)."""
        self.create_bucket(name)

    def get_bytes(self, bucket: str, key: str) -> bytes:
        """An object's content (KeyError if absent)."""
        with self._lock:
            return self._bucket(bucket).objects[key].body
