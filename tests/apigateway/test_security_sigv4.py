"""IAM authorization: SigV4 signatures made by botocore (header and presigned forms) verified, or 403."""

from __future__ import annotations

import datetime as dt
import json
from unittest import mock

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from minilambda.apigateway.sigv4_auth import Credential, SignedRequest, verify_sigv4

SIGNED_AT = dt.datetime(2026, 11, 30, 12, 0, 0, tzinfo=dt.timezone.utc)
NOW = SIGNED_AT.timestamp()
URL = "http://127.0.0.1:4566/prod/pets/a%2Bb?limit=10&name=x%20y"
SECRETS = {"AKIDEXAMPLE": Credential("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                     arn="arn:aws:iam::123456789012:user/alice"),
           "ASIATEMP": Credential("ASIATEMP", "temp-secret", "session-token", expires_at=NOW + 120)}


def _sign(method="GET", url=URL, body=b"", key="AKIDEXAMPLE", secret=None, token=None, region="us-east-1",
          service="execute-api", presign=False, headers=None):
    """Sign like a boto3 user would, at SIGNED_AT."""
    credentials = Credentials(key, secret or SECRETS.get(key, SECRETS["AKIDEXAMPLE"]).secret_access_key, token)
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {"Content-Type": "application/json"})
    signer = (SigV4QueryAuth(credentials, service, region, expires=60) if presign
              else SigV4Auth(credentials, service, region))
    with mock.patch("botocore.auth.get_current_datetime", return_value=SIGNED_AT.replace(tzinfo=None)):
        signer.add_auth(request)
    prepared = request.prepare()
    headers = dict(prepared.headers.items())
    headers.setdefault("Host", "127.0.0.1:4566")
    return SignedRequest(method, prepared.url, headers, body)


def _verify(request, now=NOW, region="us-east-1"):
    return verify_sigv4(request, SECRETS.get, now, region=region)


def test_header_signature_verifies_and_names_the_caller():
    result = _verify(_sign(method="POST", body=b'{"name": "Rex"}'))
    assert result.allowed and result.credential.arn == "arn:aws:iam::123456789012:user/alice"


def test_presigned_query_signature_verifies():
    assert _verify(_sign(presign=True)).allowed


def test_session_token_required_and_checked():
    assert _verify(_sign(key="ASIATEMP", token="session-token")).allowed
    assert _verify(_sign(key="ASIATEMP", token="other")).body == (
        '{"message":"The security token included in the request is invalid."}')
    expired = _verify(_sign(key="ASIATEMP", token="session-token"), now=NOW + 120)
    assert (expired.body, expired.error_type) == (
        '{"message":"The security token included in the request is expired"}', "ExpiredTokenException")


def test_no_signature_is_missing_authentication_token():
    result = _verify(SignedRequest("GET", URL, {"Host": "127.0.0.1:4566"}))
    assert (result.status_code, result.body, result.error_type, result.gateway_response) == (
        403, '{"message":"Missing Authentication Token"}', "MissingAuthenticationTokenException",
        "MISSING_AUTHENTICATION_TOKEN")


def test_unknown_access_key():
    result = _verify(_sign(key="AKIDUNKNOWN", secret="whatever"))
    assert (result.status_code, result.body, result.error_type) == (
        403, '{"message":"The security token included in the request is invalid."}', "UnrecognizedClientException")


@pytest.mark.parametrize("change", ["secret", "body", "path", "query", "signed_header", "method"])
def test_any_change_breaks_the_signature(change):
    request = _sign(method="POST", body=b"{}", headers={"Content-Type": "application/json", "X-Custom": "1"})
    if change == "secret":
        request = _sign(method="POST", body=b"{}", secret="wrong-secret",
                        headers={"Content-Type": "application/json", "X-Custom": "1"})
    elif change == "body":
        request = SignedRequest(request.method, request.url, request.headers, b'{"x": 1}')
    elif change == "path":
        request = SignedRequest(request.method, request.url.replace("/pets/", "/cats/"), request.headers, request.body)
    elif change == "query":
        request = SignedRequest(request.method, request.url.replace("limit=10", "limit=11"), request.headers, request.body)
    elif change == "signed_header":
        request = SignedRequest(request.method, request.url, dict(request.headers, **{"X-Custom": "2"}), request.body)
    else:
        request = SignedRequest("PUT", request.url, request.headers, request.body)
    result = _verify(request)
    assert (result.status_code, result.error_type, result.gateway_response) == (
        403, "InvalidSignatureException", "INVALID_SIGNATURE")
    message = json.loads(result.body)["message"]
    assert message.startswith("The request signature we calculated does not match the signature you provided.")
    assert "\n\nThe Canonical String for this request should have been\n'" in message
    assert "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261130T120000Z\n" in message


def test_unsigned_header_may_change():
    request = _sign()
    assert _verify(SignedRequest("GET", request.url, dict(request.headers, **{"X-Unsigned": "1"}))).allowed


def test_clock_skew_over_five_minutes_is_signature_expired():
    request = _sign()
    assert _verify(request, now=NOW + 300).allowed
    result = _verify(request, now=NOW + 301)
    assert result.body == ('{"message":"Signature expired: 20261130T120000Z is now earlier than '
                           '20261130T120001Z (20261130T120501Z - 5 min.)"}')
    assert result.error_type == "InvalidSignatureException"
    assert "Signature not yet current" in _verify(request, now=NOW - 301).body


def test_presigned_url_expires_after_x_amz_expires():
    request = _sign(presign=True)
    assert _verify(request, now=NOW + 60).allowed
    assert "Signature expired" in _verify(request, now=NOW + 61).body


def test_wrong_region_or_service_scope():
    assert "valid region, not 'eu-west-1'" in _verify(_sign(region="eu-west-1")).body
    assert "correct service: 'execute-api'" in _verify(_sign(service="lambda")).body


def test_incomplete_authorization_header():
    headers = {"Host": "127.0.0.1:4566", "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/us-east-1/execute-api/aws4_request"}
    result = _verify(SignedRequest("GET", URL, headers))
    assert result.error_type == "IncompleteSignatureException"
    message = json.loads(result.body)["message"]
    assert "Authorization header requires 'Signature' parameter." in message
    assert "Authorization header requires 'SignedHeaders' parameter." in message
    assert "requires existence of either a 'X-Amz-Date' or a 'Date' header." in message
