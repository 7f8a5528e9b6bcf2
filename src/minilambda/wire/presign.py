"""Presigned URLs (SigV4 in the query string): the signature checked with botocore's own signer,
the expiry on the Cloud's clock, and S3's errors when either fails.

``secret_for`` is the Cloud's credential store (``credentials.CredentialStore.secrets``): its own key
pair, keys added with ``cloud.apigateway.add_credentials``, and each live execution environment's
temporary ``ASIA…`` keys, so URLs a handler signs are fully checked too; once the environment is
reclaimed its keys are unknown (``InvalidAccessKeyId``).
"""

from __future__ import annotations

import calendar
import hmac
import time
from typing import Callable

from ..errors import AwsError
from .messages import Request

MAX_EXPIRES = 604_800  # a week: SigV4's longest presigned URL


def is_presigned(request: Request) -> bool:
    """A SigV4 (``X-Amz-Signature``) or SigV2 (``Signature`` + ``Expires``: botocore's default for S3
    on a custom endpoint) query-string signature."""
    return request.q("X-Amz-Signature") is not None or (
        request.q("Signature") is not None and request.q("AWSAccessKeyId") is not None)


def _key_secret(key: str, secret_for: Callable[[str], str | None]) -> str:
    """The secret of *key*; S3's error for a key the Cloud does not know."""
    secret = secret_for(key)
    if secret is None:
        raise _denied("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.",
                      AWSAccessKeyId=key)
    return secret


def _expired(expires_at: int, now: float, fields: dict[str, str]) -> None:
    if now > expires_at:
        raise _denied("AccessDenied", "Request has expired", **fields,
                      Expires=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires_at)),
                      ServerTime=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)))


def _mismatch(key: str, provided: str) -> AwsError:
    return _denied("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you "
                   "provided. Check your key and signing method.", AWSAccessKeyId=key, SignatureProvided=provided)


def check_presigned_v2(request: Request, now: float, secret_for: Callable[[str], str | None]) -> None:
    """SigV2 query authentication (``AWSAccessKeyId``, ``Expires``, ``Signature``), checked with botocore."""
    from urllib.parse import urlsplit

    from botocore.auth import HmacV1QueryAuth
    from botocore.awsrequest import HTTPHeaders
    from botocore.credentials import Credentials
    from botocore.utils import percent_encode_sequence

    expires, key = request.q("Expires") or "", request.q("AWSAccessKeyId") or ""
    if not expires.isdigit():
        raise _denied("AccessDenied", "Query-string authentication requires the Signature, Expires and "
                      "AWSAccessKeyId parameters")
    _expired(int(expires), now, {})
    secret = _key_secret(key, secret_for)
    rest = [(k, v) for k, values in request.query.items() if k not in ("Signature", "AWSAccessKeyId", "Expires")
            for v in values]
    split = urlsplit(f"http://host{request.raw_path or request.path}?{percent_encode_sequence(rest)}")
    headers = HTTPHeaders()
    for name, value in request.headers.items():
        if name in ("content-type", "content-md5") or name.startswith("x-amz-"):
            headers[name] = value
    for name, values in request.query.items():  # botocore moved these signed headers to the query
        if name.lower().startswith("x-amz-") and values:
            headers[name.lower()] = values[0]
    class _SignedUntil(HmacV1QueryAuth):
        def _get_date(self) -> str:  # the URL's own Expires, not "now + expires"
            return expires

    signer = _SignedUntil(Credentials(key, secret))
    expected = signer.get_signature(request.method, split, headers, auth_path=request.raw_path or request.path)
    if not hmac.compare_digest(expected, request.q("Signature") or ""):
        raise _mismatch(key, request.q("Signature") or "")


def _denied(code: str, message: str, status: int = 403, **fields: str) -> AwsError:
    return AwsError(code, message, status, error_type=None, extra=fields)


def check_presigned(request: Request, now: float, secret_for: Callable[[str], str | None]) -> None:
    """Raise S3's error unless *request*'s query signature is valid and unexpired at *now*."""
    if request.q("X-Amz-Signature") is None:
        check_presigned_v2(request, now, secret_for)
        return
    credential = request.q("X-Amz-Credential") or ""
    parts = credential.split("/")
    stamp, expires = request.q("X-Amz-Date") or "", request.q("X-Amz-Expires") or ""
    if len(parts) != 5 or not expires.isdigit() or len(stamp) != 16:
        raise _denied("AuthorizationQueryParametersError", "Query-string authentication version 4 requires the "
                      "X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                      "X-Amz-Expires parameters.", 400)
    if int(expires) > MAX_EXPIRES:
        raise _denied("AuthorizationQueryParametersError",
                      "X-Amz-Expires must be less than a week (in seconds) that is 604800", 400)
    try:
        signed_at = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        raise _denied("AuthorizationQueryParametersError", f"Invalid date format of header: X-Amz-Date ({stamp})",
                      400) from None
    _expired(signed_at + int(expires), now, {"X-Amz-Expires": expires})
    key = parts[0]
    secret = _key_secret(key, secret_for)
    expected = expected_signature(request, key, secret, parts[2], parts[3])
    if not hmac.compare_digest(expected, request.q("X-Amz-Signature") or ""):
        raise _mismatch(key, request.q("X-Amz-Signature") or "")


def expected_signature(request: Request, key: str, secret: str, region: str, service: str) -> str:
    """The signature botocore's presigner would compute for this request (S3's rules: path as sent,
    ``UNSIGNED-PAYLOAD``, the headers named in ``X-Amz-SignedHeaders``)."""
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.utils import percent_encode_sequence

    query = [(k, v) for k, values in request.query.items() if k != "X-Amz-Signature" for v in values]
    signed = (request.q("X-Amz-SignedHeaders") or "host").split(";")
    headers = {name: request.headers.get(name, "") for name in signed}
    path = request.raw_path or request.path
    url = f"http://{headers.get('host', '')}{path}?{percent_encode_sequence(query)}"
    aws_request = AWSRequest(method=request.method, url=url, headers=headers)
    aws_request.context["timestamp"] = request.q("X-Amz-Date")
    signer = S3SigV4QueryAuth(Credentials(key, secret), service, region)
    canonical = signer.canonical_request(aws_request)
    return signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
