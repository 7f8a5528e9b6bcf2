"""Presigned URLs (SigV4 in the query string): the signature checked with botocore's own signer,
the expiry on the Cloud's clock, and S3's errors when either fails.

The Cloud can check a signature only for an access key whose secret it holds (its own key pair);
URLs signed with an execution environment's temporary keys (``ASIA…``) are checked for expiry only.
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
    return request.q("X-Amz-Algorithm") == "AWS4-HMAC-SHA256" and request.q("X-Amz-Signature") is not None


def _denied(code: str, message: str, status: int = 403, **fields: str) -> AwsError:
    return AwsError(code, message, status, error_type=None, extra=fields)


def check_presigned(request: Request, now: float, secret_for: Callable[[str], str | None]) -> None:
    """Raise S3's error unless *request*'s query signature is valid and unexpired at *now*."""
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
    if now > signed_at + int(expires):
        raise _denied("AccessDenied", "Request has expired", **{
            "X-Amz-Expires": expires,
            "Expires": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(signed_at + int(expires))),
            "ServerTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})
    key = parts[0]
    secret = secret_for(key)
    if secret is None:
        if key.startswith("ASIA"):  # an environment's temporary key: the Cloud does not hold its secret
            return
        raise _denied("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.",
                      AWSAccessKeyId=key)
    expected = expected_signature(request, key, secret, parts[2], parts[3])
    if not hmac.compare_digest(expected, request.q("X-Amz-Signature") or ""):
        raise _denied("SignatureDoesNotMatch", "The request signature we calculated does not match the signature "
                      "you provided. Check your key and signing method.", AWSAccessKeyId=key,
                      SignatureProvided=request.q("X-Amz-Signature") or "")


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
