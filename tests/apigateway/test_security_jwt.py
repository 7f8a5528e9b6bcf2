"""JWT authorizer: real RS256 signatures against a JWKS, issuer, audience/client_id, time claims, scopes."""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from minilambda.apigateway.jwt_auth import (
    JwtAuthorizerConfig, authorize_jwt, event_claims, token_from,
)

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST"
NOW = 1_800_000_000
CONFIG = JwtAuthorizerConfig.from_http({
    "AuthorizerType": "JWT", "IdentitySource": ["$request.header.Authorization"],
    "JwtConfiguration": {"Issuer": ISSUER, "Audience": ["client-a", "client-b"]}})


@pytest.fixture(scope="module")
def keys():
    """Two RSA keys: the issuer's, and an attacker's using the same kid."""
    return rsa.generate_private_key(65537, 2048), rsa.generate_private_key(65537, 2048)


def _jwks(private_key, kid="k1"):
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
    return {"keys": [jwk | {"kid": kid, "use": "sig", "alg": "RS256"}]}


def _token(private_key, kid="k1", algorithm="RS256", **overrides):
    claims = {"iss": ISSUER, "aud": "client-a", "sub": "user-1", "exp": NOW + 3600, "iat": NOW - 10,
              "scope": "read write", "cognito:groups": ["admin", "users"], "email_verified": True}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, private_key, algorithm=algorithm, headers={"kid": kid})


def _check(keys, token, scopes=(), now=NOW, **kwargs):
    issuer_key = keys[0]
    headers = {} if token is None else {"Authorization": token}
    return authorize_jwt(CONFIG, headers, scopes, lambda issuer: _jwks(issuer_key), now, **kwargs)


def test_valid_token_with_and_without_bearer_prefix(keys):
    for value in (_token(keys[0]), "Bearer " + _token(keys[0]), "bearer " + _token(keys[0])):
        result = _check(keys, value)
        assert result.allowed, result.log_line
    jwt_context = result.context["jwt"]
    assert jwt_context["claims"]["sub"] == "user-1"
    assert jwt_context["scopes"] == ["read", "write"]


def test_missing_token_is_401_with_bare_bearer_challenge(keys):
    result = _check(keys, None)
    assert (result.status_code, result.body, dict(result.headers)) == (
        401, '{"message":"Unauthorized"}', {"www-authenticate": "Bearer"})
    assert len(result.body) == 26


def test_wrong_audience_header_is_awss_text(keys):
    result = _check(keys, _token(keys[0], aud="someone-else"))
    assert result.status_code == 401
    assert result.headers["www-authenticate"] == (
        'Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"')


def test_client_id_counts_only_without_aud(keys):
    assert _check(keys, _token(keys[0], aud=None, client_id="client-b")).allowed
    assert not _check(keys, _token(keys[0], aud="nobody", client_id="client-b")).allowed
    assert _check(keys, _token(keys[0], aud=["x", "client-b"])).allowed


def test_expiry_follows_the_callers_clock(keys):
    token = _token(keys[0], exp=NOW + 60)
    assert _check(keys, token, now=NOW + 59).allowed
    expired = _check(keys, token, scopes=["read"], now=NOW + 60)
    assert expired.headers["www-authenticate"] == (
        'Bearer scope="read" error="invalid_token" error_description="the token has expired"')
    assert "has expired" in _check(keys, _token(keys[0], exp=None)).headers["www-authenticate"]


def test_not_before_and_issued_at_in_the_future_are_refused(keys):
    assert not _check(keys, _token(keys[0], nbf=NOW + 5)).allowed
    assert _check(keys, _token(keys[0], nbf=NOW + 5), now=NOW + 6).allowed
    assert not _check(keys, _token(keys[0], iat=NOW + 5)).allowed


def test_wrong_issuer_is_refused(keys):
    result = _check(keys, _token(keys[0], iss="https://evil.example.com"))
    assert result.status_code == 401 and "valid issuer" in result.headers["www-authenticate"]


def test_signature_must_verify(keys):
    forged = _token(keys[1])  # same kid, another key
    assert not _check(keys, forged).allowed
    header, payload, signature = _token(keys[0]).split(".")
    tampered_claims = json.loads(jwt.utils.base64url_decode(payload)) | {"sub": "admin"}
    tampered = ".".join([header, jwt.utils.base64url_encode(json.dumps(tampered_claims).encode()).decode(), signature])
    assert "signature is invalid" in _check(keys, tampered).headers["www-authenticate"]


def test_only_rsa_algorithms_and_known_kids(keys):
    hs = jwt.encode({"iss": ISSUER, "aud": "client-a", "exp": NOW + 60}, "secret-secret-secret-secret-32b!",
                    algorithm="HS256", headers={"kid": "k1"})
    assert "signing method HS256 is invalid" in _check(keys, hs).headers["www-authenticate"]
    assert "kid" in _check(keys, _token(keys[0], kid="other")).headers["www-authenticate"]


def test_malformed_token_message(keys):
    result = _check(keys, "Bearer not-a-token")
    assert result.headers["www-authenticate"] == (
        'Bearer scope="" error="invalid_token" error_description="token contains an invalid number of segments"')


def test_jwks_fetch_failure_is_401(keys):
    def broken(issuer):
        raise ConnectionError("issuer unreachable")
    result = authorize_jwt(CONFIG, {"authorization": _token(keys[0])}, (), broken, NOW)
    assert result.status_code == 401 and "unable to get the signing keys" in result.headers["www-authenticate"]


def test_route_scopes(keys):
    assert _check(keys, _token(keys[0]), scopes=["read", "admin"]).allowed
    refused = _check(keys, _token(keys[0], scope="write"), scopes=["read"])
    assert (refused.status_code, refused.body) == (403, '{"message":"Forbidden"}')
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    assert _check(keys, _token(keys[0], scope=None, scp=["read"]), scopes=["read"]).allowed
    assert not _check(keys, _token(keys[0], scope=None), scopes=["read"]).allowed


def test_payload_1_context_and_claim_rendering(keys):
    result = _check(keys, _token(keys[0]), payload_format_version="1.0")
    assert set(result.context) == {"claims", "scopes"}
    claims = result.context["claims"]
    assert claims["exp"] == str(int(NOW + 3600)) and claims["email_verified"] == "true"
    assert claims["cognito:groups"] == "[admin users]"
    assert event_claims({"n": 1.5, "o": {"a": 1}}) == {"n": "1.5", "o": '{"a":1}'}


def test_token_from_query_and_blank_values():
    assert token_from("$request.querystring.token", {}, {"token": "abc"}) == "abc"
    assert token_from("$request.header.Authorization", {"AUTHORIZATION": "  "}) is None


POOL_ARN = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_TEST"


def _cognito(keys, token, scopes=(), now=NOW, pools=(POOL_ARN,)):
    from minilambda.apigateway.jwt_auth import authorize_cognito
    headers = {} if token is None else {"Authorization": token}
    return authorize_cognito(pools, headers, scopes, lambda issuer: _jwks(keys[0]), now)


def test_cognito_id_token_without_scopes_no_audience_check(keys):
    result = _cognito(keys, _token(keys[0], aud="any-app-client", token_use="id"))
    assert result.allowed
    assert result.context["claims"]["email_verified"] == "true"
    assert result.context["claims"]["sub"] == "user-1"


def test_cognito_scopes_need_an_access_token(keys):
    access = _token(keys[0], token_use="access", aud=None, client_id="c", scope="pets/read")
    assert _cognito(keys, access, scopes=["pets/read"]).allowed
    assert not _cognito(keys, access).allowed  # no scopes on the method: ID token required
    id_token = _token(keys[0], token_use="id", scope="pets/read")
    refused = _cognito(keys, id_token, scopes=["pets/read"])
    assert (refused.status_code, refused.body) == (401, '{"message":"Unauthorized"}')
    assert not _cognito(keys, access, scopes=["pets/write"]).allowed


def test_cognito_refusals(keys):
    assert _cognito(keys, None).body == '{"message":"Unauthorized"}'
    expired = _cognito(keys, _token(keys[0], token_use="id", exp=NOW - 1))
    assert (expired.status_code, expired.body) == (401, '{"message":"The incoming token has expired"}')
    other_pool = _cognito(keys, _token(keys[0], token_use="id"),
                          pools=("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_OTHER",))
    assert other_pool.status_code == 401
    assert not _cognito(keys, _token(keys[1], token_use="id")).allowed  # wrong key
    assert not _cognito(keys, "garbage").allowed
