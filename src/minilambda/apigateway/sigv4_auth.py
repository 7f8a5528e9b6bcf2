"""IAM (``AWS_IAM``) authorization: the request's SigV4 signature verified with botocore's own signer.

Interface (pure; the caller passes ``now`` from its clock and a credentials lookup):

* ``verify_sigv4(request, lookup, now, *, region, service="execute-api") -> SigV4Result``
  - ``request = SignedRequest(method, url, headers, body)``: ``url`` as received, scheme and
    ``Host`` included (``http://127.0.0.1:PORT/stage/path?query``), path and query exactly as
    on the wire; ``headers`` a mapping or a list of pairs; ``body`` bytes.
  - ``lookup(access_key_id) -> Credential | None``: the Cloud's credentials (secret key, session
    token, its expiry, and the caller's ARN for ``requestContext.identity``).
  - ``SigV4Result.allowed`` → the caller fills ``requestContext.identity`` (``accessKey``,
    ``caller``, ``user``, ``userArn``, ``accountId``) from ``SigV4Result.credential``. Otherwise it
    answers 403 with ``SigV4Result.body`` and header ``x-amzn-ErrorType: error_type``, via the
    gateway response ``gateway_response`` (MISSING_AUTHENTICATION_TOKEN, INVALID_SIGNATURE,
    EXPIRED_TOKEN, ACCESS_DENIED):
    no signature → ``{"message":"Missing Authentication Token"}``; unknown key → ``{"message":"The
    security token included in the request is invalid."}``; expired session token → ``{"message":
    "The security token included in the request is expired"}``; more than 5 minutes of clock skew →
    ``{"message":"Signature expired: <date> is now earlier than <now-5min> (<now> - 5 min.)"}``;
    wrong signature → ``{"message":"The request signature we calculated does not match …
    \\n\\nThe Canonical String for this request should have been\\n'…'\\n\\nThe String-to-Sign
    should have been\\n'…'\\n"}`` (aws-facts-2 §6.2 and a captured execute-api reply).
* The expected signature is computed by ``botocore.auth.SigV4Auth`` over exactly the headers the
  client signed (``SignedHeaders``), for both the ``Authorization`` header form and the presigned
  query-string form (``X-Amz-Algorithm``/``X-Amz-Credential``/…/``X-Amz-Signature``).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_S = 300
SIGV4_TIME = "%Y%m%dT%H%M%SZ"
SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you provided. "
                      "Check your AWS Secret Access Key and signing method. Consult the service "
                      "documentation for details.")


@dataclass(frozen=True)
class Credential:
    """A secret the Cloud knows, and whose it is."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expires_at: float | None = None
    account_id: str = "123456789012"
    arn: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request as received."""

    method: str
    url: str
    headers: Mapping[str, str] | Iterable[tuple[str, str]]
    body: bytes = b""


@dataclass(frozen=True)
class SigV4Result:
    """Verified (with the signer's credential) or AWS's 403."""

    allowed: bool
    status_code: int = 200
    body: str = ""
    error_type: str | None = None
    gateway_response: str | None = None
    credential: Credential | None = None


@dataclass(frozen=True)
class _Signature:
    """The signature parts a request carries, whichever form it used."""

    access_key_id: str
    date: str  # YYYYMMDD of the scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str  # X-Amz-Date
    token: str | None
    expires: int | None  # query form only
    query_form: bool


def _refuse(message: str, error_type: str, response: str) -> SigV4Result:
    return SigV4Result(False, 403, json.dumps({"message": message}, separators=(",", ":")),
                       error_type, response)


MISSING = _refuse("Missing Authentication Token", "MissingAuthenticationTokenException",
                  "MISSING_AUTHENTICATION_TOKEN")


class _Refusal(Exception):
    def __init__(self, result: SigV4Result) -> None:
        super().__init__(result.body)
        self.result = result


def _header_pairs(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(k), str(v)) for k, v in items]


def _first(pairs: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in pairs if k.lower() == name), None)


def _parse_credential(credential: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise _Refusal(_refuse(f"Credential should be scoped to a valid region, not '{parts[2] if len(parts) > 2 else ''}'. ",
                               "IncompleteSignatureException", "INVALID_SIGNATURE"))
    return parts[0], parts[1], parts[2], parts[3]


def _from_header(authorization: str, pairs: list[tuple[str, str]]) -> _Signature:
    """Parse ``Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…``."""
    scheme, _, rest = authorization.strip().partition(" ")
    fields = dict(p.strip().partition("=")[::2] for p in rest.split(",") if "=" in p)
    timestamp = _first(pairs, "x-amz-date")
    missing = [f"Authorization header requires '{name}' parameter."
               for name in ("Credential", "Signature", "SignedHeaders") if not fields.get(name)]
    if timestamp is None:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if scheme != ALGORITHM or missing:
        problems = missing or [f"Unsupported authorization type: {scheme}."]
        raise _Refusal(_refuse(" ".join(problems) + f" Authorization={authorization}",
                               "IncompleteSignatureException", "INVALID_SIGNATURE"))
    key, date, region, service = _parse_credential(fields["Credential"])
    return _Signature(key, date, region, service, tuple(fields["SignedHeaders"].lower().split(";")),
                      fields["Signature"], timestamp, _first(pairs, "x-amz-security-token"), None, False)


def _from_query(query: dict[str, str]) -> _Signature:
    """Parse the presigned form: ``X-Amz-Credential``, ``X-Amz-Signature`` … in the query string."""
    needed = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature")
    missing = [name for name in needed if not query.get(name)]
    if missing or query["X-Amz-Algorithm"] != ALGORITHM:
        problems = [f"AWS query-string parameters must include '{name}'." for name in missing]
        raise _Refusal(_refuse(" ".join(problems or ["X-Amz-Algorithm only supports 'AWS4-HMAC-SHA256'."])
                               + " Re-examine the query-string parameters.",
                               "IncompleteSignatureException", "INVALID_SIGNATURE"))
    key, date, region, service = _parse_credential(query["X-Amz-Credential"])
    expires = query.get("X-Amz-Expires")
    return _Signature(key, date, region, service, tuple(query["X-Amz-SignedHeaders"].lower().split(";")),
                      query["X-Amz-Signature"], query["X-Amz-Date"], query.get("X-Amz-Security-Token"),
                      int(expires) if expires and expires.isdigit() else None, True)


class _ClientSigner(SigV4Auth):
    """botocore's SigV4 signer, told to sign exactly the headers the client listed."""

    def __init__(self, credentials: Credentials, service: str, region: str, signed: tuple[str, ...]) -> None:
        super().__init__(credentials, service, region)
        self._signed = signed

    def _normalize_url_path(self, path: str) -> str:
        """S3 signs the path as sent (botocore's ``S3SigV4Auth``); other services normalise and re-encode it."""
        return path if self._service_name == "s3" else super()._normalize_url_path(path)

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        """Only the headers named in the request's ``SignedHeaders`` (botocore's own list differs)."""
        header_map = HTTPHeaders()
        for name, value in request.headers.items():
            if name.lower() in self._signed:
                header_map[name.lower()] = value
        return header_map


def _expected(request: SignedRequest, pairs: list[tuple[str, str]], sig: _Signature,
              secret: Credential) -> tuple[str, str, str]:
    """(signature, canonical request, string to sign) as botocore computes them."""
    parts = urlsplit(request.url)
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("X-Amz-Signature="))
    url = urlunsplit((parts.scheme or "http", parts.netloc, parts.path or "/", query, ""))
    aws_request = AWSRequest(method=request.method.upper(), url=url, data=request.body or b"")
    for name, value in pairs:
        if name.lower() in sig.signed_headers:
            aws_request.headers.add_header(name, value)
    aws_request.context["timestamp"] = sig.timestamp
    signer = _ClientSigner(Credentials(secret.access_key_id, secret.secret_access_key, secret.session_token),
                           sig.service, sig.region, sig.signed_headers)
    canonical = signer.canonical_request(aws_request)
    to_sign = signer.string_to_sign(aws_request, canonical)
    return signer.signature(to_sign, aws_request), canonical, to_sign


def _check_time(sig: _Signature, now: float) -> None:
    """AWS allows 5 minutes of skew (header form) or ``X-Amz-Expires`` seconds (query form)."""
    try:
        signed_at = dt.datetime.strptime(sig.timestamp, SIGV4_TIME).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise _Refusal(_refuse(f"Date must be in ISO-8601 'basic format'. Got '{sig.timestamp}'. See "
                               "http://en.wikipedia.org/wiki/ISO_8601", "IncompleteSignatureException",
                               "INVALID_SIGNATURE")) from None
    current = dt.datetime.fromtimestamp(now, dt.timezone.utc).replace(microsecond=0)
    window = dt.timedelta(seconds=sig.expires if sig.query_form and sig.expires is not None else MAX_SKEW_S)
    stamp = lambda moment: moment.strftime(SIGV4_TIME)  # noqa: E731
    if signed_at < current - window:
        raise _Refusal(_refuse(f"Signature expired: {sig.timestamp} is now earlier than "
                               f"{stamp(current - window)} ({stamp(current)} - {window.seconds // 60} min.)",
                               "InvalidSignatureException", "INVALID_SIGNATURE"))
    if signed_at > current + dt.timedelta(seconds=MAX_SKEW_S):
        raise _Refusal(_refuse(f"Signature not yet current: {sig.timestamp} is still later than "
                               f"{stamp(current + dt.timedelta(seconds=MAX_SKEW_S))} ({stamp(current)} + 5 min.)",
                               "InvalidSignatureException", "INVALID_SIGNATURE"))


def _signature_of(request: SignedRequest, pairs: list[tuple[str, str]]) -> _Signature | None:
    authorization = _first(pairs, "authorization")
    if authorization is not None and authorization.strip().startswith("AWS4-"):
        return _from_header(authorization, pairs)
    query = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    if any(name in query for name in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature")):
        return _from_query(query)
    return None


def verify_sigv4(request: SignedRequest, lookup: Callable[[str], Credential | None], now: float, *,
                 region: str, service: str = "execute-api") -> SigV4Result:
    """Verify a request's SigV4 signature as API Gateway does for ``AWS_IAM`` methods and routes."""
    pairs = _header_pairs(request.headers)
    try:
        sig = _signature_of(request, pairs)
        if sig is None:
            return MISSING
        if sig.service != service:
            return _refuse(f"Credential should be scoped to correct service: '{service}'. ",
                           "InvalidSignatureException", "INVALID_SIGNATURE")
        if sig.region != region:
            return _refuse(f"Credential should be scoped to a valid region, not '{sig.region}'. ",
                           "InvalidSignatureException", "INVALID_SIGNATURE")
        _check_time(sig, now)
        secret = lookup(sig.access_key_id)
        if secret is None or (secret.session_token or None) != (sig.token or None):
            return _refuse("The security token included in the request is invalid.",
                           "UnrecognizedClientException", "INVALID_SIGNATURE")
        if secret.expires_at is not None and now >= secret.expires_at:
            return _refuse("The security token included in the request is expired",
                           "ExpiredTokenException", "EXPIRED_TOKEN")
        signature, canonical, to_sign = _expected(request, pairs, sig, secret)
    except _Refusal as refusal:
        return refusal.result
    if not hmac.compare_digest(signature, sig.signature):
        detail = (f"{SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'"
                  f"{canonical}'\n\nThe String-to-Sign should have been\n'{to_sign}'\n")
        return _refuse(detail, "InvalidSignatureException", "INVALID_SIGNATURE")
    return SigV4Result(True, credential=secret)
