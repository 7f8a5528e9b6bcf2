"""API Gateway proxy events: REST APIs (payload format 1.0) and HTTP APIs (2.0)."""

from __future__ import annotations

import base64
import random
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import quote_plus

from ..ids import new_uuid
from ..isotime import _epoch
from ._common import DEFAULT_ACCOUNT, DEFAULT_REGION, _body, _hex, _pairs, _query_pairs, _rng


def _single_and_multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """API Gateway's single-value map (a repeated key keeps its last value) and multi-value map; None if empty."""
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for k, v in pairs:
        single[k] = v
        multi.setdefault(k, []).append(v)
    return single, multi


def _rest_headers(headers: Any, gateway_headers: bool, domain: str, t: float, source_ip: str,
                  r: random.Random) -> list[tuple[str, str]]:
    """The request's headers (``Authorization`` normalised), plus API Gateway's own when asked."""
    hpairs = [("Authorization" if k.lower() == "authorization" else k, v) for k, v in _pairs(headers)]
    if gateway_headers:
        present = {k.lower() for k, _ in hpairs}
        extra = [("Host", domain),
                 ("X-Amzn-Trace-Id", f"Root=1-{int(t):08x}-{_hex(r, 24, upper=False)}"),
                 ("X-Forwarded-For", source_ip), ("X-Forwarded-Port", "443"),
                 ("X-Forwarded-Proto", "https")]
        hpairs.extend((k, v) for k, v in extra if k.lower() not in present)
    return hpairs


def _rest_request_context(r: random.Random, *, account_id: str, api_id: str, authorizer: Mapping[str, Any] | None,
                          domain: str, method: str, source_ip: str, user_agent: str | None, path: str,
                          request_id: str | None, t: float, resource: str, stage: str) -> dict[str, Any]:
    """``requestContext`` of a REST API event, keys in AWS's order."""
    ctx: dict[str, Any] = {"accountId": account_id, "apiId": api_id}
    if authorizer is not None:
        ctx["authorizer"] = dict(authorizer)
    ctx.update({
        "deploymentId": _hex(r, 6, upper=False),
        "domainName": domain,
        "domainPrefix": api_id,
        "extendedRequestId": base64.b64encode(r.getrandbits(96).to_bytes(12, "big")).decode()[:15] + "=",
        "httpMethod": method.upper(),
        "identity": {
            "accessKey": None, "accountId": None, "caller": None,
            "cognitoAuthenticationProvider": None, "cognitoAuthenticationType": None,
            "cognitoIdentityId": None, "cognitoIdentityPoolId": None, "principalOrgId": None,
            "sourceIp": source_ip, "user": None, "userAgent": user_agent, "userArn": None,
        },
        "path": path,
        "protocol": "HTTP/1.1",
        "requestId": request_id or new_uuid(r),
        "requestTime": datetime.fromtimestamp(t, timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(t * 1000),
        "resourceId": _hex(r, 6, upper=False),
        "resourcePath": resource,
        "stage": stage,
    })
    return ctx


def api_gateway_rest_event(method: str = "GET", path: str = "/", *, resource: str | None = None,
                           path_parameters: Mapping[str, str] | None = None,
                           query: str | Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
                           headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
                           body: Any = None, stage: str = "prod",
                           stage_variables: Mapping[str, str] | None = None,
                           is_base64_encoded: bool | None = None,
                           account_id: str = DEFAULT_ACCOUNT, api_id: str | None = None,
                           region: str = DEFAULT_REGION, request_id: str | None = None,
                           time: float | datetime | None = None, source_ip: str = "127.0.0.1",
                           authorizer: Mapping[str, Any] | None = None,
                           gateway_headers: bool = False, context_path: str | None = None,
                           rng: random.Random | None = None) -> dict[str, Any]:
    """A REST API (payload format 1.0) ``AWS_PROXY`` event.

    *path* is the request path **without** the stage (``requestContext.path`` gets
    ``/<stage><path>``). *resource* defaults to *path* (a literal resource, ``pathParameters``
    null); for a greedy resource pass ``resource="/{proxy+}", path_parameters={"proxy": ...}``.
    *query* may be a raw query string (``"a=1&a=2"``, URL-decoded like API Gateway, ``+`` →
    space), a dict (list values repeat a key) or pairs; a repeated key keeps its **last** value in
    ``queryStringParameters`` and all values in ``multiValueQueryStringParameters``. Absent parts
    are ``None`` (JSON null), as on AWS. Header names keep their casing, except ``Authorization``,
    which API Gateway normalises. ``gateway_headers=True`` adds the headers API Gateway itself
    adds (Host, X-Amzn-Trace-Id, X-Forwarded-For/Port/Proto). *context_path* overrides
    ``requestContext.path`` with the path exactly as requested (AWS keeps duplicate slashes
    there, e.g. ``/stage//proxy-value``, while ``path`` drops them).

    >>> e = api_gateway_rest_event("GET", "/pets/7", resource="/pets/{id}",
    ...     path_parameters={"id": "7"}, query="price=10&price=20", stage="stage")
    >>> e["path"], e["requestContext"]["path"], e["queryStringParameters"], e["body"]
    ('/pets/7', '/stage/pets/7', {'price': '20'}, None)
    >>> e["multiValueQueryStringParameters"]
    {'price': ['10', '20']}
    """
    r = _rng(rng)
    api_id = api_id or "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10))
    t = _epoch(time)
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    hdrs, mvh = _single_and_multi(_rest_headers(headers, gateway_headers, domain, t, source_ip, r))
    qs, mvq = _single_and_multi(_query_pairs(query))
    text, b64 = _body(body)
    if is_base64_encoded is not None:
        b64 = is_base64_encoded
    user_agent = (hdrs or {}).get("User-Agent") or next(
        (v for k, v in (hdrs or {}).items() if k.lower() == "user-agent"), None)
    resource = resource or path
    ctx = _rest_request_context(
        r, account_id=account_id, api_id=api_id, authorizer=authorizer, domain=domain, method=method,
        source_ip=source_ip, user_agent=user_agent, path=context_path if context_path is not None else f"/{stage}{path}",
        request_id=request_id, t=t, resource=resource, stage=stage)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": hdrs,
        "multiValueHeaders": mvh,
        "queryStringParameters": qs,
        "multiValueQueryStringParameters": mvq,
        "requestContext": ctx,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": dict(stage_variables) if stage_variables else None,
        "body": text,
        "isBase64Encoded": b64,
    }


def _http_headers_and_cookies(headers: Any, cookies: Sequence[str] | None) -> tuple[dict[str, str], list[str]]:
    """HTTP API headers: names lower-cased, repeats comma-joined; ``Cookie`` headers become ``cookies``."""
    hdrs: dict[str, str] = {}
    cookie_list: list[str] = list(cookies or [])
    for k, v in _pairs(headers):
        lk = k.lower()
        if lk == "cookie":
            cookie_list.extend(c.strip() for c in v.split(";") if c.strip())
            continue
        hdrs[lk] = f"{hdrs[lk]},{v}" if lk in hdrs else v
    return hdrs, cookie_list


def _http_query(query: Any) -> tuple[str, dict[str, str]]:
    """``rawQueryString`` (as sent) and ``queryStringParameters`` (repeated keys comma-joined)."""
    if isinstance(query, str):
        raw_qs = query.lstrip("?").split("#", 1)[0]
    else:
        raw_qs = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in _query_pairs(query))
    qs: dict[str, str] = {}
    for k, v in _query_pairs(query):
        qs[k] = f"{qs[k]},{v}" if k in qs else v
    return raw_qs, qs


def api_gateway_http_event(method: str = "GET", path: str = "/", *, route_key: str | None = None,
                           path_parameters: Mapping[str, str] | None = None,
                           query: str | Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
                           headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
                           cookies: Sequence[str] | None = None, body: Any = None,
                           stage: str = "$default", stage_variables: Mapping[str, str] | None = None,
                           is_base64_encoded: bool | None = None,
                           account_id: str = DEFAULT_ACCOUNT, api_id: str | None = None,
                           region: str = DEFAULT_REGION, request_id: str | None = None,
                           time: float | datetime | None = None, source_ip: str = "127.0.0.1",
                           authorizer: Mapping[str, Any] | None = None,
                           rng: random.Random | None = None) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event.

    Header names are lower-cased and repeated headers comma-joined; ``Cookie`` headers move to
    ``cookies`` (split on ``;``); repeated query keys are comma-joined in
    ``queryStringParameters``; ``rawQueryString`` is the query as sent. Optional parts that are
    absent (``cookies``, ``queryStringParameters``, ``pathParameters``, ``stageVariables``,
    ``body``, ``authorizer``) are **omitted**, not null. For a named stage, ``rawPath`` and
    ``requestContext.http.path`` start with ``/<stage>``. *route_key* defaults to ``"$default"``.

    >>> e = api_gateway_http_event("POST", "/items", route_key="POST /items",
    ...     headers=[("X-A", "1"), ("x-a", "2"), ("Cookie", "s=1; t=2")], query="q=1&q=2", body="hi")
    >>> e["headers"], e["cookies"], e["queryStringParameters"], e["rawQueryString"]
    ({'x-a': '1,2'}, ['s=1', 't=2'], {'q': '1,2'}, 'q=1&q=2')
    >>> "pathParameters" in e, e["routeKey"], e["requestContext"]["http"]["method"]
    (False, 'POST /items', 'POST')
    """
    r = _rng(rng)
    api_id = api_id or "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10))
    t = _epoch(time)
    route_key = route_key or "$default"
    hdrs, cookie_list = _http_headers_and_cookies(headers, cookies)
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    raw_qs, qs = _http_query(query)
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    text, b64 = _body(body)
    if is_base64_encoded is not None:
        b64 = is_base64_encoded
    dt = datetime.fromtimestamp(t, timezone.utc)
    event: dict[str, Any] = {"version": "2.0", "routeKey": route_key, "rawPath": raw_path,
                             "rawQueryString": raw_qs}
    if cookie_list:
        event["cookies"] = cookie_list
    event["headers"] = hdrs
    if qs:
        event["queryStringParameters"] = qs
    ctx: dict[str, Any] = {"accountId": account_id, "apiId": api_id}
    if authorizer is not None:
        ctx["authorizer"] = dict(authorizer)
    ctx.update({
        "domainName": domain,
        "domainPrefix": api_id,
        "http": {"method": method.upper(), "path": raw_path, "protocol": "HTTP/1.1",
                 "sourceIp": source_ip, "userAgent": hdrs.get("user-agent", "")},
        "requestId": request_id or base64.b64encode(r.getrandbits(96).to_bytes(12, "big")).decode()[:15] + "=",
        "routeKey": route_key,
        "stage": stage,
        "time": dt.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(t * 1000),
    })
    event["requestContext"] = ctx
    if text is not None:
        event["body"] = text
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    event["isBase64Encoded"] = b64
    if stage_variables:
        event["stageVariables"] = dict(stage_variables)
    return event
