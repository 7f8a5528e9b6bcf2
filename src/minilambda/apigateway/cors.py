"""CORS as API Gateway does it: HTTP API ``CorsConfiguration`` answered by the gateway, REST's OPTIONS mock.

Interface (pure):

* ``CorsConfiguration.from_aws(api["CorsConfiguration"])`` (apigatewayv2 shape; ``validate()`` raises
  ``ValueError`` for AWS's rules: ``MaxAge`` -1..86400, no credentials with a ``*`` origin).
* HTTP APIs, before routing: ``preflight_response(config, headers, method="OPTIONS") ->
  PreflightResponse | None`` (``config``: a ``CorsConfiguration`` or the raw apigatewayv2 dict).
  Not None → answer it (status 204, empty body, its ``headers``; it also unpacks as
  ``status, headers``) without routing, authorizing or invoking anything, even when no OPTIONS
  route exists [AGDG http-api-cors.md]. A preflight is an ``OPTIONS`` request with ``Origin`` and
  ``Access-Control-Request-Method``.
* HTTP APIs, on every other response (integration results *and* gateway errors such as a JWT 401):
  ``apply_cors(config, request_headers, response_headers) -> dict``: drops the backend's own
  ``Access-Control-*`` headers (AWS ignores them) and adds the configured ones when the request's
  ``Origin`` is allowed. ``response_headers(config, request_headers)`` returns just the CORS
  headers to add (the caller must then drop every backend ``Access-Control-*`` header itself).
* REST APIs have no built-in CORS: ``rest_cors_calls(rest_api_id, resource_id, methods, …)`` lists
  the apigateway calls the console's "Enable CORS" makes (an OPTIONS method with a MOCK integration
  answering 200 with ``Access-Control-Allow-*`` headers) as ``(operation_name, kwargs)`` pairs for a
  boto3 ``apigateway`` client; ``gateway_response_cors_parameters(origin)`` gives the
  ``responseParameters`` that put the same headers on DEFAULT_4XX/5XX gateway responses.
Unverified details: the preflight status (204), that a refused preflight is 204 without CORS
headers, and that a ``*`` origin without credentials is answered ``*`` rather than echoed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

PREFLIGHT_STATUS = 204
DEFAULT_REST_HEADERS = "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token"


@dataclass(frozen=True)
class CorsConfiguration:
    """An HTTP API's ``CorsConfiguration``."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    @classmethod
    def from_aws(cls, raw: Mapping[str, Any] | None) -> "CorsConfiguration | None":
        """From apigatewayv2's ``CorsConfiguration`` dict; None when the API has none."""
        if raw is None:
            return None
        return cls(tuple(raw.get("AllowOrigins") or ()), tuple(m.upper() for m in raw.get("AllowMethods") or ()),
                   tuple(raw.get("AllowHeaders") or ()), tuple(raw.get("ExposeHeaders") or ()),
                   raw.get("MaxAge"), bool(raw.get("AllowCredentials", False)))

    def validate(self) -> None:
        """AWS's configuration rules (BadRequestException on CreateApi/UpdateApi)."""
        if self.max_age is not None and not -1 <= self.max_age <= 86400:
            raise ValueError(f"MaxAge must be between -1 and 86400 seconds; got {self.max_age}")
        if self.allow_credentials and "*" in self.allow_origins:
            raise ValueError("AllowCredentials cannot be true when AllowOrigins contains '*'")


@dataclass(frozen=True)
class PreflightResponse:
    """What API Gateway answers to a preflight request by itself."""

    status_code: int = PREFLIGHT_STATUS
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""

    def __iter__(self):
        """Unpack as ``status, headers`` (the body of a preflight answer is always empty)."""
        return iter((self.status_code, self.headers))


def _config(config: "CorsConfiguration | Mapping[str, Any] | None") -> "CorsConfiguration | None":
    """Accept a ``CorsConfiguration`` or apigatewayv2's raw ``CorsConfiguration`` dict."""
    if config is None or isinstance(config, CorsConfiguration):
        return config
    return CorsConfiguration.from_aws(config)


def _get(headers: Mapping[str, str] | None, name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in (headers or {}).items() if k.lower() == lowered), None)


def origin_allowed(config: CorsConfiguration, origin: str) -> bool:
    """``*``, an exact origin, or a scheme wildcard (``https://*``, ``http://*``)."""
    for allowed in config.allow_origins:
        if allowed == "*" or allowed.lower() == origin.lower():
            return True
        if allowed.endswith("://*") and origin.lower().startswith(allowed[:-1].lower()):
            return True
    return False


def _allow_origin_value(config: CorsConfiguration, origin: str) -> dict[str, str]:
    if config.allow_origins == ("*",) and not config.allow_credentials:
        return {"access-control-allow-origin": "*"}
    return {"access-control-allow-origin": origin, "vary": "origin"}


def preflight_response(config: CorsConfiguration | Mapping[str, Any] | None, headers: Mapping[str, str] | None,
                       method: str = "OPTIONS") -> PreflightResponse | None:
    """The gateway's own answer to a CORS preflight, or None when the request is not one."""
    config = _config(config)
    origin = _get(headers, "origin")
    requested_method = _get(headers, "access-control-request-method")
    if config is None or method.upper() != "OPTIONS" or not origin or not requested_method:
        return None
    requested_headers = [h.strip().lower() for h in (_get(headers, "access-control-request-headers") or "").split(",")
                         if h.strip()]
    allowed_headers = {h.lower() for h in config.allow_headers}
    method_ok = "*" in config.allow_methods or requested_method.upper() in config.allow_methods
    headers_ok = "*" in allowed_headers or all(h in allowed_headers for h in requested_headers)
    if not origin_allowed(config, origin) or not method_ok or not headers_ok:
        return PreflightResponse()
    out = _allow_origin_value(config, origin)
    out["access-control-allow-methods"] = ",".join(config.allow_methods)
    if config.allow_headers:
        out["access-control-allow-headers"] = (",".join(requested_headers) if "*" in allowed_headers and requested_headers
                                               else ",".join(config.allow_headers))
    if config.max_age is not None and config.max_age >= 0:
        out["access-control-max-age"] = str(config.max_age)
    if config.allow_credentials:
        out["access-control-allow-credentials"] = "true"
    return PreflightResponse(headers=out)


def response_headers(config: CorsConfiguration | Mapping[str, Any] | None,
                     request_headers: Mapping[str, str] | None) -> dict[str, str]:
    """The CORS headers a (non-preflight) response gets for this request's ``Origin``."""
    config = _config(config)
    origin = _get(request_headers, "origin")
    if config is None or not origin or not origin_allowed(config, origin):
        return {}
    out = _allow_origin_value(config, origin)
    if config.expose_headers:
        out["access-control-expose-headers"] = ",".join(config.expose_headers)
    if config.allow_credentials:
        out["access-control-allow-credentials"] = "true"
    return out


def apply_cors(config: CorsConfiguration | Mapping[str, Any] | None, request_headers: Mapping[str, str] | None,
               response_headers_: Mapping[str, str]) -> dict[str, str]:
    """The response headers a client gets: backend CORS headers replaced by the configured ones."""
    config = _config(config)
    if config is None:
        return dict(response_headers_)
    out = {k: v for k, v in response_headers_.items() if not k.lower().startswith("access-control-")}
    out.update(response_headers(config, request_headers))
    return out


def rest_cors_calls(rest_api_id: str, resource_id: str, methods: Sequence[str], *, origin: str = "*",
                    allow_headers: str = DEFAULT_REST_HEADERS) -> list[tuple[str, dict[str, Any]]]:
    """The apigateway calls of the console's "Enable CORS" for one resource (OPTIONS + MOCK)."""
    names = ("Access-Control-Allow-Headers", "Access-Control-Allow-Methods", "Access-Control-Allow-Origin")
    values = (allow_headers, ",".join(sorted({m.upper() for m in methods} | {"OPTIONS"})), origin)
    target = {"restApiId": rest_api_id, "resourceId": resource_id, "httpMethod": "OPTIONS"}
    return [
        ("put_method", target | {"authorizationType": "NONE"}),
        ("put_integration", target | {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}),
        ("put_method_response", target | {"statusCode": "200", "responseModels": {"application/json": "Empty"},
                                          "responseParameters": {f"method.response.header.{n}": False for n in names}}),
        ("put_integration_response", target | {"statusCode": "200", "responseTemplates": {"application/json": ""},
                                               "responseParameters": {f"method.response.header.{n}": f"'{v}'"
                                                                      for n, v in zip(names, values)}}),
    ]


def enable_rest_cors(client: Any, rest_api_id: str, resource_id: str, methods: Sequence[str], **options: Any) -> None:
    """Make ``rest_cors_calls`` with a boto3 ``apigateway`` client (a redeployment is still needed)."""
    for operation, kwargs in rest_cors_calls(rest_api_id, resource_id, methods, **options):
        getattr(client, operation)(**kwargs)


def gateway_response_cors_parameters(origin: str = "*", allow_headers: str = DEFAULT_REST_HEADERS) -> dict[str, str]:
    """``responseParameters`` for ``put_gateway_response`` so 4XX/5XX errors carry CORS headers too."""
    return {"gatewayresponse.header.Access-Control-Allow-Origin": f"'{origin}'",
            "gatewayresponse.header.Access-Control-Allow-Headers": f"'{allow_headers}'"}
