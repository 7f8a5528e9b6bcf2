"""Amazon Cognito user pools for a Cloud: moto's implementation, with tokens signed as AWS does.

moto keeps the users, passwords, pools, clients and flows (sign-up, confirmation,
``InitiateAuth`` with ``USER_PASSWORD_AUTH``, ``REFRESH_TOKEN_AUTH``, admin flows). This
adapter re-signs the ID and access tokens moto returns so that they look like AWS's
[DOCS:cognito-id-token, cognito-access-token]: RS256 with a key pair **per pool and token
type** (their ``kid``s differ), AWS's claims (``event_id``, ``origin_jti``, ``email_verified``,
``scope``, ``client_id`` without ``aud`` on access tokens), and times from the Cloud's clock
(so expiry follows the virtual clock). The access tokens it hands out are accepted wherever
moto's would be (``GetUser``, ``GlobalSignOut`` …).

Issuer and keys: ``https://cognito-idp.<region>.amazonaws.com/<pool-id>`` as on AWS; nothing
is fetched from the internet. Other services find a pool's JWKS with::

    cloud.cognito.jwks_for_issuer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC")  # {"keys": [...]}

which returns None for an issuer that is not one of the Cloud's pools. Each pool's public issuer
documents, ``/{pool-id}/.well-known/jwks.json`` and ``/.well-known/openid-configuration``, are
also served over HTTP on the Cloud's loopback endpoint (``cloud.cognito_issuer_url(pool_id)``),
so PyJWT's ``PyJWKClient`` or an OIDC library can verify tokens as against AWS. Not simulated: hosted
UI and OAuth endpoints, Lambda triggers, SRP (moto's), MFA delivery, e-mail/SMS sending
(confirm users with ``AdminConfirmSignUp`` or the code moto keeps). ``ExplicitAuthFlows`` are
not enforced (moto).
"""

from __future__ import annotations

import base64
import json
import random
import re
import threading
import uuid
from typing import Any, Callable

from ..clock import Clock

AUTH_OPERATIONS = ("InitiateAuth", "AdminInitiateAuth", "RespondToAuthChallenge", "AdminRespondToAuthChallenge")
ISSUER_PREFIX = "https://cognito-idp."
DEFAULT_VALIDITY_S = 3600
ID_CLAIMS_FROM_MOTO = ("sub", "cognito:groups", "email", "cognito:username")
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# A pool's public documents, under its issuer [DOCS: cognito federation-endpoints]; the pool id
# pattern is botocore's (UserPoolIdType).
WELL_KNOWN_PATH = re.compile(r"/(?P<pool>[\w-]+_[0-9a-zA-Z]+)/\.well-known/(?P<document>jwks\.json|openid-configuration)")


class _PoolKeys:
    """A pool's two signing keys (ID tokens, access tokens) and their JWKS."""

    def __init__(self, rng: Any) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.keys = {}
        for use in ("id", "access"):
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            kid = base64.b64encode(rng.getrandbits(256).to_bytes(32, "big")).decode()[:43] + "="
            self.keys[use] = (kid, private)

    def jwks(self) -> dict[str, Any]:
        from jwt.algorithms import RSAAlgorithm

        out = []
        for kid, private in self.keys.values():
            jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
            out.append({"alg": "RS256", "e": jwk["e"], "kid": kid, "kty": "RSA", "n": jwk["n"], "use": "sig"})
        return {"keys": out}

    def sign(self, use: str, claims: dict[str, Any]) -> str:
        import jwt

        kid, private = self.keys[use]
        return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid, "alg": "RS256"})


class CognitoBackend:
    """This Cloud's user-pool tokens: AWS-shaped ID and access tokens from per-pool keys (the pools,
    users and flows are moto's, reached through *moto_backend*)."""

    def __init__(self, clock: Clock, region: str, rng: random.Random, moto_backend: Callable[[], Any]) -> None:
        self.clock = clock
        self.region = region
        self.rng = rng
        self._moto_backend = moto_backend
        self._keys: dict[str, _PoolKeys] = {}
        self._access: dict[str, str] = {}  # our access token -> moto's
        self._sessions: dict[str, dict[str, Any]] = {}  # refresh token -> auth_time, origin_jti
        self._lock = threading.RLock()

    def moto_access_token(self, token: Any) -> Any:
        """moto's access token behind one of ours (others unchanged)."""
        with self._lock:
            return self._access.get(token, token) if isinstance(token, str) else token

    def resign(self, result: dict[str, Any], request: dict[str, Any]) -> None:
        """Replace moto's tokens in an ``AuthenticationResult`` by AWS-shaped ones (in place)."""
        refresh = result.get("RefreshToken") or (request.get("AuthParameters") or {}).get("REFRESH_TOKEN")
        new = self.tokens(result["IdToken"], result["AccessToken"], refresh)
        with self._lock:
            self._access[new["AccessToken"]] = result["AccessToken"]
        result.update(new)

    # -- tokens ----------------------------------------------------------------------------

    def keys(self, pool_id: str) -> _PoolKeys:
        with self._lock:
            if pool_id not in self._keys:
                self._keys[pool_id] = _PoolKeys(self.rng)
            return self._keys[pool_id]

    def tokens(self, moto_id: str, moto_access: str, refresh: str | None) -> dict[str, Any]:
        """AWS-shaped ID and access tokens for the user moto authenticated."""
        import jwt

        id_claims = jwt.decode(moto_id, options={"verify_signature": False})
        access_claims = jwt.decode(moto_access, options={"verify_signature": False})
        pool_id = id_claims["iss"].rsplit("/", 1)[-1]
        client_id = id_claims["aud"]
        now = int(self.clock.now())
        with self._lock:
            session = self._sessions.get(refresh or "")
            if session is None:
                session = {"auth_time": now, "origin_jti": str(uuid.UUID(int=self.rng.getrandbits(128), version=4))}
                if refresh:
                    self._sessions[refresh] = session
        id_valid, access_valid = self._validity(pool_id, client_id)
        event_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        common = {"sub": id_claims["sub"], "iss": id_claims["iss"], "origin_jti": session["origin_jti"],
                  "event_id": event_id, "auth_time": session["auth_time"], "iat": now}
        groups = id_claims.get("cognito:groups")
        id_token = {**{k: v for k, v in id_claims.items() if k not in ("iat", "exp", "jti", "auth_time")},
                    **common, "aud": client_id, "token_use": "id", "exp": now + id_valid, "jti": self._jti()}
        if "email" in id_token and "email_verified" not in id_token:
            id_token["email_verified"] = self._email_verified(pool_id, id_claims.get("cognito:username", ""))
        access = {**common, "client_id": client_id, "token_use": "access",
                  "scope": "aws.cognito.signin.user.admin", "exp": now + access_valid, "jti": self._jti(),
                  "username": access_claims.get("username", id_claims.get("cognito:username"))}
        if groups:
            access["cognito:groups"] = groups
        keys = self.keys(pool_id)
        return {"IdToken": keys.sign("id", id_token), "AccessToken": keys.sign("access", access),
                "ExpiresIn": access_valid}

    def _jti(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _validity(self, pool_id: str, client_id: str) -> tuple[int, int]:
        """(ID token, access token) lifetimes in seconds from the app client (default 1 hour)."""
        try:
            client = self._moto_backend().user_pools[pool_id].clients[client_id].extended_config
        except (KeyError, AttributeError):
            return DEFAULT_VALIDITY_S, DEFAULT_VALIDITY_S
        units = client.get("TokenValidityUnits") or {}

        def seconds(key: str, unit_key: str) -> int:
            value = client.get(key)
            if value is None:
                return DEFAULT_VALIDITY_S
            return int(value) * UNIT_SECONDS[units.get(unit_key, "hours")]

        return seconds("IdTokenValidity", "IdToken"), seconds("AccessTokenValidity", "AccessToken")

    def _email_verified(self, pool_id: str, username: str) -> bool:
        try:
            pool = self._moto_backend().user_pools[pool_id]
            user = pool._get_user(username)
        except Exception:  # noqa: BLE001 - moto internals: fall back to "not verified"
            return False
        attrs = {a["Name"]: a["Value"] for a in user.attributes}
        return str(attrs.get("email_verified", "false")).lower() == "true"

    def jwks_for_issuer(self, issuer_url: str) -> dict[str, Any] | None:
        """The JWKS for ``https://cognito-idp.<region>.amazonaws.com/<pool-id>`` of one of this Cloud's
        pools; None when the issuer is not one (callers then treat the token as invalid: nothing is
        ever fetched from the internet)."""
        issuer = issuer_url.rstrip("/")
        expected = f"{ISSUER_PREFIX}{self.region}.amazonaws.com/"
        if not issuer.startswith(expected):
            return None
        return self.jwks(issuer[len(expected):])

    def jwks(self, pool_id: str) -> dict[str, Any] | None:
        """The JWKS of one of this Cloud's pools (None if there is no such pool)."""
        if not self._pool_exists(pool_id):
            return None
        return self.keys(pool_id).jwks()

    # -- the issuer's public documents ------------------------------------------------------

    def issuer(self, pool_id: str) -> str:
        """The ``iss`` of this pool's tokens: ``https://cognito-idp.<region>.amazonaws.com/<pool-id>``."""
        return f"{ISSUER_PREFIX}{self.region}.amazonaws.com/{pool_id}"

    def well_known(self, path: str, host: str) -> tuple[int, dict[str, Any]] | None:
        """(status, JSON body) for a GET of ``/<pool-id>/.well-known/{jwks.json,openid-configuration}``
        arriving with *host*; None when *path* is not one of those documents."""
        match = WELL_KNOWN_PATH.fullmatch(path)
        if match is None:
            return None
        pool_id = match["pool"]
        if match["document"] == "jwks.json":
            document = self.jwks(pool_id)
        else:
            document = self.openid_configuration(pool_id, _served_from(host, self.region))
        if document is None:  # AWS answers 404; the body's wording is ours, not recorded (unverified)
            return 404, {"message": f"User pool {pool_id} does not exist."}
        return 200, document

    def openid_configuration(self, pool_id: str, served_from: str | None = None) -> dict[str, Any] | None:
        """The pool's OIDC discovery document (None if there is no such pool). ``issuer`` is AWS's
        string, as in the tokens; ``jwks_uri`` points at *served_from* (default: AWS's host)."""
        if not self._pool_exists(pool_id):
            return None
        issuer = self.issuer(pool_id)
        base = f"{served_from.rstrip('/')}/{pool_id}" if served_from else issuer
        oauth = self._oauth_base(pool_id)
        # Field set and values as a live pool with a domain answers (captured 2021 by a third party,
        # github.com situation-auth-playground README); without a domain AWS advertised
        # {issuer}/authorize-style URLs (Stack Overflow 47664727, unverified).
        return {
            "authorization_endpoint": f"{oauth}/authorize",
            "id_token_signing_alg_values_supported": ["RS256"],
            "issuer": issuer,
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "response_types_supported": ["code", "token"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "subject_types_supported": ["public"],
            "token_endpoint": f"{oauth}/token",
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "userinfo_endpoint": f"{oauth}/userInfo",
        }

    def _oauth_base(self, pool_id: str) -> str:
        """Where the pool's OAuth 2.0 endpoints live: its domain's ``/oauth2``, else the issuer."""
        domains = getattr(self._moto_backend(), "user_pool_domains", {})
        for domain in list(domains.values()):
            if domain.user_pool_id == pool_id:
                custom = bool((domain.custom_domain_config or {}).get("CertificateArn"))
                host = domain.domain if custom else f"{domain.domain}.auth.{self.region}.amazoncognito.com"
                return f"https://{host}/oauth2"
        return self.issuer(pool_id)

    def _pool_exists(self, pool_id: str) -> bool:
        return pool_id in self._moto_backend().user_pools

    def close(self) -> None:
        with self._lock:
            self._keys.clear()
            self._access.clear()
            self._sessions.clear()


def _served_from(host: str, region: str) -> str | None:
    """The base URL a request reached: None (AWS's own) for ``cognito-idp.<region>.amazonaws.com``
    or no Host, else ``http://<host>`` (the Cloud's loopback endpoint)."""
    if not host or host.split(":")[0].lower() == f"cognito-idp.{region}.amazonaws.com":
        return None
    return f"http://{host}"


def private_region_agnostic_backend(backends: Any) -> None:
    """Make moto's ``RegionAgnosticBackend`` (unauthenticated calls: SignUp, InitiateAuth…) read
    this Cloud's private pools: the bridge rebinds classes defined in a module, and this one is
    imported into ``responses`` from ``models``."""
    import moto.cognitoidp.models as models
    import moto.cognitoidp.responses as responses

    rebound = backends._globals_for(vars(responses))
    if rebound is not vars(responses):  # never patch moto's own module
        rebound["RegionAgnosticBackend"] = backends.rebound_class(models.RegionAgnosticBackend)
