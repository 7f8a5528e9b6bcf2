"""The Cloud's access keys, and the loopback endpoint's SigV4 check of header-signed requests.

* ``CredentialStore``: every key pair the Cloud knows, by access key id: its own (``minilambda`` /
  ``minilambda``), those added with ``cloud.apigateway.add_credentials``, and each execution
  environment's temporary ``ASIA…`` keys (with their session token) while the environment lives.
  It shares its dict with API Gateway's ``credentials`` (one store, not two copies).
* ``SignatureCheck``: called by the loopback endpoint before dispatch; the signature itself is
  recomputed by ``apigateway.sigv4_auth.verify_sigv4`` (botocore's signer), which the Cloud passes in
  as ``verify`` (wire/ may not import apigateway/: that would be an import cycle). Refusals are
  written in the service's protocol: json, rest-json, query (``InvalidClientTokenId``,
  ``SignatureDoesNotMatch``, …) or S3's XML (``InvalidAccessKeyId``, ``RequestTimeTooSkewed``, …).
"""

from __future__ import annotations

import calendar
import json
import threading
import time
from typing import Any, Callable, Mapping, Protocol

from ..errors import AwsError
from .adapters import query_error
from .messages import Request, Response

S3_MAX_SKEW_S = 900  # S3 allows 15 minutes (RequestTimeTooSkewed); other services 5 (in sigv4_auth)
_UNSIGNED_OK = ("s3", "cognito-idp")  # anonymous S3, Cognito's unsigned SignUp/InitiateAuth/.well-known
_MISSING = "Request is missing Authentication Token"  # STS's words (a captured reply); JSON services' unverified
_S3_UNKNOWN_KEY = "The AWS Access Key Id you provided does not exist in our records."
_S3_MISMATCH = ("The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method.")
_QUERY_CODES = {"UnrecognizedClientException": "InvalidClientTokenId", "InvalidSignatureException":
                "SignatureDoesNotMatch", "IncompleteSignatureException": "IncompleteSignature",
                "ExpiredTokenException": "ExpiredToken", "MissingAuthenticationTokenException":
                "MissingAuthenticationToken"}


class Verdict(Protocol):
    """What ``sigv4_auth.verify_sigv4`` answers: allowed, or a 403 with a type and a JSON message."""

    allowed: bool
    body: str
    error_type: str | None


Verify = Callable[[str, str, list[tuple[str, str]], bytes, str, float], Verdict]


class CredentialStore:
    """Access key id → credential (an ``apigateway.sigv4_auth.Credential``), guarded by a lock."""

    def __init__(self, keys: dict[str, Any]) -> None:
        self._keys = keys  # shared with API Gateway's AWS_IAM check and function URLs
        self._lock = threading.Lock()

    def add(self, credential: Any) -> None:
        """Make *credential* (``access_key_id``, ``secret_access_key``, ``session_token``) valid."""
        with self._lock:
            self._keys[credential.access_key_id] = credential

    def remove(self, access_key_id: str) -> None:
        """Forget a key (an environment's temporary keys, when the environment is reclaimed)."""
        with self._lock:
            self._keys.pop(access_key_id, None)

    def get(self, access_key_id: str) -> Any:
        """The credential of *access_key_id*, or None."""
        with self._lock:
            return self._keys.get(access_key_id)

    def secret(self, access_key_id: str) -> str | None:
        """The secret access key of *access_key_id*, or None (S3's presigned-URL check)."""
        found = self.get(access_key_id)
        return found.secret_access_key if found is not None else None

    def __contains__(self, access_key_id: object) -> bool:
        return self.get(str(access_key_id)) is not None

    @property
    def secrets(self) -> "SecretView":
        """A read-only view ``.get(key) -> secret`` (what S3's presigned-URL check asks)."""
        return SecretView(self)


class SecretView:
    """``get(access_key_id)`` → the secret access key, or None: the store seen by S3's adapter."""

    def __init__(self, store: CredentialStore) -> None:
        self._store = store

    def get(self, access_key_id: str) -> str | None:
        """The secret of *access_key_id*, or None."""
        return self._store.secret(access_key_id)


def _scope(request: Request, service: str) -> tuple[str, str, str] | None:
    """(access key id, region, signing name) of a SigV4 ``Authorization`` header (or, except for S3,
    which checks its presigned URLs itself, of an ``X-Amz-Credential`` query), else None."""
    authorization = request.headers.get("authorization", "")
    if authorization.startswith("AWS4-HMAC-SHA256"):
        credential = authorization.partition("Credential=")[2].split(",", 1)[0].strip().split("/")
    elif service != "s3" and request.q("X-Amz-Credential"):
        credential = (request.q("X-Amz-Credential") or "").split("/")
    else:
        return None
    if len(credential) != 5:
        return None
    return credential[0], credential[2], credential[3]


def _is_query_call(request: Request) -> bool:
    """An AWS query-protocol call (a form with ``Action``), which S3 never receives."""
    form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    return request.q("Action") is not None or (form and request.method == "POST" and b"Action=" in request.body)


def _signed_at(request: Request) -> float | None:
    try:
        stamp = request.headers.get("x-amz-date") or request.q("X-Amz-Date") or ""
        return float(calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ")))
    except ValueError:
        return None


class SignatureCheck:
    """The loopback's gate: ``check(service, request, url)`` → None (go on) or AWS's 403 answer."""

    def __init__(self, verify: Verify, store: CredentialStore, now: Callable[[], float], region: str,
                 protocol_of: Callable[[str], str], s3_errors: Callable[[AwsError, Request], Response],
                 wall: Callable[[], float] = time.time) -> None:
        self.verify = verify
        self.store = store
        self.now = now
        self.region = region
        self.protocol_of = protocol_of
        self.s3_errors = s3_errors
        self.wall = wall

    def reference_time(self, request: Request) -> float:
        """The Cloud's clock, or the host's wall clock when the signature is nearer to it.

        Clients (handlers' boto3, the AWS CLI) sign with the host's wall clock, which a virtual
        clock does not move: a request on time by either clock is on time."""
        signed = _signed_at(request)
        cloud, wall = self.now(), self.wall()
        if signed is None:
            return cloud
        return min((cloud, wall), key=lambda t: abs(t - signed))

    def check(self, service: str | None, request: Request, url: str) -> Response | None:
        """None when *request* may reach *service*; otherwise the service's refusal."""
        service = service or "s3"
        scope = _scope(request, service)
        if scope is None:
            if "authorization" in request.headers:
                return None  # a non-SigV4 (SigV2) header is not checked
            if service == "s3" and _is_query_call(request):  # an unsigned SNS/STS/… form post
                return query_error(AwsError("MissingAuthenticationToken", _MISSING, 403), "", "")
            if service in _UNSIGNED_OK:
                return None  # S3 checks its own presigned URLs
            return self._refuse(service, request, "MissingAuthenticationTokenException", _MISSING)
        now = self.reference_time(request)
        signed = _signed_at(request)
        if service == "s3" and signed is not None and abs(signed - now) <= S3_MAX_SKEW_S:
            now = signed  # within S3's 15 minutes: only the signature itself is checked
        verdict = self.verify(request.method, url, list(request.headers.items()), request.body, scope[2], now)
        if verdict.allowed:
            return None
        message = json.loads(verdict.body or "{}").get("message", "")
        return self._refuse(service, request, verdict.error_type or "AccessDeniedException", message, scope)

    def _refuse(self, service: str, request: Request, code: str, message: str,
                scope: tuple[str, str, str] | None = None) -> Response:
        protocol = self.protocol_of(service)
        if service == "s3":
            return self.s3_errors(self._s3_error(code, message, request, scope), request)
        if protocol == "query" or (request.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded") and "x-amz-target" not in request.headers):
            return query_error(AwsError(_QUERY_CODES.get(code, code), message, 403), "", "")
        body: dict[str, str] = {"message": message}
        content_type = "application/json"
        if protocol == "json":
            body = {"__type": code, "message": message}
            content_type = request.headers.get("content-type", "") or "application/x-amz-json-1.1"
        return Response(403, {"x-amzn-ErrorType": code, "Content-Type": content_type}, json.dumps(body).encode())

    def _s3_error(self, code: str, message: str, request: Request, scope: tuple[str, str, str] | None) -> AwsError:
        """S3's names for SigV4 refusals (its own codes and wording, XML fields)."""
        key = scope[0] if scope else ""
        if code == "UnrecognizedClientException" and key in self.store:
            return AwsError("InvalidToken", "The provided token is malformed or otherwise invalid.", 400,
                            error_type=None, extra={"Token-0": request.headers.get("x-amz-security-token", "")})
        if code == "UnrecognizedClientException":
            return AwsError("InvalidAccessKeyId", _S3_UNKNOWN_KEY, 403, error_type=None,
                            extra={"AWSAccessKeyId": key})
        if message.startswith(("Signature expired", "Signature not yet current")):
            return self._skewed(request)
        if code == "InvalidSignatureException" and message.startswith("The request signature"):
            return AwsError("SignatureDoesNotMatch", _S3_MISMATCH, 403, error_type=None, extra=_mismatch_fields(
                key, request, message))
        if scope is not None and scope[1] != self.region:
            return AwsError("AuthorizationHeaderMalformed", f"The authorization header is malformed; the region "
                            f"'{scope[1]}' is wrong; expecting '{self.region}'", 400, error_type=None,
                            extra={"Region": self.region})
        return AwsError("AccessDenied", message or "Access Denied", 403, error_type=None)

    def _skewed(self, request: Request) -> AwsError:
        stamp = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
        signed = _signed_at(request) or 0.0
        return AwsError("RequestTimeTooSkewed", "The difference between the request time and the current time "
                        "is too large.", 403, error_type=None,
                        extra={"RequestTime": stamp(signed), "ServerTime": stamp(self.now()),
                               "MaxAllowedSkewMilliseconds": str(S3_MAX_SKEW_S * 1000)})


def _mismatch_fields(key: str, request: Request, message: str) -> Mapping[str, str]:
    """S3's SignatureDoesNotMatch fields: the key, the string to sign and the canonical request."""
    _, _, rest = message.partition("The Canonical String for this request should have been\n'")
    canonical, _, rest = rest.partition("'\n\nThe String-to-Sign should have been\n'")
    to_sign = rest.rsplit("'\n", 1)[0]
    provided = request.headers.get("authorization", "").rpartition("Signature=")[2].strip()
    return {"AWSAccessKeyId": key, "StringToSign": to_sign, "SignatureProvided": provided,
            "CanonicalRequest": canonical}
