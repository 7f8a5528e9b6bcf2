"""The S3 adapter: AWS's rest-xml protocol (path-style requests) over ``S3Backend``."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from email.utils import formatdate
from typing import Any, Callable
from urllib.parse import quote, unquote

from ..errors import AwsError
from ..isotime import iso_millis
from ..wire import Adapter, Request, Response
from ..wire.presign import check_presigned, is_presigned
from ..wire.xml import xml_value
from . import s3_cors
from .s3 import Listing, S3Backend, S3Error
from .s3_multipart import MultipartUploads

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
_OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
_NOTIFICATION_KINDS = (("CloudFunctionConfiguration", "CloudFunction", "lambda"),
                       ("QueueConfiguration", "Queue", "queue"), ("TopicConfiguration", "Topic", "topic"))


def _strip_ns(elem: ET.Element) -> ET.Element:
    for e in elem.iter():
        if "}" in e.tag:
            e.tag = e.tag.split("}", 1)[1]
    return elem


def _parse_xml(body: bytes) -> ET.Element:
    try:
        return _strip_ns(ET.fromstring(body))
    except ET.ParseError:
        raise S3Error("MalformedXML", "The XML you provided was not well-formed or did not "
                      "validate against our published schema", 400) from None


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


_CORS_LISTS = (("AllowedHeaders", "AllowedHeader"), ("AllowedMethods", "AllowedMethod"),
               ("AllowedOrigins", "AllowedOrigin"), ("ExposeHeaders", "ExposeHeader"))


def _payload(request: Request) -> bytes:
    """The object bytes of a PUT (``aws-chunked`` bodies decoded)."""
    enc = request.headers.get("content-encoding", "") or ""
    if "aws-chunked" in enc or str(request.headers.get("x-amz-content-sha256", "")).startswith("STREAMING-"):
        return _decode_aws_chunked(request.body)
    return request.body


def _xml(tag: str, inner: str, status: int = 200) -> Response:
    return Response(status, {"Content-Type": "application/xml"},
                    f'{_XML_DECL}<{tag} xmlns="{NS}">{inner}</{tag}>'.encode())


def _metadata(request: Request) -> dict[str, str]:
    return {k[len("x-amz-meta-"):]: v for k, v in request.headers.items() if k.startswith("x-amz-meta-")}


def _labels(request: Request, *names: str) -> list[str]:
    """The request's Bucket (and Key) URI labels; an empty one is S3's ``InvalidRequest``."""
    missing = [name for name in names if not request.labels.get(name)]
    if missing:
        raise S3Error("InvalidRequest", f"A non-empty {missing[-1]} is required for {request.operation}.", 400)
    return [request.labels[name] for name in names]


class S3Api(Adapter):
    """Each botocore operation name → a handler; ``Bucket`` and ``Key`` come from the URI labels."""

    def __init__(self, backend: S3Backend, credentials: dict[str, str] | None = None) -> None:
        self.backend = backend
        self.uploads = MultipartUploads(backend)
        # access key → secret: the keys whose presigned URLs this Cloud can check (its own pair)
        self.credentials = dict(credentials or {"minilambda": "minilambda"})
        b, k = self._with_bucket, self._with_key
        self.operations = {
            "ListBuckets": self.list_buckets,
            "CreateBucket": b(self.create_bucket), "DeleteBucket": b(self.delete_bucket),
            "HeadBucket": b(self.head_bucket), "GetBucketLocation": b(self.get_location),
            "ListObjects": b(self.list_objects), "ListObjectsV2": b(self.list_objects),
            "DeleteObjects": b(self.delete_objects),
            "PutBucketNotificationConfiguration": b(self.put_notification),
            "GetBucketNotificationConfiguration": b(self.get_notification),
            "PutObject": k(self.put_object), "CopyObject": k(self.copy_object),
            "GetObject": k(self.get_object), "HeadObject": k(self.get_object),
            "DeleteObject": k(self.delete_object),
            "CreateMultipartUpload": k(self.create_multipart), "UploadPart": k(self.upload_part),
            "CompleteMultipartUpload": k(self.complete_multipart), "AbortMultipartUpload": k(self.abort_multipart),
            "ListParts": k(self.list_parts), "ListMultipartUploads": b(self.list_uploads),
            "PutBucketCors": b(self.put_cors), "GetBucketCors": b(self.get_cors),
            "DeleteBucketCors": b(self.delete_cors),
        }

    def handle(self, request: Request) -> Response:
        """Presigned URLs checked first; browsers' preflights answered from the bucket's CORS rules;
        answers to a request with an ``Origin`` carry the matching rule's headers."""
        try:
            if is_presigned(request):
                check_presigned(request, self.backend.clock.now(), self.credentials.get)
            if request.method == "OPTIONS":
                return self.preflight(request)
        except AwsError as err:
            return self.error_response(err, request)
        response = super().handle(request)
        origin = request.headers.get("origin")
        if origin and request.labels.get("Bucket"):
            response.headers.update(self._cors_for(request, origin))
        return response

    def _cors_for(self, request: Request, origin: str) -> dict[str, str]:
        try:
            rules = self.backend.cors(request.labels["Bucket"])
        except AwsError:
            return {}
        rule = s3_cors.matching_rule(rules or [], origin, request.method, [])
        return s3_cors.cors_headers(rule, origin) if rule else {}

    @staticmethod
    def _with_bucket(handler: Callable[[Request, str], Response]) -> Callable[[Request], Response]:
        return lambda request: handler(request, *_labels(request, "Bucket"))

    @staticmethod
    def _with_key(handler: Callable[[Request, str, str], Response]) -> Callable[[Request], Response]:
        return lambda request: handler(request, *_labels(request, "Bucket", "Key"))

    def unknown_operation(self, request: Request) -> AwsError:
        return S3Error("NotImplemented", "A header or query you provided implies functionality "
                       "that is not implemented.", 501)

    def error_response(self, err: AwsError, request: Request) -> Response:
        rid = f"{self.backend.rng.getrandbits(64):016X}"
        headers = {"Content-Type": "application/xml", "x-amz-request-id": rid}
        if request.method == "HEAD":  # HEAD answers carry no body: botocore then reports the status ("404")
            return Response(err.status, headers, b"")
        extra = "".join(xml_value(k, v) for k, v in err.extra.items())
        body = (f"{_XML_DECL}<Error>{xml_value('Code', err.code)}{xml_value('Message', err.message)}"
                f"{extra}<RequestId>{rid}</RequestId><HostId>{base64.b64encode(rid.encode()).decode()}"
                "</HostId></Error>")
        return Response(err.status, headers, body.encode())

    # ------------------------------------------------------------------ buckets

    def list_buckets(self, request: Request) -> Response:
        items = "".join(f"<Bucket>{xml_value('Name', b.name)}<CreationDate>{iso_millis(b.created)}</CreationDate>"
                        f"{xml_value('BucketRegion', b.region)}</Bucket>" for b in self.backend.buckets())
        return _xml("ListAllMyBucketsResult",
                    f"<Owner><ID>{_OWNER_ID}</ID><DisplayName>minilambda</DisplayName></Owner>"
                    f"<Buckets>{items}</Buckets>")

    def create_bucket(self, request: Request, name: str) -> Response:
        location = _parse_xml(request.body).findtext("LocationConstraint") if request.body else None
        self.backend.create_bucket(name, location or None)
        return Response(200, {"Location": f"/{name}"})

    def delete_bucket(self, request: Request, name: str) -> Response:
        self.backend.delete_bucket(name)
        return Response(204)

    def head_bucket(self, request: Request, name: str) -> Response:
        b = self.backend.bucket(name)
        return Response(200, {"x-amz-bucket-region": b.region, "Content-Type": "application/xml"})

    def get_location(self, request: Request, name: str) -> Response:
        b = self.backend.bucket(name)
        return _xml("LocationConstraint", "" if b.region == "us-east-1" else b.region)

    def list_objects(self, request: Request, name: str) -> Response:
        v2 = request.q("list-type") == "2"
        prefix = request.q("prefix", "") or ""
        delimiter = request.q("delimiter") or None
        max_keys = int(request.q("max-keys", "1000") or 1000)
        token = request.q("continuation-token") if v2 else None
        after = (request.q("start-after") if v2 else request.q("marker")) or ""
        if token:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode()
            except Exception:
                raise S3Error("InvalidArgument", "The continuation token provided is incorrect", 400,
                              ArgumentName="continuation-token") from None
        page = self.backend.list_objects(name, prefix, delimiter, max_keys, after)
        return _xml("ListBucketResult", self._listing_xml(request, name, page, prefix, delimiter, max_keys, after))

    @staticmethod
    def _listing_xml(request: Request, name: str, page: Listing, prefix: str, delimiter: str | None,
                     max_keys: int, after: str) -> str:
        v2 = request.q("list-type") == "2"
        url = request.q("encoding-type") == "url"
        token = request.q("continuation-token") if v2 else None

        def enc(s: str) -> str:
            return quote(s, safe="/") if url else s

        parts = [xml_value("Name", name), xml_value("Prefix", enc(prefix))]
        parts.append(xml_value("KeyCount", len(page.contents) + len(page.prefixes)) if v2
                     else xml_value("Marker", enc(after)))
        parts.append(xml_value("MaxKeys", max_keys))
        if delimiter:
            parts.append(xml_value("Delimiter", enc(delimiter)))
        if url:
            parts.append(xml_value("EncodingType", "url"))
        parts.append(xml_value("IsTruncated", page.truncated))
        if v2 and token:
            parts.append(xml_value("ContinuationToken", token))
        if v2 and request.q("start-after"):
            parts.append(xml_value("StartAfter", enc(request.q("start-after") or "")))
        if page.truncated and v2:
            parts.append(xml_value("NextContinuationToken", base64.urlsafe_b64encode(page.last.encode()).decode()))
        if page.truncated and not v2 and delimiter:
            parts.append(xml_value("NextMarker", enc(page.last)))
        for o in page.contents:
            parts.append(f"<Contents>{xml_value('Key', enc(o.key))}<LastModified>{iso_millis(o.last_modified)}"
                         f"</LastModified>{xml_value('ETag', o.etag)}<Size>{len(o.body)}</Size>"
                         f"<StorageClass>STANDARD</StorageClass></Contents>")
        for cp in page.prefixes:
            parts.append(f"<CommonPrefixes>{xml_value('Prefix', enc(cp))}</CommonPrefixes>")
        return "".join(parts)

    def delete_objects(self, request: Request, bucket: str) -> Response:
        root = _parse_xml(request.body)
        quiet = (root.findtext("Quiet") or "").lower() == "true"
        keys = [o.findtext("Key") or "" for o in root.findall("Object")]
        self.backend.delete_objects(bucket, keys)
        inner = "" if quiet else "".join(f"<Deleted>{xml_value('Key', k)}</Deleted>" for k in keys)
        return _xml("DeleteResult", inner)

    # ------------------------------------------------------------------ objects

    def put_object(self, request: Request, bucket: str, key: str) -> Response:
        body = _payload(request)
        obj = self.backend.put_object(bucket, key, body, request.headers.get("content-type"), _metadata(request),
                                      request.headers.get("content-md5"))
        return Response(200, {"ETag": obj.etag})

    def copy_object(self, request: Request, bucket: str, key: str) -> Response:
        src = unquote(request.headers["x-amz-copy-source"]).lstrip("/").split("?", 1)[0]
        src_bucket, _, src_key = src.partition("/")
        replace = None
        if request.headers.get("x-amz-metadata-directive", "COPY") == "REPLACE":
            replace = (_metadata(request), request.headers.get("content-type"))
        obj = self.backend.copy_object(src_bucket, src_key, bucket, key, replace)
        return _xml("CopyObjectResult", f"<LastModified>{iso_millis(obj.last_modified)}</LastModified>"
                    f"{xml_value('ETag', obj.etag)}")

    def get_object(self, request: Request, bucket: str, key: str) -> Response:
        obj = self.backend.get_object(bucket, key)
        headers = {"ETag": obj.etag, "Content-Type": obj.content_type, "Accept-Ranges": "bytes",
                   "Last-Modified": formatdate(obj.last_modified, usegmt=True)}
        headers.update({f"x-amz-meta-{k}": v for k, v in obj.metadata.items()})
        inm = request.headers.get("if-none-match")
        if inm and inm.strip() in (obj.etag, "*"):
            return Response(304, {"ETag": obj.etag})
        body, status = obj.body, 200
        rng = request.headers.get("range")
        if rng:
            body, status = self._range(rng, obj.body, headers)
        if request.method == "HEAD":  # no body; Content-Length is what a GET would send
            headers["Content-Length"] = str(len(body))
            return Response(status, headers, b"")
        return Response(status, headers, body)

    @staticmethod
    def _range(rng: str, data: bytes, headers: dict[str, str]) -> tuple[bytes, int]:
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
        size = len(data)
        if not (m and (m.group(1) or m.group(2))):
            return data, 200
        if m.group(1):
            start = int(m.group(1))
            end = int(m.group(2)) if m.group(2) else size - 1
        else:
            start, end = max(0, size - int(m.group(2))), size - 1
        end = min(end, size - 1)
        if start >= size or start > end:
            raise S3Error("InvalidRange", "The requested range is not satisfiable", 416,
                          RangeRequested=rng, ActualObjectSize=str(size))
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return data[start:end + 1], 206

    def delete_object(self, request: Request, bucket: str, key: str) -> Response:
        self.backend.delete_objects(bucket, [key])
        return Response(204)

    # ------------------------------------------------------------------ multipart uploads

    def create_multipart(self, request: Request, bucket: str, key: str) -> Response:
        upload = self.uploads.create(bucket, key, request.headers.get("content-type"), _metadata(request))
        return _xml("InitiateMultipartUploadResult", xml_value("Bucket", bucket) + xml_value("Key", key)
                    + xml_value("UploadId", upload.upload_id))

    def upload_part(self, request: Request, bucket: str, key: str) -> Response:
        number = request.q("partNumber") or ""
        if not number.isdigit():
            raise S3Error("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", 400,
                          ArgumentName="partNumber", ArgumentValue=number)
        part = self.uploads.upload_part(bucket, key, request.q("uploadId") or "", int(number), _payload(request))
        return Response(200, {"ETag": part.etag})

    def complete_multipart(self, request: Request, bucket: str, key: str) -> Response:
        root = _parse_xml(request.body or b"<CompleteMultipartUpload/>")
        listed = []
        for el in root.findall("Part"):
            number = (el.findtext("PartNumber") or "").strip()
            if not number.isdigit():
                raise S3Error("MalformedXML", "The XML you provided was not well-formed or did not validate "
                              "against our published schema", 400)
            listed.append((int(number), (el.findtext("ETag") or "").strip()))
        obj = self.uploads.complete(bucket, key, request.q("uploadId") or "", listed)
        location = f"http://{request.headers.get('host', 's3.amazonaws.com')}/{bucket}/{quote(key)}"
        return _xml("CompleteMultipartUploadResult", xml_value("Location", location) + xml_value("Bucket", bucket)
                    + xml_value("Key", key) + xml_value("ETag", obj.etag))

    def abort_multipart(self, request: Request, bucket: str, key: str) -> Response:
        self.uploads.abort(bucket, key, request.q("uploadId") or "")
        return Response(204)

    def list_parts(self, request: Request, bucket: str, key: str) -> Response:
        upload_id = request.q("uploadId") or ""
        parts = "".join(f"<Part>{xml_value('PartNumber', p.number)}<LastModified>{iso_millis(p.uploaded)}"
                        f"</LastModified>{xml_value('ETag', p.etag)}{xml_value('Size', len(p.body))}</Part>"
                        for p in self.uploads.parts(bucket, key, upload_id))
        return _xml("ListPartsResult", xml_value("Bucket", bucket) + xml_value("Key", key)
                    + xml_value("UploadId", upload_id) + "<IsTruncated>false</IsTruncated>" + parts)

    def list_uploads(self, request: Request, bucket: str) -> Response:
        items = "".join(f"<Upload>{xml_value('Key', u.key)}{xml_value('UploadId', u.upload_id)}<Initiated>"
                        f"{iso_millis(u.initiated)}</Initiated></Upload>" for u in self.uploads.uploads(bucket))
        return _xml("ListMultipartUploadsResult", xml_value("Bucket", bucket) + "<IsTruncated>false</IsTruncated>"
                    + items)

    # ------------------------------------------------------------------ CORS

    def put_cors(self, request: Request, bucket: str) -> Response:
        root = _parse_xml(request.body or b"<CORSConfiguration/>")
        rules = []
        for el in root.findall("CORSRule"):
            rule: dict[str, Any] = {name: [e.text or "" for e in el.findall(tag)] for name, tag in _CORS_LISTS}
            if el.findtext("ID"):
                rule["ID"] = el.findtext("ID")
            if (el.findtext("MaxAgeSeconds") or "").strip().isdigit():
                rule["MaxAgeSeconds"] = int(el.findtext("MaxAgeSeconds") or 0)
            rules.append({k: v for k, v in rule.items() if v != []})
        s3_cors.check_rules(rules)
        self.backend.put_cors(bucket, rules)
        return Response(200)

    def get_cors(self, request: Request, bucket: str) -> Response:
        rules = self.backend.cors(bucket)
        if rules is None:
            raise S3Error("NoSuchCORSConfiguration", "The CORS configuration does not exist", 404, BucketName=bucket)
        inner = ""
        for rule in rules:
            parts = xml_value("ID", rule.get("ID"))
            for name, tag in _CORS_LISTS:
                parts += "".join(xml_value(tag, v) for v in rule.get(name, []))
            parts += xml_value("MaxAgeSeconds", rule.get("MaxAgeSeconds"))
            inner += f"<CORSRule>{parts}</CORSRule>"
        return _xml("CORSConfiguration", inner)

    def delete_cors(self, request: Request, bucket: str) -> Response:
        self.backend.delete_cors(bucket)
        return Response(204)

    def preflight(self, request: Request) -> Response:
        """A browser's ``OPTIONS`` preflight, answered from the bucket's CORS rules."""
        bucket = (request.raw_path or request.path).lstrip("/").split("/", 1)[0]
        rules = self.backend.cors(unquote(bucket)) if bucket else None
        wanted = [h.strip().lower() for h in (request.headers.get("access-control-request-headers") or "").split(",")
                  if h.strip()]
        headers = s3_cors.preflight(rules, request.headers.get("origin"),
                                    request.headers.get("access-control-request-method"), wanted,
                                    "OBJECT" if "/" in (request.raw_path or request.path).lstrip("/") else "BUCKET")
        return Response(200, headers)

    # ------------------------------------------------------------------ notifications

    def put_notification(self, request: Request, bucket: str) -> Response:
        root = _parse_xml(request.body or b"<NotificationConfiguration/>")
        configs: list[dict[str, Any]] = []
        for tag, arn_tag, kind in _NOTIFICATION_KINDS:
            for el in root.findall(tag):
                rules = []
                for fr in el.findall("Filter/S3Key/FilterRule"):
                    rname = (fr.findtext("Name") or "").lower()
                    if rname not in ("prefix", "suffix"):
                        raise S3Error("InvalidArgument", "filter rule name must be either prefix or suffix",
                                      400, ArgumentName="FilterRule.Name", ArgumentValue=rname)
                    rules.append((rname, fr.findtext("Value") or ""))
                configs.append({"kind": kind, "tag": tag, "arn_tag": arn_tag, "id": el.findtext("Id"),
                                "arn": el.findtext(arn_tag) or "", "events": [e.text or "" for e in el.findall("Event")],
                                "rules": rules})
        self.backend.put_notifications(bucket, configs)
        return Response(200)

    def get_notification(self, request: Request, bucket: str) -> Response:
        configs = self.backend.notifications(bucket)
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
        return _xml("NotificationConfiguration", "".join(parts))
