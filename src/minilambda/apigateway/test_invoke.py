"""``TestInvokeMethod``: run one REST method through the data plane without deploying it."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..wire.messages import Response
from .config import RestApiView
from .dataplane import Exchange
from .records import HttpRequest

if TYPE_CHECKING:
    from .dataplane import ApiGateway

STAGE = "test-invoke-stage"


def test_invoke_method(gw: "ApiGateway", api_id: str, resource_id: str, http_method: str,
                       body: dict[str, Any]) -> Response:
    """AWS's answer shape: ``status``, ``body``, ``headers``, ``multiValueHeaders``, ``log``, ``latency``."""
    from .rest import serve_rest

    view = gw.config.api(api_id)
    if not isinstance(view, RestApiView):
        return Response.json({"message": "Invalid API identifier specified"}, 404,
                             {"x-amzn-ErrorType": "NotFoundException"})
    resources = gw.config.live_resources(api_id)
    resource = next((r for r in resources if r.get("id") == resource_id), None)
    if resource is None or http_method not in (resource.get("resourceMethods") or {}):
        return Response.json({"message": "Invalid Method identifier specified"}, 404,
                             {"x-amzn-ErrorType": "NotFoundException"})
    gw.snapshots.put(api_id, f"{STAGE}:{resource_id}", resources)
    stage = {"stageName": STAGE, "deploymentId": f"{STAGE}:{resource_id}", "variables": body.get("stageVariables") or {}}
    view = replace(view, stages={STAGE: stage})
    path = body.get("pathWithQueryString") or resource.get("path", "/")
    headers = [(k, v) for k, v in (body.get("headers") or {}).items()]
    for name, values in (body.get("multiValueHeaders") or {}).items():
        headers.extend((name, v) for v in values)
    request = HttpRequest(http_method, f"/{STAGE}{path if path.startswith('/') else '/' + path}", tuple(headers),
                          (body.get("body") or "").encode())
    rid, ext = gw.new_ids()
    exchange = Exchange(api_id, "REST", request, rid, ext, gw.cloud.clock.now(), time.perf_counter())
    answer = serve_rest(gw, view, exchange)
    latency = int((time.perf_counter() - exchange.wall_start) * 1000)
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in answer.headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return Response.json({"status": answer.status, "body": answer.body.decode("utf-8", "replace"),
                          "headers": single, "multiValueHeaders": multi, "log": "\n".join(exchange.log),
                          "latency": latency})
