"""HTTP APIs (apigatewayv2, ``ProtocolType: HTTP``): stage → route → CORS preflight → authorizer
(JWT, Lambda, IAM) → throttling → integration (``AWS_PROXY`` 1.0/2.0, ``HTTP_PROXY``) → answer.

Errors are AWS's HTTP API bodies (aws-facts-2 §7.4): 404 ``{"message":"Not Found"}``, 500
``{"message":"Internal Server Error"}``, 503 ``{"message":"Service Unavailable"}`` (integration
timeout, throttled function), 429 ``{"message":"Too Many Requests"}``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .config import HttpApiView
from .events import RouteContext, http_event, rest_event
from .http_deployments import served_view
from .integrations import authorizer_invoker, call_http, call_lambda, source_arn, substitute_stage_variables
from .records import HttpRequest, HttpResponse
from .responses import MalformedResponse, parse_v1, parse_v2
from .routing import match_http, split_path

if TYPE_CHECKING:
    from .exchange import DataPlane as ApiGateway, Exchange  # not dataplane.py: it imports this module

DEFAULT_TIMEOUT_MS = 30_000
NOT_FOUND = '{"message":"Not Found"}'
INTERNAL = '{"message":"Internal Server Error"}'
UNAVAILABLE = '{"message":"Service Unavailable"}'
TOO_LARGE = '{"message":"Request Entity Too Large"}'


def split_http_stage(view: HttpApiView, raw_path: str) -> tuple[str, str] | None:
    """``(stage, route path)``: a named stage is the first segment; otherwise ``$default``."""
    segments = split_path(raw_path)
    if segments and segments[0] in view.stages and segments[0] != "$default":
        rest = raw_path.lstrip("/")[len(segments[0]):]
        return segments[0], rest if rest.startswith("/") else "/" + rest
    if "$default" in view.stages:
        return "$default", raw_path
    return None


def serve_http(gw: "ApiGateway", view: HttpApiView, ex: "Exchange") -> HttpResponse:
    """Serve one HTTP API request."""
    request = ex.request
    found = split_http_stage(view, request.raw_path)
    if found is None:
        return gw.http_error(ex, 404, NOT_FOUND, error_type="NotFound", log="No stage matches the path")
    stage_name, path = found
    ex.stage = stage_name
    stage = view.stages[stage_name]
    deployed = served_view(gw.http_deployments, view, stage_name)
    if deployed is None:  # autoDeploy off and never deployed: nothing is served (body unverified)
        return gw.http_error(ex, 404, NOT_FOUND, error_type="NotFound", log=f"Stage {stage_name} has no deployment")
    view = deployed
    preflight = _cors_preflight(gw, view, ex)
    if preflight is not None:
        return preflight
    match = match_http(view.routes, request.method, path)
    if match is None:
        return _with_cors(view, ex, gw.http_error(ex, 404, NOT_FOUND, error_type="NotFound",
                                                  log=f"No route matches {request.method} {path}"))
    ex.route = match.route_key
    variables = dict(stage.get("StageVariables") or {})
    resource_path = match.route_key.partition(" ")[2] if match.route_key != "$default" else "$default"
    ctx = RouteContext(view.api_id, gw.cloud.account_id, stage_name, request.method, resource_path,
                       match.route_key, path, request.raw_path, match.path_parameters or None,
                       variables or None, ex.request_id, ex.extended_id, ex.start)
    ex.context.update({"routeKey": match.route_key, "stage": stage_name, "httpMethod": request.method})
    refusal = _admission(gw, view, ex, stage, match.route, ctx)
    if isinstance(refusal, HttpResponse):
        return _with_cors(view, ex, refusal)
    return _with_cors(view, ex, _integrate(gw, view, ex, match.route, refusal))


def _admission(gw: "ApiGateway", view: HttpApiView, ex: "Exchange", stage: dict[str, Any],
               route: dict[str, Any], ctx: RouteContext) -> HttpResponse | RouteContext:
    from .exchange import MAX_PAYLOAD

    if len(ex.request.body) > MAX_PAYLOAD:
        return gw.http_error(ex, 413, TOO_LARGE, error_type="RequestTooLarge", log="Request payload over 10 MB")
    outcome = _authorize(gw, view, ex, route, ctx)
    if isinstance(outcome, HttpResponse):
        return outcome
    refusal = _throttle(gw, view, ex, stage, outcome)
    return refusal if refusal is not None else outcome


def _authorize(gw: "ApiGateway", view: HttpApiView, ex: "Exchange", route: dict[str, Any],
               ctx: RouteContext) -> HttpResponse | RouteContext:
    kind = route.get("AuthorizationType") or "NONE"
    if kind == "NONE":
        return ctx
    if kind == "AWS_IAM":
        return _iam(gw, ex, ctx)
    authorizer = view.authorizers.get(route.get("AuthorizerId") or "")
    if authorizer is None:
        ex.authorized = False
        return gw.http_error(ex, 500, INTERNAL, error_type="AuthorizerConfigurationException",
                             log="Authorizer not found")
    if authorizer.get("AuthorizerType") == "JWT":
        return _jwt(gw, ex, authorizer, route, ctx)
    return _lambda_authorizer(gw, view, ex, authorizer, ctx)


def _jwt(gw: "ApiGateway", ex: "Exchange", authorizer: dict[str, Any], route: dict[str, Any],
         ctx: RouteContext) -> HttpResponse | RouteContext:
    from urllib.parse import parse_qsl

    from .jwt_auth import JwtAuthorizerConfig, authorize_jwt

    config = JwtAuthorizerConfig.from_http(authorizer)
    headers = {k: v for k, v in ex.request.headers}
    query = dict(parse_qsl(ex.request.raw_query, keep_blank_values=True))
    with gw.lock:
        result = authorize_jwt(config, headers, route.get("AuthorizationScopes") or [], gw.fetch_jwks,
                               gw.cloud.clock.now(), query=query)
    ex.authorized = result.allowed
    if not result.allowed:
        return gw.http_error(ex, result.status_code, result.body, error_type="Unauthorized",
                             log=result.log_line or "JWT authorizer refused the request",
                             extra=tuple(result.headers.items()))
    return replace(ctx, authorizer=dict(result.context))


def _lambda_authorizer(gw: "ApiGateway", view: HttpApiView, ex: "Exchange", authorizer: dict[str, Any],
                       ctx: RouteContext) -> HttpResponse | RouteContext:
    from .policy import AuthorizerConfig, AuthRequest, authorize

    config = AuthorizerConfig.from_http(authorizer)
    arn = source_arn(gw.cloud, view.api_id, ctx.stage, ctx.method, ctx.path)
    event = (http_event(ex.request, ctx, added_headers=[]) if config.payload_format_version == "2.0"
             else rest_event(ex.request, ctx, binary_media_types=[], added_headers=[], version="1.0"))
    event.pop("body", None)
    invoke = authorizer_invoker(gw.cloud, authorizer.get("AuthorizerUri", ""), api_id=view.api_id,
                                authorizer_id=config.authorizer_id,
                                credentials=authorizer.get("AuthorizerCredentialsArn"))
    with gw.lock:
        verdict = authorize(config, AuthRequest(arn, event), invoke, gw.auth_cache, gw.cloud.clock.now())
    ex.authorized = verdict.allowed
    if not verdict.allowed:
        return gw.http_error(ex, verdict.status_code, verdict.body, error_type=verdict.error_type or "Forbidden",
                             log=verdict.log_line or "")
    return replace(ctx, authorizer=dict(verdict.context))


def _iam(gw: "ApiGateway", ex: "Exchange", ctx: RouteContext) -> HttpResponse | RouteContext:
    from .sigv4_auth import SignedRequest, verify_sigv4

    request = ex.request
    url = f"{request.scheme}://{request.header('host') or '127.0.0.1'}{request.target}"
    result = verify_sigv4(SignedRequest(request.method, url, request.headers, request.body),
                          gw.credentials.get, gw.cloud.clock.now(), region=gw.cloud.region)
    ex.authorized = result.allowed
    if not result.allowed:
        return gw.http_error(ex, result.status_code, result.body, error_type=result.error_type or "Forbidden")
    cred = result.credential
    iam = {"accessKey": cred.access_key_id, "accountId": cred.account_id, "callerId": cred.user_id,
           "userArn": cred.arn, "userId": cred.user_id} if cred is not None else {}
    return replace(ctx, authorizer={"iam": iam})


def _throttle(gw: "ApiGateway", view: HttpApiView, ex: "Exchange", stage: dict[str, Any],
              ctx: RouteContext) -> HttpResponse | None:
    from .throttling import ThrottleRequest, ThrottleSettings

    route_settings = (stage.get("RouteSettings") or {}).get(ctx.route_key) or stage.get("DefaultRouteSettings")
    request = ThrottleRequest(view.api_id, ctx.stage, ctx.route_key, ThrottleSettings.from_aws(route_settings))
    with gw.lock:
        decision = gw.throttler.decide(request, gw.cloud.clock.now())
    if decision.allowed:
        return None
    ex.throttled = True
    return gw.http_error(ex, decision.status_code, decision.body, error_type=decision.error_type or "TooManyRequests",
                         log=decision.log_line or "")


def _integrate(gw: "ApiGateway", view: HttpApiView, ex: "Exchange", route: dict[str, Any],
               ctx: RouteContext) -> HttpResponse:
    target = route.get("Target") or ""
    integration = view.integrations.get(target.rpartition("/")[2]) if target.startswith("integrations/") else None
    if integration is None:
        return gw.http_error(ex, 500, INTERNAL, error_type="InternalServerErrorException",
                             log=f"Route {ctx.route_key} has no integration")
    kind = integration.get("IntegrationType")
    if kind == "AWS_PROXY":
        return _lambda_proxy(gw, view, ex, integration, ctx)
    if kind == "HTTP_PROXY":
        return _http_proxy(gw, ex, integration, ctx)
    return gw.http_error(ex, 500, INTERNAL, error_type="InternalServerErrorException",
                         log=f"Integration type {kind} is not supported by HTTP APIs")


def _added_headers(ex: "Exchange") -> list[tuple[str, str]]:
    request = ex.request
    host = request.header("host") or ""
    port = host.rsplit(":", 1)[1] if ":" in host else "80"
    return [("x-amzn-trace-id", f"Root=1-{int(ex.start):08x}-{ex.request_id.replace('-', '')[:24]}"),
            ("x-forwarded-for", request.source_ip), ("x-forwarded-port", port), ("x-forwarded-proto", request.scheme)]


def _event_request(request: HttpRequest) -> HttpRequest:
    kept = tuple((k, v) for k, v in request.headers if k.lower() not in ("connection", "expect", "transfer-encoding"))
    return replace(request, headers=kept)


def _lambda_proxy(gw: "ApiGateway", view: HttpApiView, ex: "Exchange", integration: dict[str, Any],
                  ctx: RouteContext) -> HttpResponse:
    version = integration.get("PayloadFormatVersion") or "2.0"
    request = _event_request(ex.request)
    if version == "2.0":
        event = http_event(request, ctx, added_headers=_added_headers(ex))
    else:
        event = rest_event(request, ctx, binary_media_types=["*/*"] if _binary(request) else [],
                           added_headers=_added_headers(ex), version="1.0")
    uri = substitute_stage_variables(integration.get("IntegrationUri", ""), ctx.stage_variables)
    path = ctx.resource_path if ctx.route_key != "$default" else "$default"
    arn = source_arn(gw.cloud, view.api_id, ctx.stage, ctx.method if ctx.route_key != "$default" else "*", path)
    timeout = float(integration.get("TimeoutInMillis") or DEFAULT_TIMEOUT_MS)
    result = call_lambda(gw.cloud, uri, event, arn=arn, timeout_ms=timeout,
                         credentials=integration.get("CredentialsArn"))
    ex.integration_latency_ms = result.integration_latency_ms
    ex.function_name = result.function_name
    if result.outcome in ("timeout", "throttled"):
        return gw.http_error(ex, 503, UNAVAILABLE, error_type="ServiceUnavailable", log=result.log)
    if result.outcome != "ok":
        return gw.http_error(ex, 500, INTERNAL, error_type="InternalServerErrorException", log=result.log)
    try:
        answer = parse_v2(result.payload) if version == "2.0" else parse_v1(
            result.payload, binary_media_types=["*/*"], accept=None)
    except MalformedResponse as exc:
        return gw.http_error(ex, 500, INTERNAL, error_type="InternalServerErrorException",
                             log=f"Malformed Lambda proxy response: {exc}")
    headers = list(answer.headers)
    if not any(k.lower() == "content-type" for k, _ in headers) and answer.body:
        headers.insert(0, ("Content-Type", "text/plain; charset=utf-8"))
    return HttpResponse(answer.status, tuple(headers) + gw.http_headers(ex), answer.body)


def _binary(request: HttpRequest) -> bool:
    from .events import _is_text

    return bool(request.body) and not _is_text(request.header("content-type"))


def _http_proxy(gw: "ApiGateway", ex: "Exchange", integration: dict[str, Any], ctx: RouteContext) -> HttpResponse:
    uri = substitute_stage_variables(integration.get("IntegrationUri", ""), ctx.stage_variables)
    for name, value in (ctx.path_parameters or {}).items():
        uri = uri.replace("{" + name + "+}", value).replace("{" + name + "}", value)
    if ex.request.raw_query:
        uri += ("&" if "?" in uri else "?") + ex.request.raw_query
    method = integration.get("IntegrationMethod") or ex.request.method
    if method == "ANY":
        method = ex.request.method
    timeout = float(integration.get("TimeoutInMillis") or DEFAULT_TIMEOUT_MS)
    result = call_http(uri, method, list(ex.request.headers), ex.request.body, timeout)
    if not result.ok:
        status, body = (503, UNAVAILABLE) if result.timed_out else (500, INTERNAL)
        return gw.http_error(ex, status, body, error_type="IntegrationFailure", log=result.error)
    return HttpResponse(result.status, result.headers + gw.http_headers(ex), result.body)


def _cors_preflight(gw: "ApiGateway", view: HttpApiView, ex: "Exchange") -> HttpResponse | None:
    """HTTP APIs with ``CorsConfiguration`` answer preflight ``OPTIONS`` themselves (``cors.py``)."""
    config = view.api.get("CorsConfiguration")
    if not config or ex.request.method != "OPTIONS" or not ex.request.header("access-control-request-method"):
        return None
    try:
        from . import cors
    except ImportError:
        return None
    answer = cors.preflight_response(config, dict(ex.request.headers))
    if answer is None:
        return None
    status, headers = answer
    return HttpResponse(status, tuple(headers.items()) + gw.http_headers(ex), b"")


def _with_cors(view: HttpApiView, ex: "Exchange", response: HttpResponse) -> HttpResponse:
    """Add the configured CORS headers (replacing the backend's, as AWS does)."""
    config = view.api.get("CorsConfiguration")
    if not config:
        return response
    try:
        from . import cors
    except ImportError:
        return response
    extra = cors.response_headers(config, dict(ex.request.headers)) or {}
    kept = tuple((k, v) for k, v in response.headers if not k.lower().startswith("access-control-"))
    return replace(response, headers=kept + tuple(extra.items()))
