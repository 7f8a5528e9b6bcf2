"""REST APIs (apigateway v1): stage → resource and method → authorizer → API key and throttling →
request validation → integration → AWS's answer. Steps that refuse return a ``GatewayError``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .config import RestApiView
from .events import RouteContext, rest_event
from .integrations import (call_http, call_lambda, lambda_error_message, render_template, source_arn,
                           substitute_stage_variables)
from .records import HttpRequest, HttpResponse
from .responses import GatewayError, MalformedResponse, gateway_error, parse_v1
from .routing import match_rest

if TYPE_CHECKING:
    from .exchange import DataPlane as ApiGateway, Exchange  # not dataplane.py: it imports this module

DEFAULT_TIMEOUT_MS = 29_000
INTERNAL_ERROR = '{"message": "Internal server error"}'
TIMEOUT_BODY = '{"message": "Endpoint request timed out"}'
_DROPPED_HEADERS = {"content-length", "connection", "expect", "transfer-encoding", "keep-alive"}


def split_stage(raw_path: str) -> tuple[str, str, str]:
    """``(stage, path without the stage, requestContext.path)`` for a REST request path.

    Leading duplicate slashes are dropped, inner ones kept (recording rest_proxy_event_path_edge_cases).
    """
    trimmed = raw_path.lstrip("/")
    stage, sep, rest = trimmed.partition("/")
    remainder = sep + rest
    path = "/" + remainder.lstrip("/")
    return stage, path, f"/{stage}{remainder}"


def serve_rest(gw: "ApiGateway", view: RestApiView, ex: "Exchange") -> HttpResponse:
    """Serve one REST API request."""
    request = ex.request
    stage_name, path, stage_path = split_stage(request.raw_path)
    stage = view.stages.get(stage_name)
    if stage is None:  # a wrong stage is a routing failure too (linden.consulting, tech-reader.blog, 2026)
        return gw.rest_error(view, ex, gateway_error("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token"))
    ex.stage = stage_name
    deployment_id, variables = _choose_deployment(gw, stage, ex)
    resources = gw.config.resources(view.api_id, deployment_id)
    match = match_rest(resources, request.method, path)
    if match is None:
        return gw.rest_error(view, ex, gateway_error("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token"))
    resource_path = match.resource.get("path", "/")
    ex.route = f"{resource_path} {match.method.get('httpMethod', request.method)}"
    ctx = RouteContext(view.api_id, gw.cloud.account_id, stage_name, request.method, resource_path,
                       ex.route, path, stage_path, match.path_parameters or None, variables or None,
                       ex.request_id, ex.extended_id, ex.start, match.resource.get("id"), deployment_id)
    ex.context.update({"resourcePath": resource_path, "httpMethod": request.method, "stage": stage_name,
                       "resourceId": match.resource.get("id"), "deploymentId": deployment_id})
    ex.note(f"Extended Request Id: {ex.extended_id}")
    ex.note(f"Starting execution for request: {ex.request_id}")
    ex.note(f"HTTP Method: {request.method}, Resource Path: {path}")
    ex.note(f"Method request path: {match.path_parameters or {}}")
    ex.note(f"Method request query string: {request.raw_query or '{}'}")
    if request.body:
        ex.note(f"Method request body before transformations: {request.body[:1000].decode('utf-8', 'replace')}", "DATA")
    refusal = _admission(gw, view, ex, stage, match.method, ctx)
    if isinstance(refusal, GatewayError):
        return gw.rest_error(view, ex, refusal)
    ctx = refusal
    if stage.get("cacheClusterEnabled"):
        return _integrate_cached(gw, view, ex, stage, match.method, ctx)
    return _integrate(gw, view, ex, match.method, ctx)


def _integrate_cached(gw: "ApiGateway", view: RestApiView, ex: "Exchange", stage: dict[str, Any],
                      method: dict[str, Any], ctx: RouteContext) -> HttpResponse:
    """The stage cache (``cache.py``) in front of the integration: hits skip it entirely."""
    from urllib.parse import parse_qsl

    from .cache import CachedResponse, MethodCacheSettings, cache_key

    request = ex.request
    settings = MethodCacheSettings.resolve(stage.get("methodSettings"), ctx.resource_path, ctx.method)
    parameters = (method.get("methodIntegration") or {}).get("cacheKeyParameters") or []
    key = cache_key(ctx.method, ctx.resource_path, parameters, ctx.path_parameters,
                    dict(parse_qsl(request.raw_query, keep_blank_values=True)), dict(request.headers))
    cache = gw.stage_cache(view.api_id, ctx.stage, stage.get("cacheClusterSize") or "0.5")
    with gw.lock:
        lookup = cache.lookup(key, settings, gw.cloud.clock.now(), request.header("cache-control"))
    extra = tuple(lookup.extra_headers.items())
    if lookup.action == "forbidden":
        return gw.rest_error(view, ex, gateway_error("ACCESS_DENIED", None, status=403, body=lookup.body,
                                                     log="Cache invalidation refused"))
    if lookup.action == "hit" and lookup.response is not None:
        ex.cache_hit = True
        cached = lookup.response
        return _answer(gw, ex, cached.status_code, tuple(cached.headers.items()) + extra, cached.body)
    response = _integrate(gw, view, ex, method, ctx)
    if lookup.action in ("miss", "invalidate"):
        own = {k.lower() for k, _ in gw.rest_headers(ex)}
        kept = {k: v for k, v in response.headers if k.lower() not in own}
        with gw.lock:
            cache.store(key, CachedResponse(response.status, kept, response.body), settings, gw.cloud.clock.now())
    return replace(response, headers=response.headers + extra) if extra else response


def _choose_deployment(gw: "ApiGateway", stage: dict[str, Any], ex: "Exchange") -> tuple[str | None, dict[str, str]]:
    """The stage's deployment, or its canary's for ``percentTraffic`` percent of requests."""
    variables = dict(stage.get("variables") or {})
    canary = stage.get("canarySettings") or {}
    percent = float(canary.get("percentTraffic") or 0.0)
    if canary.get("deploymentId") and percent > 0:
        with gw.lock:
            draw = gw._rng.random() * 100.0
        if draw < percent:
            ex.canary = True
            variables.update(canary.get("stageVariableOverrides") or {})
            return canary["deploymentId"], variables
    return stage.get("deploymentId"), variables


def _admission(gw: "ApiGateway", view: RestApiView, ex: "Exchange", stage: dict[str, Any],
               method: dict[str, Any], ctx: RouteContext) -> GatewayError | RouteContext:
    """Size, authorizer, API key + throttling, request validation: the first refusal, or the context."""
    from .rest_security import authorize_rest, check_api_key_and_throttle, check_resource_policy, validate_request

    request = ex.request
    if len(request.body) > gw_max_payload():
        return gateway_error("REQUEST_TOO_LARGE", "Request Too Long",
                             log="Request payload exceeds the 10 MB limit")
    iam = (method.get("authorizationType") or "NONE") == "AWS_IAM"
    refusal = None if iam else check_resource_policy(gw, view, ex, method, ctx)  # before any authorizer
    if refusal is not None:
        return refusal
    ctx_or_error = authorize_rest(gw, view, ex, method, ctx)
    if isinstance(ctx_or_error, GatewayError):
        return ctx_or_error
    ctx = ctx_or_error
    refusal = check_resource_policy(gw, view, ex, method, ctx) if iam else None  # once the caller is known
    if refusal is not None:
        return refusal
    refusal = check_api_key_and_throttle(gw, view, ex, stage, method, ctx)
    if refusal is not None:
        return refusal
    if "identity.apiKey" in ex.context:  # the key and its id reach requestContext.identity
        ctx = replace(ctx, identity={**ctx.identity, "apiKey": ex.context["identity.apiKey"],
                                     "apiKeyId": ex.context.get("identity.apiKeyId")})
    refusal = validate_request(view, method, request, ctx)
    if refusal is not None:
        return refusal
    return ctx


def gw_max_payload() -> int:
    from .exchange import MAX_PAYLOAD

    return MAX_PAYLOAD


def _added_headers(gw: "ApiGateway", view: RestApiView, ex: "Exchange") -> list[tuple[str, str]]:
    """Headers API Gateway adds to what the integration sees (regional endpoint: no CloudFront)."""
    request = ex.request
    host = request.header("host") or ""
    port = host.rsplit(":", 1)[1] if ":" in host else ("443" if request.scheme == "https" else "80")
    added = [("X-Amzn-Trace-Id", f"Root=1-{int(ex.start):08x}-{ex.request_id.replace('-', '')[:24]}"),
             ("X-Forwarded-For", request.source_ip), ("X-Forwarded-Port", port),
             ("X-Forwarded-Proto", request.scheme)]
    types = (view.api.get("endpointConfiguration") or {}).get("types") or ["EDGE"]
    if "EDGE" in types:  # an edge-optimized API is reached through CloudFront, which adds these
        cf_id = ex.extended_id.rstrip("=") * 4
        added += [("CloudFront-Forwarded-Proto", request.scheme), ("CloudFront-Is-Desktop-Viewer", "true"),
                  ("CloudFront-Is-Mobile-Viewer", "false"), ("CloudFront-Is-SmartTV-Viewer", "false"),
                  ("CloudFront-Is-Tablet-Viewer", "false"), ("CloudFront-Viewer-ASN", "0"),
                  ("CloudFront-Viewer-Country", "ZZ"),
                  ("Via", f"1.1 {ex.request_id.replace('-', '')[:32]}.cloudfront.net (CloudFront)"),
                  ("X-Amz-Cf-Id", cf_id[:56])]
    return added


def _event_request(request: HttpRequest) -> HttpRequest:
    """The request as the integration sees it: hop-by-hop and length headers removed."""
    kept = tuple((k, v) for k, v in request.headers if k.lower() not in _DROPPED_HEADERS)
    return HttpRequest(request.method, request.target, kept, request.body, request.source_ip, request.protocol,
                       request.scheme)


def _integrate(gw: "ApiGateway", view: RestApiView, ex: "Exchange", method: dict[str, Any],
               ctx: RouteContext) -> HttpResponse:
    integration = method.get("methodIntegration") or {}
    kind = (integration.get("type") or "").upper()  # OpenAPI imports may write "mock", "aws_proxy"
    if kind == "AWS_PROXY":
        return _lambda_proxy(gw, view, ex, integration, ctx)
    if kind == "MOCK":
        return _mock(gw, view, ex, integration, ctx)
    if kind in ("HTTP_PROXY", "HTTP"):
        return _http(gw, view, ex, integration, ctx)
    if kind == "AWS":
        return _aws_lambda(gw, view, ex, integration, ctx)
    return gw.rest_error(view, ex, gateway_error(
        "API_CONFIGURATION_ERROR", "Internal server error", status=500, body=INTERNAL_ERROR,
        log="Execution failed due to configuration error: No integration defined for method"))


def _lambda_proxy(gw: "ApiGateway", view: RestApiView, ex: "Exchange", integration: dict[str, Any],
                  ctx: RouteContext) -> HttpResponse:
    """``AWS_PROXY``: the 1.0 event in, the proxy result out (502 when malformed or failed)."""
    if (integration.get("httpMethod") or "POST") != "POST":
        return gw.rest_error(view, ex, gateway_error(
            "DEFAULT_5XX", "Internal server error", status=500, body=INTERNAL_ERROR,
            log="Execution failed due to configuration error: Lambda integrations must use POST (integrationHttpMethod)"))
    event = rest_event(_event_request(ex.request), ctx, binary_media_types=view.binary_media_types,
                       added_headers=_added_headers(gw, view, ex))
    uri = substitute_stage_variables(integration.get("uri", ""), ctx.stage_variables)
    ex.note(f"Endpoint request URI: {uri}")
    result = call_lambda(gw.cloud, uri, event, arn=source_arn(gw.cloud, view.api_id, ctx.stage, ctx.method,
                                                               ctx.resource_path),
                         timeout_ms=float(integration.get("timeoutInMillis") or DEFAULT_TIMEOUT_MS),
                         credentials=integration.get("credentials"))
    ex.integration_latency_ms = result.integration_latency_ms
    ex.function_name = result.function_name
    if result.outcome in ("ok", "function_error"):
        ex.note(f"Endpoint response body before transformations: {result.payload[:1000].decode('utf-8', 'replace')}",
                "DATA")
    failure = _lambda_failure(result)
    if failure is not None:
        ex.error = failure.log
        return gw.rest_error(view, ex, failure)
    try:
        answer = parse_v1(result.payload, binary_media_types=view.binary_media_types,
                          accept=ex.request.header("accept"))
    except MalformedResponse as exc:
        ex.error = f"Malformed Lambda proxy response: {exc}"
        return gw.rest_error(view, ex, gateway_error(
            "DEFAULT_5XX", "Internal server error", status=502, body=INTERNAL_ERROR,
            log="Execution failed due to configuration error: Malformed Lambda proxy response"))
    ex.note(f"Method completed with status: {answer.status}")
    return _answer(gw, ex, answer.status, answer.headers, answer.body)


def _lambda_failure(result: Any) -> GatewayError | None:
    """The REST answer for a Lambda call that did not return a result (aws-facts §8.4, §7.3)."""
    if result.outcome == "ok":
        return None
    if result.outcome == "timeout":
        return gateway_error("INTEGRATION_TIMEOUT", "Endpoint request timed out", body=TIMEOUT_BODY, log=result.log)
    status = 502 if result.outcome == "function_error" else 500
    return gateway_error("DEFAULT_5XX", "Internal server error", status=status, body=INTERNAL_ERROR, log=result.log)


def _answer(gw: "ApiGateway", ex: "Exchange", status: int, headers: tuple[tuple[str, str], ...],
            body: bytes) -> HttpResponse:
    lines = list(headers)
    if not any(k.lower() == "content-type" for k, _ in lines):
        lines.insert(0, ("Content-Type", "application/json"))
    return HttpResponse(status, tuple(lines) + gw.rest_headers(ex), body)


def _mock(gw: "ApiGateway", view: RestApiView, ex: "Exchange", integration: dict[str, Any],
          ctx: RouteContext) -> HttpResponse:
    """``MOCK``: the request template's ``statusCode`` picks the integration response."""
    templates = integration.get("requestTemplates") or {}
    status = 200
    template = templates.get("application/json")
    if template:
        rendered = _render(gw, view, ex, template, _template_context(ex, ctx, b""))
        if isinstance(rendered, HttpResponse):
            return rendered
        try:
            status = int(json.loads(rendered).get("statusCode", 200))
        except (ValueError, AttributeError):
            status = 200
    return _integration_response(gw, view, ex, integration, ctx, str(status), b"", None)


def _aws_lambda(gw: "ApiGateway", view: RestApiView, ex: "Exchange", integration: dict[str, Any],
                ctx: RouteContext) -> HttpResponse:
    """``AWS`` to Lambda: the request template (or the body) in, integration responses out."""
    from .vtl import UnsupportedMediaType, select_request_template

    try:
        template = select_request_template(integration.get("requestTemplates"), ex.request.header("content-type"),
                                           integration.get("passthroughBehavior") or "WHEN_NO_MATCH")
    except UnsupportedMediaType as exc:
        return gw.rest_error(view, ex, gateway_error("UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type", log=str(exc)))
    payload = ex.request.body or b"{}"
    if template:
        rendered = _render(gw, view, ex, template, _template_context(ex, ctx, ex.request.body))
        if isinstance(rendered, HttpResponse):
            return rendered
        payload = rendered.encode()
    uri = substitute_stage_variables(integration.get("uri", ""), ctx.stage_variables)
    result = call_lambda(gw.cloud, uri, payload, arn=source_arn(gw.cloud, view.api_id, ctx.stage, ctx.method,
                                                                ctx.resource_path),
                         timeout_ms=float(integration.get("timeoutInMillis") or DEFAULT_TIMEOUT_MS),
                         credentials=integration.get("credentials"))
    ex.integration_latency_ms = result.integration_latency_ms
    ex.function_name = result.function_name
    if result.outcome not in ("ok", "function_error"):
        failure = _lambda_failure(result)
        assert failure is not None
        return gw.rest_error(view, ex, failure)
    error = lambda_error_message(result.payload) if result.outcome == "function_error" else None
    return _integration_response(gw, view, ex, integration, ctx, "200", result.payload, error)


def _integration_response(gw: "ApiGateway", view: RestApiView, ex: "Exchange", integration: dict[str, Any],
                          ctx: RouteContext, status: str, payload: bytes, error: str | None) -> HttpResponse:
    """Pick the integration response (``selectionPattern`` against the status or Lambda error) and render it."""
    import re

    responses = integration.get("integrationResponses") or {}
    chosen = None
    subject = error if error is not None else status
    for response in responses.values():
        pattern = response.get("selectionPattern")
        if pattern and re.fullmatch(pattern, subject or "", re.DOTALL):
            chosen = response
            break
    if chosen is None:
        chosen = next((r for r in responses.values() if not r.get("selectionPattern")), None)
    if chosen is None:
        return gw.rest_error(view, ex, gateway_error(
            "API_CONFIGURATION_ERROR", "Internal server error", status=500, body=INTERNAL_ERROR,
            log="Execution failed due to configuration error: No match for output mapping and no default output "
                "mapping configured. Endpoint Response Status Code: " + status))
    body = payload
    templates = chosen.get("responseTemplates") or {}
    template = templates.get("application/json")
    if template:
        rendered = _render(gw, view, ex, template, _template_context(ex, ctx, payload))
        if isinstance(rendered, HttpResponse):
            return rendered
        body = rendered.encode()
    headers = [(k[len("method.response.header."):], v.strip("'"))
               for k, v in (chosen.get("responseParameters") or {}).items() if k.startswith("method.response.header.")]
    code = int(chosen.get("statusCode", status))
    ex.note(f"Method completed with status: {code}")
    return _answer(gw, ex, code, tuple(headers), body)


def _template_context(ex: "Exchange", ctx: RouteContext, body: bytes) -> dict[str, Any]:
    """What mapping templates see: ``$input`` (body, params), ``$context``, ``$stageVariables``."""
    from urllib.parse import parse_qsl

    request = ex.request
    return {"body": body.decode("utf-8", "replace"),
            "params": {"path": dict(ctx.path_parameters or {}),
                       "querystring": dict(parse_qsl(request.raw_query, keep_blank_values=True)),
                       "header": {k: v for k, v in request.headers}},
            "context": {"requestId": ex.request_id, "extendedRequestId": ex.extended_id, "stage": ctx.stage,
                        "resourcePath": ctx.resource_path, "httpMethod": ctx.method, "apiId": ctx.api_id,
                        "accountId": ctx.account_id, "requestTimeEpoch": int(ctx.time_epoch * 1000),
                        "authorizer": dict(ctx.authorizer or {}),
                        "identity": {"sourceIp": request.source_ip, "userAgent": request.header("user-agent")}},
            "stageVariables": dict(ctx.stage_variables or {})}


def _render(gw: "ApiGateway", view: RestApiView, ex: "Exchange", template: str,
            context: dict[str, Any]) -> str | HttpResponse:
    """A rendered mapping template, or AWS's 500 when the template is broken."""
    from .vtl import TemplateError

    try:
        return render_template(template, context)
    except TemplateError as exc:
        return gw.rest_error(view, ex, gateway_error(
            "API_CONFIGURATION_ERROR", "Internal server error", status=500, body=INTERNAL_ERROR,
            log=f"Execution failed due to configuration error: {exc}"))


def _http(gw: "ApiGateway", view: RestApiView, ex: "Exchange", integration: dict[str, Any],
          ctx: RouteContext) -> HttpResponse:
    """``HTTP_PROXY`` (and ``HTTP`` without templates): forward the request, return the answer."""
    uri = substitute_stage_variables(integration.get("uri", ""), ctx.stage_variables)
    for name, value in (ctx.path_parameters or {}).items():
        uri = uri.replace("{" + name + "+}", value).replace("{" + name + "}", value)
    if ex.request.raw_query:
        uri += ("&" if "?" in uri else "?") + ex.request.raw_query
    ex.note(f"Endpoint request URI: {uri}")
    timeout = float(integration.get("timeoutInMillis") or DEFAULT_TIMEOUT_MS)
    method = integration.get("httpMethod") or ex.request.method
    if method == "ANY":
        method = ex.request.method
    result = call_http(uri, method, list(ex.request.headers), ex.request.body, timeout)
    if not result.ok:
        if result.timed_out:
            return gw.rest_error(view, ex, gateway_error("INTEGRATION_TIMEOUT", "Endpoint request timed out",
                                                         body=TIMEOUT_BODY, log=result.error))
        return gw.rest_error(view, ex, gateway_error(
            "INTEGRATION_FAILURE", "Network error communicating with endpoint", status=502,
            body='{"message": "Network error communicating with endpoint"}', log=result.error))
    ex.note(f"Method completed with status: {result.status}")
    return HttpResponse(result.status, result.headers + gw.rest_headers(ex), result.body)
