"""Amazon S3 (path-style requests), REST-XML protocol, with bucket notifications.

Objects live in memory. ``PutBucketNotificationConfiguration`` takes Lambda, Queue and Topic
configurations (events such as ``s3:ObjectCreated:*``, ``s3:ObjectCreated:Put``,
``s3:ObjectRemoved:*``; ``prefix``/``suffix`` key filters). When an object is created or removed
each matching configuration gets AWS's S3 event (``minilambda.events.s3_event`` shape):

* Lambda targets through ``notify(function_arn, event)`` (the platform's async invoke);
* Queue targets through the SQS service (``sqs=``) as a JSON body, else ``notify``;
* Topic targets through the SNS service (``sns=``) with subject ``Amazon S3 Notification``,
  else ``notify``.

Deliveries happen after the request's lock is released, in configuration order.
Not modelled: versioning, multipart uploads, ACLs/policies, the ``s3:TestEvent`` AWS sends to
queues and topics when a configuration is saved, destination permission checks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Any
from urllib.parse import quote, unquote

from ..errors import AwsError
from ..isotime import iso_millis
from ..payloads import s3_record
from ..wire import Adapter, Headers, Request, Response
from ._util import AccountService, Notify, xml_value

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
_OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_EVENTS = {
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


def _strip_ns(elem: ET.Element) -> ET.Element:
    for e in elem.iter():
        if "}" in e.tag:
            e.tag = e.tag.split("}", 1)[1]
    return elem


def _decode_aws_chunked(body: bytes) -> bytes:
    """The payload of an ``aws-chunked`` body (botocore's streaming checksum upload)."""
    out = bytearray()
    pos = 0
    while pos < len(body):
        end = body.index(b"\r\n", pos)
        size = int(body[pos:end].split(b";", 1)[0], 16)
        pos = end + 2
        if size == 0:
            break
        out += body[pos:pos + size]
        pos += size + 2
    return bytes(out)


class S3Service(AccountService, Adapter):
    """S3 for one account, path-style (``https://s3.<region>.amazonaws.com/<bucket>/<key>``)."""

    service_name = "s3"
    protocol = "rest-xml"

    def __init__(self, clock: Any, region: str = "us-east-1", account_id: str = "123456789012",
                 rng: random.Random | None = None, *, notify: Notify | None = None,
                 sqs: Any = None, sns: Any = None, on_drop: Any = None) -> None:
        self._wire(clock, region, account_id, rng, notify=notify, sqs=sqs, sns=sns, on_drop=on_drop)
        self.operations = self._operations()
        self._buckets: dict[str, Bucket] = {}
        self._sequencer = 0

    # ------------------------------------------------------------------ dispatch

    def _operations(self) -> dict[str, Any]:
        """botocore operation name → handler; URI labels come from ``request.labels``."""
        b = self._with_bucket
        k = self._with_key
        return {
            "ListBuckets": self.list_buckets,
            "PutBucketNotificationConfiguration": b(self.put_notification),
            "GetBucketNotificationConfiguration": b(self.get_notification),
            "GetBucketLocation": b(lambda request, name: self.get_location(name)),
            "DeleteObjects": b(self.delete_objects),
            "CreateBucket": b(self.create_bucket),
            "DeleteBucket": b(lambda request, name: self.delete_bucket(name)),
            "HeadBucket": b(lambda request, name: self.head_bucket(name)),
            "ListObjects": b(self.list_objects),
            "ListObjectsV2": b(self.list_objects),
            "CopyObject": k(self.copy_object),
            "PutObject": k(self.put_object),
            "GetObject": k(self.get_object),
            "HeadObject": k(lambda request, bucket, key: self.get_object(request, bucket, key, head=True)),
            "DeleteObject": k(lambda request, bucket, key: self.delete_object(bucket, key)),
        }

    @staticmethod
    def _with_bucket(handler: Any) -> Any:
        return lambda request: handler(request, request.labels["Bucket"])

    @staticmethod
    def _with_key(handler: Any) -> Any:
        return lambda request: handler(request, request.labels["Bucket"], request.labels["Key"])

    def unknown_operation(self, request: Request) -> AwsError:
        return S3Error("NotImplemented", "A header or query you provided implies functionality "
                       "that is not implemented.", 501)

    def error_response(self, err: AwsError, request: Request | None = None) -> Response:
        rid = f"{self.rng.getrandbits(64):016X}"
        headers = {"Content-Type": "application/xml", "x-amz-request-id": rid}
        if request is not None and request.method == "HEAD":  # HEAD answers carry no body: botocore then reports the status ("404")
            return Response(err.status, headers, b"")
        extra = "".join(xml_value(k, v) for k, v in err.extra.items())
        body = (f"{_XML_DECL}<Error>{xml_value('Code', err.code)}{xml_value('Message', err.message)}"
                f"{extra}<RequestId>{rid}</RequestId><HostId>{base64.b64encode(rid.encode()).decode()}"
                "</HostId></Error>")
        return Response(err.status, headers, body.encode())

    @staticmethod
    def _xml(tag: str, inner: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        h = {"Content-Type": "application/xml"}
        h.update(headers or {})
        return Response(status, h, f'{_XML_DECL}<{tag} xmlns="{NS}">{inner}</{tag}>'.encode())

    def _bucket(self, name: str) -> Bucket:
        b = self._buckets.get(name)
        if b is None:
            raise _no_bucket(name)
        return b

    @staticmethod
    def _body(request: Request) -> bytes:
        body = request.body
        enc = request.headers.get("content-encoding", "") or ""
        if "aws-chunked" in enc or str(request.headers.get("x-amz-content-sha256", "")).startswith("STREAMING-"):
            body = _decode_aws_chunked(body)
        return body

    # ------------------------------------------------------------------ buckets

    def list_buckets(self, request: Request) -> Response:
        with self._lock:
            items = "".join(f"<Bucket>{xml_value('Name', b.name)}<CreationDate>{iso_millis(b.created)}</CreationDate>"
                            f"{xml_value('BucketRegion', b.region)}</Bucket>"
                            for b in sorted(self._buckets.values(), key=lambda b: b.name))
        return self._xml("ListAllMyBucketsResult",
                         f"<Owner><ID>{_OWNER_ID}</ID><DisplayName>minilambda</DisplayName></Owner>"
                         f"<Buckets>{items}</Buckets>")

    def create_bucket(self, request: Request, name: str) -> Response:
        if not _BUCKET_RE.match(name) or ".." in name:
            raise S3Error("InvalidBucketName", "The specified bucket is not valid.", 400, BucketName=name)
        region = self.region
        if request.body:
            try:
                root = _strip_ns(ET.fromstring(request.body))
            except ET.ParseError:
                raise S3Error("MalformedXML", "The XML you provided was not well-formed or did not "
                              "validate against our published schema", 400) from None
            loc = root.findtext("LocationConstraint")
            if loc:
                region = loc
        with self._lock:
            if name in self._buckets:
                if self.region == "us-east-1":  # AWS's legacy us-east-1 answer: 200, no change
                    return Response(200, {"Location": f"/{name}"})
                raise S3Error("BucketAlreadyOwnedByYou", "Your previous request to create the named "
                              "bucket succeeded and you already own it.", 409, BucketName=name)
            self._buckets[name] = Bucket(name, self.clock.now(), region)
        return Response(200, {"Location": f"/{name}"})

    def delete_bucket(self, name: str) -> Response:
        with self._lock:
            b = self._bucket(name)
            if b.objects:
                raise S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409,
                              BucketName=name)
            del self._buckets[name]
        return Response(204)

    def head_bucket(self, name: str) -> Response:
        with self._lock:
            b = self._bucket(name)
        return Response(200, {"x-amz-bucket-region": b.region, "Content-Type": "application/xml"})

    def get_location(self, name: str) -> Response:
        with self._lock:
            b = self._bucket(name)
        loc = "" if b.region == "us-east-1" else b.region
        return self._xml("LocationConstraint", loc)

    def list_objects(self, request: Request, name: str) -> Response:
        v2 = request.q("list-type") == "2"
        prefix = request.q("prefix", "") or ""
        delimiter = request.q("delimiter") or None
        max_keys = int(request.q("max-keys", "1000") or 1000)
        url = request.q("encoding-type") == "url"
        token = request.q("continuation-token") if v2 else None
        after = (request.q("start-after") if v2 else request.q("marker")) or ""
        if token:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode()
            except Exception:
                raise S3Error("InvalidArgument", "The continuation token provided is incorrect", 400,
                              ArgumentName="continuation-token") from None
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

        def enc(s: str) -> str:
            return quote(s, safe="/") if url else s

        parts = [xml_value("Name", name), xml_value("Prefix", enc(prefix))]
        if v2:
            parts.append(xml_value("KeyCount", len(contents) + len(prefixes)))
        else:
            parts.append(xml_value("Marker", enc(after)))
        parts.append(xml_value("MaxKeys", max_keys))
        if delimiter:
            parts.append(xml_value("Delimiter", enc(delimiter)))
        if url:
            parts.append(xml_value("EncodingType", "url"))
        parts.append(xml_value("IsTruncated", truncated))
        if v2 and token:
            parts.append(xml_value("ContinuationToken", token))
        if v2 and request.q("start-after"):
            parts.append(xml_value("StartAfter", enc(request.q("start-after") or "")))
        if truncated and v2:
            parts.append(xml_value("NextContinuationToken",
                                   base64.urlsafe_b64encode(last.encode()).decode()))
        if truncated and not v2 and delimiter:
            parts.append(xml_value("NextMarker", enc(last)))
        for o in contents:
            parts.append(f"<Contents>{xml_value('Key', enc(o.key))}<LastModified>{iso_millis(o.last_modified)}"
                         f"</LastModified>{xml_value('ETag', o.etag)}<Size>{len(o.body)}</Size>"
                         f"<StorageClass>STANDARD</StorageClass></Contents>")
        for cp in prefixes:
            parts.append(f"<CommonPrefixes>{xml_value('Prefix', enc(cp))}</CommonPrefixes>")
        return self._xml("ListBucketResult", "".join(parts))

    # ------------------------------------------------------------------ objects

    def _store(self, b: Bucket, key: str, body: bytes, content_type: str,
               metadata: dict[str, str]) -> S3Object:
        obj = S3Object(key, body, f'"{hashlib.md5(body).hexdigest()}"', content_type, metadata,
                       self.clock.now())
        b.objects[key] = obj
        return obj

    def put_object(self, request: Request, bucket: str, key: str) -> Response:
        body = self._body(request)
        md5 = request.headers.get("content-md5")
        if md5 and base64.b64encode(hashlib.md5(body).digest()).decode() != md5:
            raise S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.", 400)
        meta = {k[len("x-amz-meta-"):]: v for k, v in request.headers.items() if k.startswith("x-amz-meta-")}
        with self._lock:
            b = self._bucket(bucket)
            obj = self._store(b, key, body, request.headers.get("content-type") or "binary/octet-stream", meta)
            deliveries = self._deliveries(b, obj.key, "ObjectCreated:Put", len(body), obj.etag)
        self._deliver(deliveries)
        return Response(200, {"ETag": obj.etag})

    def copy_object(self, request: Request, bucket: str, key: str) -> Response:
        src = unquote(request.headers["x-amz-copy-source"]).lstrip("/").split("?", 1)[0]
        src_bucket, _, src_key = src.partition("/")
        with self._lock:
            sb = self._bucket(src_bucket)
            so = sb.objects.get(src_key)
            if so is None:
                raise S3Error("NoSuchKey", "The specified key does not exist.", 404, Key=src_key)
            b = self._bucket(bucket)
            if request.headers.get("x-amz-metadata-directive", "COPY") == "REPLACE":
                meta = {k[len("x-amz-meta-"):]: v for k, v in request.headers.items()
                        if k.startswith("x-amz-meta-")}
                ctype = request.headers.get("content-type") or so.content_type
            else:
                meta, ctype = dict(so.metadata), so.content_type
            obj = self._store(b, key, so.body, ctype, meta)
            deliveries = self._deliveries(b, key, "ObjectCreated:Copy", len(obj.body), obj.etag)
        self._deliver(deliveries)
        return self._xml("CopyObjectResult", f"<LastModified>{iso_millis(obj.last_modified)}</LastModified>"
                         f"{xml_value('ETag', obj.etag)}")

    def get_object(self, request: Request, bucket: str, key: str, head: bool = False) -> Response:
        with self._lock:
            b = self._bucket(bucket)
            obj = b.objects.get(key)
            if obj is None:
                raise S3Error("NoSuchKey", "The specified key does not exist.", 404, Key=key)
        headers = {"ETag": obj.etag, "Content-Type": obj.content_type, "Accept-Ranges": "bytes",
                   "Last-Modified": formatdate(obj.last_modified, usegmt=True)}
        headers.update({f"x-amz-meta-{k}": v for k, v in obj.metadata.items()})
        inm = request.headers.get("if-none-match")
        if inm and inm.strip() in (obj.etag, "*"):
            return Response(304, {"ETag": obj.etag})
        body, status = obj.body, 200
        rng = request.headers.get("range")
        if rng:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            size = len(obj.body)
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    start = int(m.group(1))
                    end = int(m.group(2)) if m.group(2) else size - 1
                else:
                    start, end = max(0, size - int(m.group(2))), size - 1
                end = min(end, size - 1)
                if start >= size or start > end:
                    raise S3Error("InvalidRange", "The requested range is not satisfiable", 416,
                                  RangeRequested=rng, ActualObjectSize=str(size))
                body, status = obj.body[start:end + 1], 206
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        if head:
            # No body (botocore treats a HEAD body as a malformed error). The object's size would
            # belong in Content-Length, but both adapters (service.py) set that header from the
            # body length themselves, so HeadObject reports ContentLength 0 until they keep a
            # service-set Content-Length for HEAD.
            headers["x-minilambda-object-size"] = str(len(body))
            return Response(status, headers, b"")
        return Response(status, headers, body)

    def delete_object(self, bucket: str, key: str) -> Response:
        with self._lock:
            b = self._bucket(bucket)
            deliveries = []
            if b.objects.pop(key, None) is not None:
                deliveries = self._deliveries(b, key, "ObjectRemoved:Delete", None, None)
        self._deliver(deliveries)
        return Response(204)

    def delete_objects(self, request: Request, bucket: str) -> Response:
        try:
            root = _strip_ns(ET.fromstring(request.body))
        except ET.ParseError:
            raise S3Error("MalformedXML", "The XML you provided was not well-formed or did not "
                          "validate against our published schema", 400) from None
        quiet = (root.findtext("Quiet") or "").lower() == "true"
        keys = [o.findtext("Key") or "" for o in root.findall("Object")]
        deliveries: list = []
        with self._lock:
            b = self._bucket(bucket)
            for k in keys:
                if b.objects.pop(k, None) is not None:
                    deliveries += self._deliveries(b, k, "ObjectRemoved:Delete", None, None)
        self._deliver(deliveries)
        inner = "" if quiet else "".join(f"<Deleted>{xml_value('Key', k)}</Deleted>" for k in keys)
        return self._xml("DeleteResult", inner)

    # ------------------------------------------------------------------ notifications

    def put_notification(self, request: Request, bucket: str) -> Response:
        try:
            root = _strip_ns(ET.fromstring(request.body or b"<NotificationConfiguration/>"))
        except ET.ParseError:
            raise S3Error("MalformedXML", "The XML you provided was not well-formed or did not "
                          "validate against our published schema", 400) from None
        configs: list[dict[str, Any]] = []
        kinds = (("CloudFunctionConfiguration", "CloudFunction", "lambda"),
                 ("QueueConfiguration", "Queue", "queue"), ("TopicConfiguration", "Topic", "topic"))
        for tag, arn_tag, kind in kinds:
            for el in root.findall(tag):
                events = [e.text or "" for e in el.findall("Event")]
                for e in events:
                    if e not in _EVENTS:
                        raise S3Error("InvalidArgument", "The event is not supported for notifications",
                                      400, ArgumentName=e, ArgumentValue=e)
                rules = []
                for fr in el.findall("Filter/S3Key/FilterRule"):
                    rname = (fr.findtext("Name") or "").lower()
                    if rname not in ("prefix", "suffix"):
                        raise S3Error("InvalidArgument", "filter rule name must be either prefix or suffix",
                                      400, ArgumentName="FilterRule.Name", ArgumentValue=rname)
                    rules.append((rname, fr.findtext("Value") or ""))
                configs.append({"kind": kind, "tag": tag, "arn_tag": arn_tag,
                                "id": el.findtext("Id") or self._config_id(),
                                "arn": el.findtext(arn_tag) or "", "events": events, "rules": rules})
        with self._lock:
            b = self._bucket(bucket)
            b.notifications = configs
        return Response(200)

    def _config_id(self) -> str:
        return base64.b64encode(self.rng.getrandbits(192).to_bytes(24, "big")).decode()[:32]

    def get_notification(self, request: Request, bucket: str) -> Response:
        with self._lock:
            b = self._bucket(bucket)
            configs = list(b.notifications)
        parts = []
        for order in ("TopicConfiguration", "QueueConfiguration", "CloudFunctionConfiguration"):
            for c in configs:
                if c["tag"] != order:
                    continue
                inner = xml_value("Id", c["id"]) + xml_value(c["arn_tag"], c["arn"])
                inner += "".join(xml_value("Event", e) for e in c["events"])
                if c["rules"]:
                    rules = "".join(f"<FilterRule>{xml_value('Name', n.capitalize())}"
                                    f"{xml_value('Value', v)}</FilterRule>" for n, v in c["rules"])
                    inner += f"<Filter><S3Key>{rules}</S3Key></Filter>"
                parts.append(f"<{order}>{inner}</{order}>")
        return self._xml("NotificationConfiguration", "".join(parts))

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
        self.create_bucket(Request("PUT", f"/{name}", {}, Headers()), name)

    def get_bytes(self, bucket: str, key: str) -> bytes:
        """An object's content (KeyError if absent)."""
        with self._lock:
            return self._bucket(bucket).objects[key].body
