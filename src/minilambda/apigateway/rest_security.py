"""The REST admission steps: authorizers (Lambda, Cognito, IAM), API keys with usage plans and
throttling, and request validators. Each returns a ``GatewayError`` to refuse, or None / the
context to go on. The rules live in the security modules (``policy``, ``jwt_auth``,
``throttling``, ``sigv4_auth``); this is only the glue to the core.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .config import RestApiView
from .events import RouteContext, rest_event
from .integrations import authorizer_invoker
from .records import HttpRequest
from .responses import GatewayError, gateway_error

if TYPE_CHECKING:
    from .exchange import DataPlane as ApiGateway, Exchange  # not dataplane.py: it imports this module


def _refusal(status: int, body: str, response_type: str | None, log: str | None) -> GatewayError:
    message = None
    try:
        parsed = json.loads(body)
        message = parsed.get("message", parsed.get("Message")) if isinstance(parsed, dict) else None
    except ValueError:
        pass
    return GatewayError(response_type or ("UNAUTHORIZED" if status == 401 else "ACCESS_DENIED"), status, message,
                        body, log or "")


def authorize_rest(gw: "ApiGateway", view: RestApiView, ex: "Exchange", method: dict[str, Any],
                   ctx: RouteContext) -> GatewayError | RouteContext:
    """Run the method's authorizer; on success the context carries ``requestContext.authorizer``."""
    kind = method.get("authorizationType") or "NONE"
    if kind == "NONE":
        return ctx
    if kind == "AWS_IAM":
        return _iam(gw, ex, ctx)
    authorizer = view.authorizers.get(method.get("authorizerId") or "")
    if authorizer is None:
        ex.authorized = False
        return gateway_error("AUTHORIZER_CONFIGURATION_ERROR", None, status=500, body='{"message":null}',
                             log="Execution failed due to configuration error: authorizer not found")
    if authorizer.get("type") == "COGNITO_USER_POOLS":
        return _cognito(gw, ex, authorizer, method, ctx)
    return _lambda_authorizer(gw, view, ex, authorizer, ctx)


def _lambda_authorizer(gw: "ApiGateway", view: RestApiView, ex: "Exchange", authorizer: dict[str, Any],
                       ctx: RouteContext) -> GatewayError | RouteContext:
    from .policy import AuthorizerConfig, AuthRequest, authorize, method_arn

    config = AuthorizerConfig.from_rest(authorizer)
    arn = method_arn(gw.cloud.region, gw.cloud.account_id, view.api_id, ctx.stage, ctx.method, ctx.resource_path)
    event = rest_event(ex.request, ctx, binary_media_types=[], added_headers=[])
    event.pop("body", None)
    invoke = authorizer_invoker(gw.cloud, authorizer.get("authorizerUri", ""), api_id=view.api_id,
                                authorizer_id=config.authorizer_id, credentials=authorizer.get("authorizerCredentials"))
    with gw.lock:
        verdict = authorize(config, AuthRequest(arn, event), invoke, gw.auth_cache, gw.cloud.clock.now())
    ex.authorized = verdict.allowed
    if verdict.log_line:
        ex.note(verdict.log_line)
    if not verdict.allowed:
        return _refusal(verdict.status_code, verdict.body, verdict.gateway_response, verdict.log_line)
    ex.context["authorizer.principalId"] = verdict.principal_id
    ex.context["usageIdentifierKey"] = verdict.usage_identifier_key
    return replace(ctx, authorizer=dict(verdict.context))


def _cognito(gw: "ApiGateway", ex: "Exchange", authorizer: dict[str, Any], method: dict[str, Any],
             ctx: RouteContext) -> GatewayError | RouteContext:
    """``COGNITO_USER_POOLS``: the token's signature, issuer (one of the pools) and expiry."""
    from .jwt_auth import JwtAuthorizerConfig, authorize_jwt

    source = (authorizer.get("identitySource") or "method.request.header.Authorization").rsplit(".", 1)[-1]
    headers = {k: v for k, v in ex.request.headers}
    scopes = method.get("authorizationScopes") or []
    last = None
    for provider in authorizer.get("providerARNs") or []:
        pool_id = provider.rsplit("/", 1)[-1]
        region = provider.split(":")[3] if provider.count(":") >= 5 else gw.cloud.region
        issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
        config = JwtAuthorizerConfig(issuer, _pool_clients(gw, pool_id), f"$request.header.{source}")
        with gw.lock:
            last = authorize_jwt(config, headers, scopes, gw.fetch_jwks, gw.cloud.clock.now(),
                                 payload_format_version="1.0")
        if last.allowed:
            ex.authorized = True
            return replace(ctx, authorizer={"claims": dict(last.claims)})
    ex.authorized = False
    status = last.status_code if last is not None else 401
    body = '{"message":"Unauthorized"}' if status == 401 else '{"message":"Forbidden"}'
    return _refusal(status, body, "UNAUTHORIZED" if status == 401 else "ACCESS_DENIED",
                    last.log_line if last is not None else "no user pool configured")


def _pool_clients(gw: "ApiGateway", pool_id: str) -> tuple[str, ...]:
    """A Cognito authorizer accepts tokens of any app client of the pool (their ids as audiences)."""
    try:
        idp = gw.config.client("cognito-idp")
        clients = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60).get("UserPoolClients", [])
    except Exception:  # noqa: BLE001 - no such pool here, or no Cognito in this Cloud: no audience
        return ()
    return tuple(c["ClientId"] for c in clients)


def _iam(gw: "ApiGateway", ex: "Exchange", ctx: RouteContext) -> GatewayError | RouteContext:
    """``AWS_IAM``: the SigV4 signature checked against the Cloud's credentials (``sigv4_auth``)."""
    from .sigv4_auth import SignedRequest, verify_sigv4

    request = ex.request
    url = f"{request.scheme}://{request.header('host') or '127.0.0.1'}{request.target}"
    result = verify_sigv4(SignedRequest(request.method, url, request.headers, request.body),
                          gw.credentials.get, gw.cloud.clock.now(), region=gw.cloud.region)
    ex.authorized = result.allowed
    if not result.allowed:
        return _refusal(result.status_code, result.body, result.gateway_response,
                        f"Authorization failed: {result.body}")
    cred = result.credential
    identity = {"accessKey": cred.access_key_id, "accountId": cred.account_id, "caller": cred.user_id,
                "user": cred.user_id, "userArn": cred.arn} if cred is not None else {}
    return replace(ctx, identity=identity)


def check_api_key_and_throttle(gw: "ApiGateway", view: RestApiView, ex: "Exchange", stage: dict[str, Any],
                               method: dict[str, Any], ctx: RouteContext) -> GatewayError | None:
    """API key (``x-api-key`` or the authorizer's ``usageIdentifierKey``) and every token bucket."""
    from .throttling import ThrottleRequest, resolve_method_settings

    usage = None
    if method.get("apiKeyRequired"):
        source = view.api.get("apiKeySource") or "HEADER"
        value = ex.context.get("usageIdentifierKey") if source == "AUTHORIZER" else ex.request.header("x-api-key")
        usage = gw.usage_plan_key(view.api_id, ctx.stage, value, f"{ctx.resource_path}/{ctx.method}")
        if usage is None:
            return gateway_error("INVALID_API_KEY", "Forbidden",
                                 log="API Key not authorized because method requires API Key and none or an "
                                     "invalid one was provided")
        ex.context["identity.apiKey"] = value
        ex.context["identity.apiKeyId"] = usage.api_key_id
    stage_throttle = resolve_method_settings(stage.get("methodSettings"), ctx.resource_path,
                                             method.get("httpMethod", ctx.method))
    request = ThrottleRequest(view.api_id, ctx.stage, f"{ctx.resource_path}/{ctx.method}", stage_throttle, usage)
    with gw.lock:
        decision = gw.throttler.decide(request, gw.cloud.clock.now())
    if decision.allowed:
        return None
    ex.throttled = True
    return GatewayError(decision.gateway_response or "THROTTLED", decision.status_code,
                        json.loads(decision.body).get("message"), decision.body, decision.log_line or "")


def validate_request(view: RestApiView, method: dict[str, Any], request: HttpRequest,
                     ctx: RouteContext) -> GatewayError | None:
    """The method's request validator: required parameters, then the body against its model."""
    validator = view.validators.get(method.get("requestValidatorId") or "")
    if validator is None:
        return None
    if validator.get("validateRequestParameters"):
        missing = _missing_parameters(method.get("requestParameters") or {}, request, ctx)
        if missing:
            return gateway_error("BAD_REQUEST_PARAMETERS", f"Missing required request parameters: [{', '.join(missing)}]",
                                 log=f"Request validation failed: missing {missing}")
    if validator.get("validateRequestBody"):
        return _validate_body(view, method, request)
    return None


def _missing_parameters(parameters: dict[str, bool], request: HttpRequest, ctx: RouteContext) -> list[str]:
    """Required parameters not sent, in AWS's order: headers, path, query string."""
    from urllib.parse import parse_qsl

    query = {k for k, _ in parse_qsl(request.raw_query, keep_blank_values=True)}
    headers = {k.lower() for k, _ in request.headers}
    path = set((ctx.path_parameters or {}).keys())
    missing: dict[str, list[str]] = {"header": [], "path": [], "querystring": []}
    for key, required in parameters.items():
        if not required or not key.startswith("method.request."):
            continue
        where, _, name = key[len("method.request."):].partition(".")
        present = {"header": name.lower() in headers, "path": name in path, "querystring": name in query}.get(where, True)
        if not present:
            missing.setdefault(where, []).append(name)
    return missing["header"] + missing["path"] + missing["querystring"]


def _validate_body(view: RestApiView, method: dict[str, Any], request: HttpRequest) -> GatewayError | None:
    """JSON Schema draft 4 (the ``jsonschema`` package), as API Gateway models are written."""
    import jsonschema

    content_type = (request.header("content-type") or "application/json").split(";")[0].strip()
    models = method.get("requestModels") or {}
    model_name = models.get(content_type) or models.get("$default")
    model = view.models.get(model_name or "")
    if model is None or not model.get("schema"):
        return None
    invalid = gateway_error("BAD_REQUEST_BODY", "Invalid request body", log="Request body does not match model schema")
    try:
        schema = json.loads(model["schema"])
        document = json.loads(request.body or b"null")
    except ValueError:
        return invalid
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(document))
    if errors:
        return gateway_error("BAD_REQUEST_BODY", "Invalid request body",
                             log=f"Request body does not match model schema for content type {content_type}: "
                                 + "; ".join(e.message for e in errors[:3]))
    return None


def check_resource_policy(gw: "ApiGateway", view: RestApiView, ex: "Exchange", method: dict[str, Any],
                          ctx: RouteContext) -> GatewayError | None:
    """The API's resource policy as the stage's deployment captured it (``resource_policy.decide``);
    AWS_IAM callers are checked after SigV4 (``ctx.identity``), everyone else before any authorizer."""
    from .policy import method_arn
    from .resource_policy import Caller, decide, parse

    try:
        document = parse(gw.config.policy(view.api_id, ctx.deployment_id))
    except (ValueError, TypeError):
        return gateway_error("API_CONFIGURATION_ERROR", "Internal server error", status=500,
                             body='{"message": "Internal server error"}',
                             log="Execution failed due to configuration error: the resource policy is not valid JSON")
    if document is None:
        return None
    identity = ctx.identity or {}
    caller = Caller(ex.request.source_ip, identity.get("userArn"), identity.get("accountId"))
    arn = method_arn(gw.cloud.region, gw.cloud.account_id, view.api_id, ctx.stage, ctx.method, ctx.path)
    decision = decide(document, caller, arn, method.get("authorizationType") or "NONE")
    if decision.allowed:
        return None
    ex.authorized = False
    return _refusal(403, decision.body, "ACCESS_DENIED", decision.log)
