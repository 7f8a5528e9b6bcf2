"""HTTP API deployments (apigatewayv2 ``CreateDeployment``), which moto lacks: each one snapshots
the API's routes, integrations and authorizers; a stage with ``autoDeploy: false`` serves the
deployment it points at (``DeploymentId``), one with ``autoDeploy: true`` serves changes at once.

``HttpDeployments`` is the store (on the data plane); ``deployment_corrections`` adds the
control-plane operations (``Create/Get/Update/DeleteDeployment``, ``GetDeployments``) and the
stage's ``deploymentId`` to ``CreateStage``/``UpdateStage``/``GetStage(s)``/``DeleteStage``.
WebSocket APIs keep serving their live routes (their deployments are recorded only).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable

from ..wire.messages import Request, Response
from .config import HttpApiView

Handler = Callable[[Request], Response]
_ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class HttpDeployment:
    """One deployment of an HTTP/WebSocket API and the configuration it captured."""

    deployment_id: str
    created: float
    description: str | None
    auto_deployed: bool
    routes: tuple[dict[str, Any], ...]
    integrations: dict[str, dict[str, Any]]
    authorizers: dict[str, dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        """The wire shape of ``GetDeployment``."""
        out: dict[str, Any] = {"deploymentId": self.deployment_id, "deploymentStatus": "DEPLOYED",
                               "autoDeployed": self.auto_deployed, "createdDate": _iso(self.created)}
        if self.description:
            out["description"] = self.description
        return out


@dataclass
class HttpDeployments:
    """Deployments per API and the deployment each stage serves (guarded by one lock)."""

    deployments: dict[str, dict[str, HttpDeployment]] = field(default_factory=dict)
    stages: dict[tuple[str, str], str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, api_id: str, deployment: HttpDeployment) -> None:
        with self.lock:
            self.deployments.setdefault(api_id, {})[deployment.deployment_id] = deployment

    def get(self, api_id: str, deployment_id: str) -> HttpDeployment | None:
        with self.lock:
            return self.deployments.get(api_id, {}).get(deployment_id)

    def all(self, api_id: str) -> list[HttpDeployment]:
        with self.lock:
            return sorted(self.deployments.get(api_id, {}).values(), key=lambda d: d.created)

    def delete(self, api_id: str, deployment_id: str) -> bool:
        with self.lock:
            return self.deployments.get(api_id, {}).pop(deployment_id, None) is not None

    def attach(self, api_id: str, stage: str, deployment_id: str | None) -> None:
        """Point a stage at a deployment (None: at none)."""
        with self.lock:
            if deployment_id is None:
                self.stages.pop((api_id, stage), None)
            else:
                self.stages[(api_id, stage)] = deployment_id

    def of_stage(self, api_id: str, stage: str) -> str | None:
        with self.lock:
            return self.stages.get((api_id, stage))

    def forget(self, api_id: str) -> None:
        """Drop a deleted API's deployments and stage pointers."""
        with self.lock:
            self.deployments.pop(api_id, None)
            for key in [k for k in self.stages if k[0] == api_id]:
                del self.stages[key]


def capture(view: HttpApiView, deployment_id: str, now: float, description: str | None,
            auto_deployed: bool = False) -> HttpDeployment:
    """A deployment of *view* as it is now."""
    return HttpDeployment(deployment_id, now, description, auto_deployed, tuple(view.routes),
                          dict(view.integrations), dict(view.authorizers))


def served_view(store: HttpDeployments, view: HttpApiView, stage_name: str) -> HttpApiView | None:
    """What a stage serves: the live API with ``AutoDeploy``, else its deployment's snapshot
    (None: the stage has no deployment yet)."""
    stage = view.stages.get(stage_name) or {}
    if stage.get("AutoDeploy"):
        return view
    deployment_id = store.of_stage(view.api_id, stage_name)
    deployment = store.get(view.api_id, deployment_id) if deployment_id else None
    if deployment is None:
        return None
    return replace(view, routes=list(deployment.routes), integrations=deployment.integrations,
                   authorizers=deployment.authorizers)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _not_found(message: str) -> Response:
    return Response.json({"message": message}, 404, {"x-amzn-ErrorType": "NotFoundException"})


class _Corrections:  # bound to a control.ApiGatewayControl (typed Any: importing it would be a cycle)
    """The v2 control-plane operations for deployments, bound to one ``ApiGatewayControl``."""

    def __init__(self, control: Any) -> None:
        self.control = control
        self.gw = control.dataplane
        self.store: HttpDeployments = control.dataplane.http_deployments

    def _live(self, api_id: str) -> HttpApiView | None:
        self.gw.config.invalidate()
        view = self.gw.config.api(api_id)
        return view if isinstance(view, HttpApiView) else None

    def _new(self, view: HttpApiView, description: str | None, auto: bool = False) -> HttpDeployment:
        with self.gw.lock:
            deployment_id = "".join(self.gw._rng.choice(_ID_CHARS) for _ in range(6))
        deployment = capture(view, deployment_id, self.gw.cloud.clock.now(), description, auto)
        self.store.add(view.api_id, deployment)
        return deployment

    def create(self, req: Request) -> Response:
        api_id = req.labels["apiId"]
        body = req.json()
        view = self._live(api_id)
        if view is None:
            return _not_found(f"Invalid API identifier specified {self.gw.cloud.account_id}:{api_id}")
        stage = body.get("stageName")
        if stage and stage not in view.stages:
            return _not_found(f"Invalid stage identifier specified {stage}")  # (unverified text)
        deployment = self._new(view, body.get("description"))
        if stage:
            self.store.attach(api_id, stage, deployment.deployment_id)
        self.gw.config.invalidate()
        return Response.json(deployment.to_json(), 201)

    def get(self, req: Request) -> Response:
        found = self.store.get(req.labels["apiId"], req.labels["deploymentId"])
        if found is None:
            return _not_found(f"Invalid Deployment identifier specified {req.labels['deploymentId']}")
        return Response.json(found.to_json())

    def list(self, req: Request) -> Response:
        if self._live(req.labels["apiId"]) is None:
            return _not_found(f"Invalid API identifier specified {self.gw.cloud.account_id}:{req.labels['apiId']}")
        return Response.json({"items": [d.to_json() for d in self.store.all(req.labels["apiId"])]})

    def update(self, req: Request) -> Response:
        api_id, deployment_id = req.labels["apiId"], req.labels["deploymentId"]
        found = self.store.get(api_id, deployment_id)
        if found is None:
            return _not_found(f"Invalid Deployment identifier specified {deployment_id}")
        updated = replace(found, description=req.json().get("description", found.description))
        self.store.add(api_id, updated)
        return Response.json(updated.to_json())

    def delete(self, req: Request) -> Response:
        api_id, deployment_id = req.labels["apiId"], req.labels["deploymentId"]
        if deployment_id in {d for (a, _), d in list(self.store.stages.items()) if a == api_id}:
            return Response.json({"message": "Active stages pointing to this deployment must be moved or deleted"},
                                 400, {"x-amzn-ErrorType": "BadRequestException"})  # (unverified text)
        if not self.store.delete(api_id, deployment_id):
            return _not_found(f"Invalid Deployment identifier specified {deployment_id}")
        return Response(204, {}, b"")

    def with_deployment_ids(self, api_id: str, response: Response) -> Response:
        """Add each stage's ``deploymentId`` to a ``GetStage(s)``/``CreateStage`` answer."""
        if response.status >= 300:
            return response
        data = json.loads(response.body or b"{}")
        for item in data.get("items") if "items" in data else [data]:
            found = self.store.of_stage(api_id, item.get("stageName", ""))
            if found:
                item["deploymentId"] = found
        return Response(response.status, response.headers, json.dumps(data).encode())

    def set_stage(self, api_id: str, stage: str, body: dict[str, Any]) -> Response | None:
        """Apply a stage's ``deploymentId`` (refused if unknown); keep what it served when
        ``autoDeploy`` is turned off (AWS's last automatic deployment). None: fine."""
        deployment_id = body.get("deploymentId")
        if deployment_id:
            if self.store.get(api_id, deployment_id) is None:
                return _not_found(f"Invalid Deployment identifier specified {deployment_id}")  # (unverified text)
            self.store.attach(api_id, stage, deployment_id)
        elif body.get("autoDeploy") is False and self.store.of_stage(api_id, stage) is None:
            view = self._live(api_id)
            if view is not None and (view.stages.get(stage) or {}).get("AutoDeploy"):
                self.store.attach(api_id, stage, self._new(view, None, auto=True).deployment_id)
        return None

    def create_stage(self, req: Request) -> Response:
        api_id, body = req.labels["apiId"], req.json()
        if body.get("deploymentId") and self.store.get(api_id, body["deploymentId"]) is None:
            return _not_found(f"Invalid Deployment identifier specified {body['deploymentId']}")  # (unverified text)
        response = self.control._forward(req)
        if response.status < 300 and body.get("deploymentId"):
            self.store.attach(api_id, body.get("stageName", ""), body["deploymentId"])
        return self.with_deployment_ids(api_id, response)

    def update_stage(self, req: Request) -> Response:
        api_id, stage, body = req.labels["apiId"], req.labels["stageName"], req.json()
        refused = self.set_stage(api_id, stage, body)
        if refused is not None:
            return refused
        return self.with_deployment_ids(api_id, self.control._update_v2_stage(api_id, stage, body))

    def delete_stage(self, req: Request) -> Response:
        response = self.control._forward(req)
        if response.status < 300:
            self.store.attach(req.labels["apiId"], req.labels["stageName"], None)
        return response

    def delete_api(self, req: Request) -> Response:
        response = self.control._forward(req)
        if response.status < 300:
            self.store.forget(req.labels["apiId"])
        return response


def deployment_corrections(control: Any) -> dict[str, Handler]:
    """The apigatewayv2 operations this module answers (merged into the control plane's table)."""
    fix = _Corrections(control)
    stage_answer = lambda req: fix.with_deployment_ids(req.labels["apiId"], control._forward(req))  # noqa: E731
    return {"CreateDeployment": fix.create, "GetDeployment": fix.get, "GetDeployments": fix.list,
            "UpdateDeployment": fix.update, "DeleteDeployment": fix.delete,
            "CreateStage": fix.create_stage, "UpdateStage": fix.update_stage, "DeleteStage": fix.delete_stage,
            "GetStage": stage_answer, "GetStages": stage_answer, "DeleteApi": fix.delete_api}
