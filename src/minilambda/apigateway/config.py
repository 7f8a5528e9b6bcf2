"""The data plane's view of an API's configuration, read through the Cloud's own control plane.

Everything comes in AWS's SDK shapes from ``cloud.client("apigateway" | "apigatewayv2")`` (so
whatever the control plane stores is what the data plane serves) and is cached until the control
plane changes (``generation``). REST stages serve the resources and resource policy their deployment
captured (``DeploymentSnapshots``), as on AWS: a change needs a new deployment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DeploymentSnapshots:
    """Resources (``GetResources`` items with methods) and the resource policy captured per
    ``(rest api id, deployment id)``."""

    resources: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    policies: dict[tuple[str, str], str | None] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, api_id: str, deployment_id: str, resources: list[dict[str, Any]],
            policy: str | None = None) -> None:
        with self.lock:
            self.resources[(api_id, deployment_id)] = resources
            self.policies[(api_id, deployment_id)] = policy

    def get(self, api_id: str, deployment_id: str) -> list[dict[str, Any]] | None:
        with self.lock:
            return self.resources.get((api_id, deployment_id))

    def policy(self, api_id: str, deployment_id: str) -> tuple[bool, str | None]:
        """``(captured, policy)``: the resource policy the deployment captured, if it did."""
        with self.lock:
            key = (api_id, deployment_id)
            return key in self.policies, self.policies.get(key)


@dataclass(frozen=True)
class RestApiView:
    """One REST API as the data plane needs it (stage data is looked up per stage)."""

    api_id: str
    api: dict[str, Any]
    stages: dict[str, dict[str, Any]]
    authorizers: dict[str, dict[str, Any]]
    validators: dict[str, dict[str, Any]]
    models: dict[str, dict[str, Any]]
    gateway_responses: dict[str, dict[str, Any]]

    @property
    def binary_media_types(self) -> list[str]:
        return list(self.api.get("binaryMediaTypes") or [])


@dataclass(frozen=True)
class HttpApiView:
    """One HTTP (or WebSocket) API: routes, integrations, stages and authorizers by id."""

    api_id: str
    api: dict[str, Any]
    routes: list[dict[str, Any]]
    integrations: dict[str, dict[str, Any]]
    stages: dict[str, dict[str, Any]]
    authorizers: dict[str, dict[str, Any]]
    # WebSocket non-proxy integrations only: GetIntegrationResponses items by integration id.
    integration_responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class ConfigReader:
    """Reads and caches API configurations; ``invalidate()`` after any control-plane change."""

    def __init__(self, cloud: Any, snapshots: DeploymentSnapshots) -> None:
        self.cloud = cloud
        self.snapshots = snapshots
        self._lock = threading.Lock()
        self._cache: dict[str, Any] = {}
        self._generation = 0
        self._clients: dict[str, Any] = {}

    def client(self, name: str) -> Any:
        with self._lock:
            if name not in self._clients:
                self._clients[name] = self.cloud.client(name)
            return self._clients[name]

    def invalidate(self) -> None:
        """Forget every cached view (the control plane changed)."""
        with self._lock:
            self._generation += 1
            self._cache.clear()

    def api(self, api_id: str) -> RestApiView | HttpApiView | None:
        """The REST or HTTP/WebSocket API with this id, or None."""
        with self._lock:
            if api_id in self._cache:
                return self._cache[api_id]
            generation = self._generation
        view = self._read(api_id)
        with self._lock:
            if generation == self._generation:
                self._cache[api_id] = view
        return view

    def _read(self, api_id: str) -> RestApiView | HttpApiView | None:
        rest = self.client("apigateway")
        try:
            api = rest.get_rest_api(restApiId=api_id)
        except rest.exceptions.NotFoundException:
            return self._read_v2(api_id)
        stages = {s["stageName"]: s for s in rest.get_stages(restApiId=api_id).get("item", [])}
        authorizers = {a["id"]: a for a in rest.get_authorizers(restApiId=api_id).get("items", [])}
        validators = {v["id"]: v for v in rest.get_request_validators(restApiId=api_id).get("items", [])}
        models = {m["name"]: m for m in rest.get_models(restApiId=api_id).get("items", [])}
        responses = {g["responseType"]: g for g in rest.get_gateway_responses(restApiId=api_id).get("items", [])}
        return RestApiView(api_id, api, stages, authorizers, validators, models, responses)

    def _read_v2(self, api_id: str) -> HttpApiView | None:
        v2 = self.client("apigatewayv2")
        try:
            api = v2.get_api(ApiId=api_id)
        except v2.exceptions.NotFoundException:
            return None
        routes = v2.get_routes(ApiId=api_id).get("Items", [])
        integrations = {i["IntegrationId"]: i for i in v2.get_integrations(ApiId=api_id).get("Items", [])}
        stages = {s["StageName"]: s for s in v2.get_stages(ApiId=api_id).get("Items", [])}
        authorizers = {}
        for authorizer_id in {r["AuthorizerId"] for r in routes if r.get("AuthorizerId")}:
            found = v2.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)  # moto lacks GetAuthorizers
            found.pop("ResponseMetadata", None)
            authorizers[authorizer_id] = found
        non_proxy = [i for i, found in integrations.items() if api.get("ProtocolType") == "WEBSOCKET"
                     and found.get("IntegrationType") in ("AWS", "MOCK", "HTTP")]
        responses = {i: v2.get_integration_responses(ApiId=api_id, IntegrationId=i).get("Items", []) for i in non_proxy}
        return HttpApiView(api_id, api, routes, integrations, stages, authorizers, responses)

    def usage(self) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        """API keys by value and usage plans (each with ``_keyIds``), cached like the APIs."""
        with self._lock:
            if "__usage__" in self._cache:
                return self._cache["__usage__"]
            generation = self._generation
        rest = self.client("apigateway")
        keys = {k["value"]: k for k in rest.get_api_keys(includeValues=True).get("items", []) if k.get("value")}
        plans = []
        for plan in rest.get_usage_plans().get("items", []):
            plan = dict(plan)
            plan["_keyIds"] = {k["id"] for k in rest.get_usage_plan_keys(usagePlanId=plan["id"]).get("items", [])}
            plans.append(plan)
        found = (keys, plans)
        with self._lock:
            if generation == self._generation:
                self._cache["__usage__"] = found
        return found

    def resources(self, api_id: str, deployment_id: str | None) -> list[dict[str, Any]]:
        """The resources a deployment serves (captured at CreateDeployment; live when unknown)."""
        if deployment_id:
            found = self.snapshots.get(api_id, deployment_id)
            if found is not None:
                return found
        resources = self.live_resources(api_id)
        if deployment_id:
            self.snapshots.put(api_id, deployment_id, resources, self.live_policy(api_id))
        return resources

    def policy(self, api_id: str, deployment_id: str | None) -> str | None:
        """The resource policy a deployment serves (captured at CreateDeployment, as on AWS)."""
        if deployment_id:
            captured, policy = self.snapshots.policy(api_id, deployment_id)
            if captured:
                return policy
        return self.live_policy(api_id)

    def live_policy(self, api_id: str) -> str | None:
        """The REST API's ``policy`` as it is now (None: no resource policy)."""
        rest = self.client("apigateway")
        try:
            return rest.get_rest_api(restApiId=api_id).get("policy") or None
        except rest.exceptions.NotFoundException:
            return None

    def live_resources(self, api_id: str) -> list[dict[str, Any]]:
        """The REST API's resources (with methods and integrations) as they are now."""
        rest = self.client("apigateway")
        items: list[dict[str, Any]] = []
        for page in rest.get_paginator("get_resources").paginate(restApiId=api_id, embed=["methods"]):
            items.extend(page.get("items", []))
        return items
