"""HTTP API JWT authorizers: RS256 signatures verified with PyJWT, claims checked on the caller's clock.

Interface (pure; no clock reads, no network):

* ``JwtAuthorizerConfig.from_http(get_authorizer_dict)`` reads an apigatewayv2 authorizer
  (``AuthorizerType: JWT``, ``JwtConfiguration{Issuer, Audience}``, ``IdentitySource``).
* ``authorize_jwt(config, headers, route_scopes, fetch_jwks, now, *, query=None,
  payload_format_version="2.0") -> JwtResult``:
  - ``headers``: the request headers (any casing); the token is the identity source's value, bare
    or ``Bearer <token>``.
  - ``route_scopes``: the route's ``AuthorizationScopes`` (empty: no scope check).
  - ``fetch_jwks(issuer) -> dict``: the issuer's JWKS (``{"keys": [...]}``); AWS reads it from
    ``{Issuer}/.well-known/openid-configuration`` → ``jwks_uri``; the caller resolves it (local
    Cognito pools, test issuers) and may cache it. Raising any exception → 401 as an invalid token.
  - ``JwtResult.allowed`` → the core sets ``requestContext.authorizer`` to ``JwtResult.context``
    (2.0: ``{"jwt": {"claims": {...}, "scopes": [...]}}``; 1.0: ``{"claims": ..., "scopes": ...}``).
    Otherwise it answers ``status_code`` with ``body`` and the ``headers`` (``www-authenticate``):
    401 ``{"message":"Unauthorized"}`` with ``www-authenticate: Bearer`` when the token is missing,
    ``Bearer scope="<route scopes>" error="invalid_token" error_description="<why>"`` when invalid;
    403 ``{"message":"Forbidden"}`` with ``error="insufficient_scope"`` when no route scope is granted.

* ``authorize_cognito(provider_arns, headers, scopes, fetch_jwks, now, *, identity_source=
  "method.request.header.Authorization", region="us-east-1") -> JwtResult``: a REST
  ``COGNITO_USER_POOLS`` authorizer. The token must come from one of the pools (issuer
  ``https://cognito-idp.<region>.amazonaws.com/<pool id>``), be signed by its JWKS and unexpired; no
  audience check. A method without ``authorizationScopes`` needs an ID token (``token_use: id``); with
  scopes, an access token holding one of them [re:Post answer]. Refusals are 401
  ``{"message":"Unauthorized"}``, or ``{"message":"The incoming token has expired"}`` (widely
  reported AWS text); allowed → ``JwtResult.context == {"claims": {...}}`` (string values) for
  ``requestContext.authorizer``.

Checks, as AWS documents them [AGDG http-api-jwt-authorizer.md]: RSA signature (RS256/384/512) with
the JWKS key of the token's ``kid``; ``iss`` equals the Issuer; ``aud`` (or ``client_id`` only when
there is no ``aud``) is one of the Audience; ``exp`` after now; ``nbf`` and ``iat`` (when present)
before now; ``scope``/``scp`` holds one of the route's scopes. ``token_use`` is not checked.
PyJWT checks the signature; the time claims are checked here because they must follow the Cloud's
(virtual) clock, which PyJWT's own checks cannot take.
Descriptions "the token does not have a valid audience", "the token has expired" and "token
contains an invalid number of segments" are AWS's (captured replies); the others are unverified.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import jwt

RSA_ALGORITHMS = ("RS256", "RS384", "RS512")
UNAUTHORIZED_BODY = '{"message":"Unauthorized"}'
FORBIDDEN_BODY = '{"message":"Forbidden"}'
FetchJwks = Callable[[str], Mapping[str, Any]]


@dataclass(frozen=True)
class JwtAuthorizerConfig:
    """An HTTP API JWT authorizer: who issues tokens, for which audiences, read from which header."""

    issuer: str
    audience: tuple[str, ...]
    identity_source: str = "$request.header.Authorization"

    @classmethod
    def from_http(cls, raw: Mapping[str, Any]) -> "JwtAuthorizerConfig":
        """From an apigatewayv2 ``GetAuthorizer`` dict of type JWT."""
        jwt_config = raw.get("JwtConfiguration") or {}
        sources = raw.get("IdentitySource") or ["$request.header.Authorization"]
        return cls(str(jwt_config.get("Issuer", "")), tuple(jwt_config.get("Audience") or ()), sources[0])


@dataclass(frozen=True)
class JwtResult:
    """Allowed with the claims, or the status, body and headers AWS answers."""

    allowed: bool
    status_code: int = 200
    body: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    claims: Mapping[str, Any] = field(default_factory=dict)
    scopes: tuple[str, ...] | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    log_line: str | None = None


class _Invalid(Exception):
    """The token is not acceptable; the message is the ``error_description``."""


def _challenge(route_scopes: Sequence[str], error: str, description: str) -> str:
    return f'Bearer scope="{" ".join(route_scopes)}" error="{error}" error_description="{description}"'


def _unauthorized(route_scopes: Sequence[str], description: str | None) -> JwtResult:
    header = "Bearer" if description is None else _challenge(route_scopes, "invalid_token", description)
    return JwtResult(False, 401, UNAUTHORIZED_BODY, {"www-authenticate": header},
                     log_line=f"JWT authorizer refused the request: {description or 'no token'}")


def token_from(identity_source: str, headers: Mapping[str, str] | None,
               query: Mapping[str, str] | None = None) -> str | None:
    """The token in the identity source (``$request.header.X`` or ``$request.querystring.x``)."""
    source = identity_source.lstrip("$")
    value: str | None = None
    if source.startswith("request.header."):
        name = source[len("request.header."):].lower()
        value = next((v for k, v in (headers or {}).items() if k.lower() == name), None)
    elif source.startswith("request.querystring."):
        value = (query or {}).get(source[len("request.querystring."):])
    if value is None or not value.strip():
        return None
    value = value.strip()
    return value[7:].strip() if value[:7].lower() == "bearer " else value


def _signing_key(token: str, issuer: str, fetch_jwks: FetchJwks) -> tuple[Any, str]:
    """The public key named by the token's ``kid`` in the issuer's JWKS, and the algorithm."""
    if token.count(".") != 2:
        raise _Invalid("token contains an invalid number of segments")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _Invalid(f"the token is malformed: {exc}") from exc
    algorithm = header.get("alg")
    if algorithm not in RSA_ALGORITHMS:
        raise _Invalid(f"signing method {algorithm} is invalid")
    try:
        keys = jwt.PyJWKSet.from_dict(dict(fetch_jwks(issuer))).keys
    except Exception as exc:  # noqa: BLE001 - any failure to get keys is a refusal, as on AWS
        raise _Invalid(f"unable to get the signing keys of the issuer: {exc}") from exc
    kid = header.get("kid")
    for key in keys:
        if key.key_id == kid:
            return key.key, algorithm
    raise _Invalid(f"the token's kid {kid} is not in the issuer's JWKS")


def _verified_claims(token: str, key: Any, algorithm: str) -> dict[str, Any]:
    """Verify the signature only (PyJWT); every claim is checked afterwards against ``now``."""
    options = {"verify_signature": True, "verify_exp": False, "verify_nbf": False,
               "verify_iat": False, "verify_aud": False, "verify_iss": False}
    try:
        return jwt.decode(token, key, algorithms=[algorithm], options=options)
    except jwt.PyJWTError as exc:
        raise _Invalid(f"the token signature is invalid: {exc}") from exc


def _check_claims(claims: Mapping[str, Any], config: JwtAuthorizerConfig, now: float) -> None:
    """iss, aud/client_id, exp, nbf, iat as AWS checks them."""
    if claims.get("iss") != config.issuer:
        raise _Invalid("the token does not have a valid issuer")
    if "aud" in claims:
        audiences = [claims["aud"]] if isinstance(claims["aud"], str) else list(claims["aud"] or [])
    else:
        audiences = [claims.get("client_id")]
    if not any(a in config.audience for a in audiences):
        raise _Invalid("the token does not have a valid audience")
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= now:
        raise _Invalid("the token has expired")
    for name, description in (("nbf", "the token is not valid yet"), ("iat", "the token was issued in the future")):
        value = claims.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > now:
            raise _Invalid(description)


def token_scopes(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """The token's scopes: ``scope`` (space-separated) or ``scp`` (list or string)."""
    raw = claims.get("scope", claims.get("scp"))
    if isinstance(raw, str):
        return tuple(raw.split())
    return tuple(str(s) for s in raw or ())


def event_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as the integration sees them: strings (numbers and booleans as text; lists ``[a b]``).

    The list rendering follows third-party reports of Cognito groups (``"[admin users]"``): unverified.
    """
    out: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            out[name] = json.dumps(value)
        elif isinstance(value, list):
            out[name] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, dict):
            out[name] = json.dumps(value, separators=(",", ":"))
        else:
            out[name] = str(value)
    return out


def authorize_jwt(config: JwtAuthorizerConfig, headers: Mapping[str, str] | None,
                  route_scopes: Sequence[str], fetch_jwks: FetchJwks, now: float, *,
                  query: Mapping[str, str] | None = None,
                  payload_format_version: str = "2.0") -> JwtResult:
    """Verify one request's JWT as an HTTP API JWT authorizer does (see the module docstring)."""
    token = token_from(config.identity_source, headers, query)
    if token is None:
        return _unauthorized(route_scopes, None)
    try:
        key, algorithm = _signing_key(token, config.issuer, fetch_jwks)
        claims = _verified_claims(token, key, algorithm)
        _check_claims(claims, config, now)
    except _Invalid as exc:
        return _unauthorized(route_scopes, str(exc))
    scopes = token_scopes(claims)
    if route_scopes and not set(scopes) & set(route_scopes):
        header = _challenge(route_scopes, "insufficient_scope", "the token does not have the required scopes")
        return JwtResult(False, 403, FORBIDDEN_BODY, {"www-authenticate": header},
                         log_line="JWT authorizer refused the request: insufficient scope")
    grant = {"claims": event_claims(claims), "scopes": list(scopes) or None}
    context = {"jwt": grant} if payload_format_version == "2.0" else grant
    return JwtResult(True, claims=dict(claims), scopes=scopes or None, context=context,
                     log_line=f"JWT authorizer allowed subject {claims.get('sub')}")


EXPIRED_BODY = '{"message":"The incoming token has expired"}'


def _pool_issuer(provider_arn: str, region: str) -> str:
    """``arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>`` → the pool's token issuer."""
    parts = provider_arn.split(":")
    pool_region = parts[3] if len(parts) >= 6 and parts[3] else region
    return f"https://cognito-idp.{pool_region}.amazonaws.com/{provider_arn.rsplit('/', 1)[-1]}"


def _cognito_refusal(body: str, reason: str) -> JwtResult:
    return JwtResult(False, 401, body, {}, log_line=f"Cognito authorizer refused the request: {reason}")


def authorize_cognito(provider_arns: Sequence[str], headers: Mapping[str, str] | None, scopes: Sequence[str],
                      fetch_jwks: FetchJwks, now: float, *,
                      identity_source: str = "method.request.header.Authorization",
                      region: str = "us-east-1") -> JwtResult:
    """Verify one request's Cognito token as a REST ``COGNITO_USER_POOLS`` authorizer does."""
    header = identity_source.rsplit(".", 1)[-1]
    token = token_from(f"$request.header.{header}", headers)
    if token is None:
        return _cognito_refusal(UNAUTHORIZED_BODY, "no token")
    issuers = {_pool_issuer(arn, region) for arn in provider_arns}
    try:
        claimed_issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return _cognito_refusal(UNAUTHORIZED_BODY, "malformed token")
    if claimed_issuer not in issuers:
        return _cognito_refusal(UNAUTHORIZED_BODY, f"issuer {claimed_issuer} is not one of the user pools")
    try:
        key, algorithm = _signing_key(token, claimed_issuer, fetch_jwks)
        claims = _verified_claims(token, key, algorithm)
    except _Invalid as exc:
        return _cognito_refusal(UNAUTHORIZED_BODY, str(exc))
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp <= now:
        return _cognito_refusal(EXPIRED_BODY, "the token has expired")
    if scopes:
        if claims.get("token_use") != "access" or not set(token_scopes(claims)) & set(scopes):
            return _cognito_refusal(UNAUTHORIZED_BODY, "an access token with one of the method's scopes is required")
    elif claims.get("token_use") != "id":
        return _cognito_refusal(UNAUTHORIZED_BODY, "a method without OAuth scopes requires an ID token")
    return JwtResult(True, claims=dict(claims), scopes=token_scopes(claims) or None,
                     context={"claims": event_claims(claims)},
                     log_line=f"Cognito authorizer allowed subject {claims.get('sub')}")
