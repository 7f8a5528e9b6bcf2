"""Lambda proxy events as API Gateway builds them: payload format 1.0 (REST, HTTP "1.0") and 2.0.

Shapes, casing and null/omitted rules follow aws-facts §8.2–8.3 and the recordings in
``aws-recorded/apigateway.json`` (rest_proxy_event_*): v1 keeps the client's header casing except
``Authorization``, keeps absent parts as ``null``, passes paths without decoding and query values
decoded (``+`` → space), last value wins in ``queryStringParameters``. v2 lower-cases headers,
comma-joins repeats, moves cookies to ``cookies`` and omits absent parts.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from .records import HttpRequest

TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
              "application/x-www-form-urlencoded", "application/graphql", "application/yaml")


@dataclass(frozen=True)
class RouteContext:
    """What routing decided about a request, shared by the event builders and the logs."""

    api_id: str
    account_id: str
    stage: str
    method: str  # the request's method
    resource_path: str  # REST "/{proxy+}"; HTTP: the route's path ("" for $default)
    route_key: str  # HTTP "GET /items/{id}" or "$default"; REST "ANY /{proxy+}"
    path: str  # the path the function sees (REST: without the stage)
    stage_path: str  # REST requestContext.path / HTTP rawPath (with the stage when it has one)
    path_parameters: dict[str, str] | None
    stage_variables: dict[str, str] | None
    request_id: str
    extended_request_id: str
    time_epoch: float
    resource_id: str | None = None
    deployment_id: str | None = None
    authorizer: dict[str, Any] | None = None
    identity: dict[str, Any] = field(default_factory=dict)


def request_time(epoch: float) -> str:
    """``04/Mar/2020:19:15:17 +0000``: API Gateway's request time format."""
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch))


def is_binary(content_type: str | None, binary_media_types: list[str]) -> bool:
    """Whether a content type matches one of the API's binary media types (``*/*``, ``image/*``)."""
    if not content_type or not binary_media_types:
        return False
    mime = content_type.split(";", 1)[0].strip().lower()
    for pattern in binary_media_types:
        p = pattern.replace("~1", "/").lower()
        if p == "*/*" or p == mime or (p.endswith("/*") and mime.startswith(p[:-1])):
            return True
    return False


def _body_v1(request: HttpRequest, binary_media_types: list[str]) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    if is_binary(request.header("content-type"), binary_media_types):
        return base64.b64encode(request.body).decode(), True
    return request.body.decode("utf-8", "replace"), False


def _header_name_v1(name: str) -> str:
    return "Authorization" if name.lower() == "authorization" else name


def rest_event(request: HttpRequest, ctx: RouteContext, *, binary_media_types: list[str],
               added_headers: list[tuple[str, str]], version: str | None = None) -> dict[str, Any]:
    """The format-1.0 event (REST ``AWS_PROXY``; HTTP APIs with ``PayloadFormatVersion`` "1.0")."""
    headers: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}  # lower-case name -> the first spelling seen
    for name, value in list(request.headers) + added_headers:
        key = spelled.setdefault(name.lower(), _header_name_v1(name))
        headers[key] = value
        multi.setdefault(key, []).append(value)
    query = parse_qsl(request.raw_query, keep_blank_values=True)
    single: dict[str, str] = {}
    multi_q: dict[str, list[str]] = {}
    for k, v in query:
        single[k] = v
        multi_q.setdefault(k, []).append(v)
    body, is_b64 = _body_v1(request, binary_media_types)
    user_agent = request.header("user-agent")
    identity = {"accessKey": None, "accountId": None, "caller": None, "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None, "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                "principalOrgId": None, "sourceIp": request.source_ip, "user": None, "userAgent": user_agent,
                "userArn": None}
    identity.update(ctx.identity)
    host = request.header("host") or ""
    context: dict[str, Any] = {
        "accountId": ctx.account_id, "apiId": ctx.api_id, "domainName": host,
        "domainPrefix": host.split(".", 1)[0] if "." in host and not host[0].isdigit() else ctx.api_id,
        "extendedRequestId": ctx.extended_request_id, "httpMethod": ctx.method, "identity": identity,
        "path": ctx.stage_path, "protocol": request.protocol, "requestId": ctx.request_id,
        "requestTime": request_time(ctx.time_epoch), "requestTimeEpoch": int(ctx.time_epoch * 1000),
        "resourceId": ctx.resource_id, "resourcePath": ctx.resource_path, "stage": ctx.stage}
    if ctx.deployment_id is not None:
        context["deploymentId"] = ctx.deployment_id
    if ctx.authorizer is not None:
        context["authorizer"] = ctx.authorizer
    event: dict[str, Any] = {}
    if version:
        event["version"] = version
    event.update({
        "resource": ctx.resource_path, "path": ctx.path, "httpMethod": ctx.method, "headers": headers or None,
        "multiValueHeaders": multi or None, "queryStringParameters": single or None,
        "multiValueQueryStringParameters": multi_q or None, "requestContext": context,
        "pathParameters": ctx.path_parameters or None, "stageVariables": ctx.stage_variables or None,
        "body": body, "isBase64Encoded": is_b64})
    return event


def _is_text(content_type: str | None) -> bool:
    if not content_type:
        return True
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime.startswith(TEXT_TYPES) or mime.endswith(("+json", "+xml"))


def http_event(request: HttpRequest, ctx: RouteContext, *, added_headers: list[tuple[str, str]]) -> dict[str, Any]:
    """The format-2.0 event (HTTP APIs): lower-case, comma-joined, absent parts omitted."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in list(request.headers) + added_headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for k, v in parse_qsl(request.raw_query, keep_blank_values=True):
        query[k] = f"{query[k]},{v}" if k in query else v
    context: dict[str, Any] = {
        "accountId": ctx.account_id, "apiId": ctx.api_id}
    if ctx.authorizer is not None:
        context["authorizer"] = ctx.authorizer
    host = request.header("host") or ""
    context.update({
        "domainName": host, "domainPrefix": ctx.api_id,
        "http": {"method": ctx.method, "path": ctx.stage_path, "protocol": request.protocol,
                 "sourceIp": request.source_ip, "userAgent": request.header("user-agent") or ""},
        "requestId": ctx.extended_request_id, "routeKey": ctx.route_key, "stage": ctx.stage,
        "time": request_time(ctx.time_epoch), "timeEpoch": int(ctx.time_epoch * 1000)})
    event: dict[str, Any] = {"version": "2.0", "routeKey": ctx.route_key, "rawPath": ctx.stage_path,
                             "rawQueryString": request.raw_query}
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    if request.body:
        if _is_text(request.header("content-type")):
            event["body"] = request.body.decode("utf-8", "replace")
            event["isBase64Encoded"] = False
        else:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    if ctx.path_parameters:
        event["pathParameters"] = ctx.path_parameters
    if ctx.stage_variables:
        event["stageVariables"] = ctx.stage_variables
    return event
