"""Lambda authorizers as API Gateway runs them: identity sources, events, IAM policy evaluation, cache.

Interface (pure: the caller passes ``now`` from its clock and an ``invoke`` callable; no I/O):

* ``AuthorizerConfig.from_rest(get_authorizer_dict)`` / ``.from_http(get_authorizer_dict)`` /
  ``.from_websocket(...)``: the control-plane shapes (``identitySource`` "method.request.header.Auth,
  method.request.querystring.q"; v2 ``IdentitySource`` ["$request.header.Authorization"]).
* ``authorize(config, request, invoke, cache, now) -> AuthResult``:
  - ``request = AuthRequest(method_arn, proxy_event)``: ``proxy_event`` is the integration event the
    core already builds (payload 1.0 for REST, WebSocket ``$connect`` and HTTP authorizers with
    ``AuthorizerPayloadFormatVersion`` "1.0"; payload 2.0 for HTTP "2.0"), without ``body``.
  - ``invoke(event) -> (payload, function_error)``: call the authorizer Lambda synchronously; return
    the decoded JSON result and ``None``, or the error payload and the ``X-Amz-Function-Error`` value
    (raise ``AuthorizerUnavailable`` if Lambda refused the invoke: permission, throttle, timeout).
  - ``cache``: one ``AuthorizerCache`` per Cloud (results keyed by authorizer + identity values).
  - ``AuthResult.allowed`` → the core adds ``AuthResult.context`` as ``requestContext.authorizer``
    (REST: principalId + stringified context; HTTP 2.0 events: ``{"lambda": context}``; HTTP 1.0
    events: context + principalId) and, with ``apiKeySource=AUTHORIZER``, uses
    ``usage_identifier_key`` as the API key. Otherwise it answers ``status_code``, ``body`` and header
    ``x-amzn-ErrorType: error_type`` (REST) through gateway response ``gateway_response``:
    401 ``{"message":"Unauthorized"}`` (missing identity source: not invoked; authorizer raised or
    returned "Unauthorized"); 403 ``{"Message":"User is not authorized to access this resource with
    an explicit deny"}`` (explicit Deny); 403 ``{"Message":"User is not authorized to access this
    resource"}`` (no statement allows the method); 500 (authorizer failed or bad output, REST
    ``AuthorizerConfigurationException``). HTTP APIs: 403 ``{"message":"Forbidden"}`` and 500
    ``{"message":"Internal Server Error"}``. Sources: aws-facts-2 §6.1 and §6.3.
* ``evaluate_policy(policy_document, method_arn) -> "Allow" | "Deny" | "NotAllowed"``: IAM rules
  (explicit Deny wins, no match = not allowed), ``*``/``?`` wildcards, ``Action``/``NotAction``,
  ``Resource``/``NotResource``. Statements with a ``Condition`` are not evaluated (skipped).
* ``method_arn(region, account, api_id, stage, http_method, resource_path)`` builds the ARN AWS passes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, Sequence

DEFAULT_TTL = 300
MAX_TTL = 3600
ApiType = Literal["REST", "HTTP", "WEBSOCKET"]
Invoke = Callable[[dict], "tuple[Any, str | None]"]

UNAUTHORIZED_BODY = '{"message":"Unauthorized"}'
EXPLICIT_DENY_BODY = '{"Message":"User is not authorized to access this resource with an explicit deny"}'
NOT_ALLOWED_BODY = '{"Message":"User is not authorized to access this resource"}'
REST_AUTHORIZER_ERROR_BODY = '{"message":null}'  # (unverified: AWS's messageString is null here)
HTTP_FORBIDDEN_BODY = '{"message":"Forbidden"}'
HTTP_ERROR_BODY = '{"message":"Internal Server Error"}'


class AuthorizerUnavailable(Exception):
    """The authorizer Lambda could not be invoked (missing permission, throttled, timed out)."""


def method_arn(region: str, account: str, api_id: str, stage: str, http_method: str,
               resource_path: str) -> str:
    """``arn:aws:execute-api:region:account:api-id/stage/METHOD/resource-path`` (no leading ``/``)."""
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{http_method}/{resource_path.lstrip('/')}"


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """IAM's wildcards: ``*`` any run of characters (``/`` and ``:`` included), ``?`` exactly one."""
    parts = ("." if ch == "?" else ".*" if ch == "*" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.DOTALL)


def wildcard_match(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """Whether *value* matches the IAM wildcard *pattern* as a whole (ARNs are case-sensitive)."""
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    return wildcard_regex(pattern).fullmatch(value) is not None


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _statement_applies(statement: Mapping[str, Any], action: str, arn: str) -> bool:
    """Whether one statement's Action/NotAction and Resource/NotResource cover the request."""
    if "Action" in statement:
        action_ok = any(wildcard_match(a, action, case_sensitive=False) for a in _as_list(statement["Action"]))
    else:
        action_ok = not any(wildcard_match(a, action, case_sensitive=False)
                            for a in _as_list(statement.get("NotAction")))
    if "Resource" in statement:
        resource_ok = any(wildcard_match(r, arn) for r in _as_list(statement["Resource"]))
    else:
        resource_ok = not any(wildcard_match(r, arn) for r in _as_list(statement.get("NotResource")))
    return action_ok and resource_ok


def evaluate_policy(policy_document: Mapping[str, Any], arn: str,
                    action: str = "execute-api:Invoke") -> Literal["Allow", "Deny", "NotAllowed"]:
    """IAM evaluation of one policy: an explicit Deny wins, then any Allow, else not allowed."""
    statements = policy_document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    allowed = False
    for statement in statements:
        if "Condition" in statement or not _statement_applies(statement, action, arn):
            continue
        effect = str(statement.get("Effect", ""))
        if effect == "Deny":
            return "Deny"
        allowed = allowed or effect == "Allow"
    return "Allow" if allowed else "NotAllowed"


@dataclass(frozen=True)
class AuthorizerConfig:
    """What API Gateway needs to run one Lambda authorizer."""

    authorizer_id: str
    api_type: ApiType
    kind: Literal["TOKEN", "REQUEST"] = "REQUEST"
    identity_sources: tuple[str, ...] = ()
    ttl_seconds: int = DEFAULT_TTL
    identity_validation_expression: str | None = None
    payload_format_version: str = "1.0"
    enable_simple_responses: bool = False

    @classmethod
    def from_rest(cls, raw: Mapping[str, Any]) -> "AuthorizerConfig":
        """From an apigateway ``GetAuthorizer`` dict (TOKEN or REQUEST)."""
        sources = tuple(s.strip() for s in str(raw.get("identitySource") or "").split(",") if s.strip())
        return cls(str(raw.get("id", "")), "REST", raw.get("type", "TOKEN"), sources,
                   int(raw.get("authorizerResultTtlInSeconds", DEFAULT_TTL)),
                   raw.get("identityValidationExpression"))

    @classmethod
    def from_http(cls, raw: Mapping[str, Any]) -> "AuthorizerConfig":
        """From an apigatewayv2 ``GetAuthorizer`` dict (``AuthorizerType: REQUEST``)."""
        return cls(str(raw.get("AuthorizerId", "")), "HTTP", "REQUEST",
                   tuple(raw.get("IdentitySource") or ()),
                   int(raw.get("AuthorizerResultTtlInSeconds", DEFAULT_TTL)), None,
                   str(raw.get("AuthorizerPayloadFormatVersion", "2.0")),
                   bool(raw.get("EnableSimpleResponses", False)))

    @classmethod
    def from_websocket(cls, raw: Mapping[str, Any]) -> "AuthorizerConfig":
        """From an apigatewayv2 WebSocket ``GetAuthorizer`` dict (``route.request.header.Auth``).

        Never cached: AWS documents ``AuthorizerResultTtlInSeconds`` as "supported only for HTTP API
        Lambda authorizers" [BC apigatewayv2 CreateAuthorizer], so a WebSocket authorizer runs on every
        ``$connect`` whatever TTL the authorizer carries."""
        return cls(str(raw.get("AuthorizerId", "")), "WEBSOCKET", "REQUEST", tuple(raw.get("IdentitySource") or ()), 0)


@dataclass(frozen=True)
class AuthRequest:
    """One request to authorize: its method (route) ARN and its proxy event (1.0 or 2.0 shape)."""

    method_arn: str
    proxy_event: Mapping[str, Any]


@dataclass(frozen=True)
class AuthResult:
    """The authorizer's verdict, with what the core must return or pass on."""

    allowed: bool
    status_code: int = 200
    body: str = ""
    error_type: str | None = None
    gateway_response: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    principal_id: str | None = None
    usage_identifier_key: str | None = None
    invoked: bool = False
    cached: bool = False
    log_line: str | None = None


@dataclass(frozen=True)
class AuthorizerOutput:
    """A valid authorizer result, as cached: policy (or simple verdict) + context."""

    principal_id: str | None
    policy_document: Mapping[str, Any] | None
    is_authorized: bool | None
    context: Mapping[str, Any]
    usage_identifier_key: str | None


class AuthorizerCache:
    """Authorizer results by (authorizer id, identity values), each kept for the authorizer's TTL."""

    def __init__(self) -> None:
        self._entries: dict[tuple, tuple[float, AuthorizerOutput]] = {}

    def get(self, key: tuple, now: float) -> AuthorizerOutput | None:
        """The cached output for *key*, unless its TTL has run out by *now*."""
        entry = self._entries.get(key)
        if entry is None or now >= entry[0]:
            self._entries.pop(key, None)
            return None
        return entry[1]

    def put(self, key: tuple, output: AuthorizerOutput, now: float, ttl: int) -> None:
        """Keep *output* for *ttl* seconds (0: not at all)."""
        if ttl > 0:
            self._entries[key] = (now + ttl, output)

    def flush(self, authorizer_id: str | None = None) -> None:
        """Drop every entry (a redeployment), or those of one authorizer."""
        self._entries = {k: v for k, v in self._entries.items()
                         if authorizer_id is not None and k[0] != authorizer_id}


def validate_ttl(ttl: int) -> None:
    """AWS's bounds for ``authorizerResultTtlInSeconds``: 0 (off) to 3600."""
    if not 0 <= ttl <= MAX_TTL:
        raise ValueError(f"Authorizer result TTL must be between 0 and {MAX_TTL} seconds; got {ttl}")


def _lookup(mapping: Mapping[str, Any] | None, name: str, *, fold_case: bool) -> Any:
    if not mapping:
        return None
    if not fold_case:
        return mapping.get(name)
    lowered = name.lower()
    return next((v for k, v in mapping.items() if k.lower() == lowered), None)


def _context_path(context: Mapping[str, Any] | None, dotted: str) -> Any:
    value: Any = context
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def identity_value(source: str, event: Mapping[str, Any]) -> str | None:
    """The value of one identity source in a proxy event, or None when absent or empty."""
    source = source.strip().lstrip("$")
    prefixes = (("method.request.header.", "headers", True), ("request.header.", "headers", True),
                ("route.request.header.", "headers", True),
                ("method.request.querystring.", "queryStringParameters", False),
                ("request.querystring.", "queryStringParameters", False),
                ("route.request.querystring.", "queryStringParameters", False),
                ("stageVariables.", "stageVariables", False))
    value: Any = None
    for prefix, key, fold in prefixes:
        if source.startswith(prefix):
            value = _lookup(event.get(key), source[len(prefix):], fold_case=fold)
            break
    else:
        if source.startswith("context."):
            value = _context_path(event.get("requestContext"), source[len("context."):])
    if value is None or value == "":
        return None
    return str(value)


_V1_FIELDS = ("resource", "path", "httpMethod", "headers", "multiValueHeaders",
              "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
              "stageVariables", "requestContext")
_V2_FIELDS = ("routeKey", "rawPath", "rawQueryString", "cookies", "headers",
              "queryStringParameters", "requestContext", "pathParameters", "stageVariables")


def authorizer_event(config: AuthorizerConfig, request: AuthRequest, identity: Sequence[str]) -> dict:
    """The event AWS sends the authorizer Lambda (aws-facts §8.8, aws-facts-2 §5, §6.1, §6.3)."""
    event = request.proxy_event
    if config.kind == "TOKEN":
        return {"type": "TOKEN", "authorizationToken": identity[0] if identity else "",
                "methodArn": request.method_arn}
    if config.api_type == "HTTP" and config.payload_format_version == "2.0":
        head = {"version": "2.0", "type": "REQUEST", "routeArn": request.method_arn,
                "identitySource": list(identity)}
        return head | {k: event[k] for k in _V2_FIELDS if k in event}
    head: dict[str, Any] = {"type": "REQUEST", "methodArn": request.method_arn}
    if config.api_type == "HTTP":
        joined = ",".join(identity)
        head = {"version": "1.0", "type": "REQUEST", "methodArn": request.method_arn,
                "identitySource": joined, "authorizationToken": joined}
    body = {k: event.get(k) for k in _V1_FIELDS if k in event}
    if config.api_type == "WEBSOCKET":
        for key in ("queryStringParameters", "multiValueQueryStringParameters", "stageVariables"):
            body[key] = body.get(key) or {}
    return head | body


class _BadOutput(Exception):
    """The authorizer's result is not what AWS accepts."""


def _scalar_context(context: Mapping[str, Any]) -> dict[str, str]:
    """REST rules: context values must be string, number or boolean; they arrive stringified."""
    out = {}
    for key, value in context.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            out[key] = value if isinstance(value, str) else json.dumps(value)
        else:
            raise _BadOutput(f"context value of {key!r} must be a string, number or boolean")
    return out


def parse_output(config: AuthorizerConfig, payload: Any) -> AuthorizerOutput:
    """Validate an authorizer's return value as AWS does; ``_BadOutput`` when AWS would answer 500."""
    if not isinstance(payload, Mapping):
        raise _BadOutput("the authorizer must return a JSON object")
    context = payload.get("context") or {}
    if not isinstance(context, Mapping):
        raise _BadOutput("context must be a JSON object")
    if config.enable_simple_responses:
        if not isinstance(payload.get("isAuthorized"), bool):
            raise _BadOutput("a simple response needs a boolean isAuthorized")
        return AuthorizerOutput(None, None, payload["isAuthorized"], dict(context), None)
    policy = payload.get("policyDocument")
    if not isinstance(policy, Mapping) or "Statement" not in policy or "principalId" not in payload:
        raise _BadOutput("an IAM policy response needs principalId and policyDocument.Statement")
    if config.api_type != "HTTP":
        context = _scalar_context(context)
    key = payload.get("usageIdentifierKey")
    return AuthorizerOutput(str(payload["principalId"]), policy, None, dict(context),
                            None if key is None else str(key))


def _refusal(config: AuthorizerConfig, status: int, rest_body: str, error_type: str,
             response_type: str, log: str, **extra: Any) -> AuthResult:
    """A refusal in the API type's own shape (HTTP APIs have no gateway responses or error types)."""
    if config.api_type == "HTTP":
        body = {401: UNAUTHORIZED_BODY, 403: HTTP_FORBIDDEN_BODY}.get(status, HTTP_ERROR_BODY)
        return AuthResult(False, status, body, None, None, log_line=log, **extra)
    return AuthResult(False, status, rest_body, error_type, response_type, log_line=log, **extra)


def _unauthorized(config: AuthorizerConfig, log: str, **extra: Any) -> AuthResult:
    return _refusal(config, 401, UNAUTHORIZED_BODY, "UnauthorizedException", "UNAUTHORIZED", log, **extra)


def _failure(config: AuthorizerConfig, log: str) -> AuthResult:
    return _refusal(config, 500, REST_AUTHORIZER_ERROR_BODY, "AuthorizerConfigurationException",
                    "AUTHORIZER_CONFIGURATION_ERROR", log, invoked=True)


def _verdict(config: AuthorizerConfig, output: AuthorizerOutput, arn: str, cached: bool) -> AuthResult:
    """Apply a (fresh or cached) output to this request's method ARN."""
    if output.is_authorized is not None:
        effect = "Allow" if output.is_authorized else "Deny"
    else:
        effect = evaluate_policy(output.policy_document or {}, arn)
    extra = {"invoked": not cached, "cached": cached, "principal_id": output.principal_id}
    if effect == "Deny":
        return _refusal(config, 403, EXPLICIT_DENY_BODY, "AccessDeniedException", "ACCESS_DENIED",
                        f"The client is not authorized to perform this operation: explicit deny on {arn}", **extra)
    if effect == "NotAllowed":
        return _refusal(config, 403, NOT_ALLOWED_BODY, "AccessDeniedException", "ACCESS_DENIED",
                        f"The client is not authorized to perform this operation: no Allow for {arn}", **extra)
    return AuthResult(True, context=_event_context(config, output), usage_identifier_key=output.usage_identifier_key,
                      log_line=f"Authorization succeeded for principal {output.principal_id}", **extra)


def _event_context(config: AuthorizerConfig, output: AuthorizerOutput) -> dict[str, Any]:
    """``requestContext.authorizer`` for the integration event."""
    if config.api_type == "HTTP" and config.payload_format_version == "2.0":
        return {"lambda": dict(output.context)}
    principal = {} if output.principal_id is None else {"principalId": output.principal_id}
    return dict(output.context) | principal


def authorize(config: AuthorizerConfig, request: AuthRequest, invoke: Invoke,
              cache: AuthorizerCache, now: float) -> AuthResult:
    """Run one Lambda authorizer for one request, as API Gateway does (see the module docstring)."""
    identity = [identity_value(s, request.proxy_event) for s in config.identity_sources]
    if None in identity or (config.kind == "TOKEN" and not identity):
        return _unauthorized(config, "Unauthorized request: the identity source is missing or empty")
    values = [v for v in identity if v is not None]
    expression = config.identity_validation_expression
    if config.kind == "TOKEN" and expression and not re.fullmatch(expression, values[0]):
        return _unauthorized(config, "Unauthorized request: the token does not match identityValidationExpression")
    key = (config.authorizer_id, *values)
    cached = cache.get(key, now) if config.ttl_seconds > 0 and values else None
    if cached is not None:
        return _verdict(config, cached, request.method_arn, cached=True)
    try:
        payload, function_error = invoke(authorizer_event(config, request, values))
    except AuthorizerUnavailable as exc:
        return _failure(config, f"Execution failed due to configuration error: {exc}")
    if function_error is not None or payload == "Unauthorized":
        message = payload.get("errorMessage") if isinstance(payload, Mapping) else payload
        if message == "Unauthorized":
            return _unauthorized(config, "Unauthorized request: the authorizer said Unauthorized", invoked=True)
        return _failure(config, f"Execution failed due to configuration error: Authorizer error ({message})")
    try:
        output = parse_output(config, payload)
    except _BadOutput as exc:
        return _failure(config, f"Execution failed due to configuration error: Invalid JSON in response: {exc}")
    if values:
        cache.put(key, output, now, config.ttl_seconds)
    return _verdict(config, output, request.method_arn, cached=False)
