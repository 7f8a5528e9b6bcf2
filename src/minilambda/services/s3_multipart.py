"""S3 multipart uploads (what ``aws s3 cp`` and boto3's transfer manager use for large files):
create, upload parts, complete (AWS's ETag ``md5(part md5s)-N``), abort, list parts.

AWS's rules: part numbers 1–10,000; every part but the last at least 5 MiB; parts listed in
ascending order with the ETags the uploads returned; an unknown upload id is ``NoSuchUpload``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from .s3 import S3Backend, S3Error, S3Object

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000


@dataclass(frozen=True)
class Part:
    """One uploaded part: its number, bytes and quoted MD5 ETag."""

    number: int
    body: bytes
    etag: str
    uploaded: float


@dataclass(eq=False)
class Upload:
    """One multipart upload in progress."""

    upload_id: str
    bucket: str
    key: str
    content_type: str
    metadata: dict[str, str]
    initiated: float
    parts: dict[int, Part] = field(default_factory=dict)


def _no_upload(upload_id: str) -> S3Error:
    return S3Error("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload "
                   "may have been aborted or completed.", 404, UploadId=upload_id)


def multipart_etag(parts: list[Part]) -> str:
    """S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, then ``-<count>``."""
    digest = hashlib.md5(b"".join(hashlib.md5(p.body).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


class MultipartUploads:
    """The multipart uploads of one S3 backend."""

    def __init__(self, backend: S3Backend) -> None:
        self.backend = backend
        self._uploads: dict[str, Upload] = {}

    def create(self, bucket: str, key: str, content_type: str | None, metadata: dict[str, str]) -> Upload:
        with self.backend._lock:
            self.backend._bucket(bucket)
            upload_id = "".join(self.backend.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(64))
            upload = Upload(upload_id, bucket, key, content_type or "binary/octet-stream", metadata,
                            self.backend.clock.now())
            self._uploads[upload_id] = upload
            return upload

    def _upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        upload = self._uploads.get(upload_id)
        if upload is None or upload.bucket != bucket or upload.key != key:
            self.backend._bucket(bucket)
            raise _no_upload(upload_id)
        return upload

    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, body: bytes) -> Part:
        if not 1 <= number <= MAX_PART_NUMBER:
            raise S3Error("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", 400,
                          ArgumentName="partNumber", ArgumentValue=str(number))
        with self.backend._lock:
            upload = self._upload(bucket, key, upload_id)
            part = Part(number, body, f'"{hashlib.md5(body).hexdigest()}"', self.backend.clock.now())
            upload.parts[number] = part
            return part

    def complete(self, bucket: str, key: str, upload_id: str, listed: list[tuple[int, str]]) -> S3Object:
        with self.backend._lock:
            upload = self._upload(bucket, key, upload_id)
            parts = self._chosen(upload, listed)
            b = self.backend._bucket(bucket)
            obj = self.backend._store(b, key, b"".join(p.body for p in parts), upload.content_type, upload.metadata)
            obj.etag = multipart_etag(parts)
            del self._uploads[upload_id]
            deliveries = self.backend._deliveries(b, key, "ObjectCreated:CompleteMultipartUpload", len(obj.body),
                                                  obj.etag)
        self.backend._deliver(deliveries)
        return obj

    @staticmethod
    def _chosen(upload: Upload, listed: list[tuple[int, str]]) -> list[Part]:
        """The parts a CompleteMultipartUpload lists, checked as S3 checks them."""
        if not listed:
            raise S3Error("MalformedXML", "The XML you provided was not well-formed or did not validate against "
                          "our published schema", 400)
        numbers = [n for n, _ in listed]
        if numbers != sorted(set(numbers)):
            raise S3Error("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered "
                          "by part number.", 400, UploadId=upload.upload_id)
        parts = []
        for number, etag in listed:
            part = upload.parts.get(number)
            if part is None or part.etag.strip('"') != etag.strip('"'):
                raise S3Error("InvalidPart", "One or more of the specified parts could not be found.  The part may "
                              "not have been uploaded, or the specified entity tag may not match the part's entity "
                              "tag.", 400, UploadId=upload.upload_id, PartNumber=str(number), ETag=etag)
            parts.append(part)
        for part in parts[:-1]:
            if len(part.body) < MIN_PART_SIZE:
                raise S3Error("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400,
                              ProposedSize=str(len(part.body)), MinSizeAllowed=str(MIN_PART_SIZE),
                              PartNumber=str(part.number), ETag=part.etag)
        return parts

    def abort(self, bucket: str, key: str, upload_id: str) -> None:
        with self.backend._lock:
            self._upload(bucket, key, upload_id)
            del self._uploads[upload_id]

    def parts(self, bucket: str, key: str, upload_id: str) -> list[Part]:
        with self.backend._lock:
            return sorted(self._upload(bucket, key, upload_id).parts.values(), key=lambda p: p.number)

    def uploads(self, bucket: str) -> list[Upload]:
        with self.backend._lock:
            self.backend._bucket(bucket)
            return sorted((u for u in self._uploads.values() if u.bucket == bucket), key=lambda u: (u.key, u.initiated))

    def describe(self, upload: Upload) -> dict[str, Any]:
        return {"Key": upload.key, "UploadId": upload.upload_id, "Initiated": upload.initiated}
