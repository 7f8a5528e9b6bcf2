"""The API Gateway control planes (``apigateway`` and ``apigatewayv2``): moto, plus what moto lacks.

moto answers almost every operation (on the Cloud's private backend). This adapter intercepts:

* ``GetGatewayResponse(s)``: moto lists only customised responses; AWS lists every default too
  (recording ``default_gateway_responses``);
* ``GetUsage``: moto has none; usage comes from the data plane's quota counters (``throttling``);
* ``TestInvokeMethod``: runs the method through the data plane (stage ``test-invoke-stage``);
* ``CreateApi`` with ``Target`` (quick create): moto ignores it; AWS adds an ``AWS_PROXY``
  integration, a ``$default`` route and an auto-deploying ``$default`` stage;
* ``ApiEndpoint`` in ``CreateApi``/``GetApi``/``GetApis``/``UpdateApi``: the working local URL;
* ``CreateDeployment``: captures the resources the new deployment serves (a stage serves its
  deployment, not later edits);
and tells the data plane to reload after every change. The Dispatcher names each operation (and
its URI labels) from botocore's model; ``operations`` maps the names to moto or to a correction.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any, Callable

from ..errors import AwsError
from ..services.moto_bridge import validation_rules
from ..wire.adapters import Adapter
from ..wire.messages import Request, Response
from .responses import DEFAULT_TEMPLATE, GATEWAY_RESPONSES

if TYPE_CHECKING:
    from ..services.moto_bridge import MotoService
    from .dataplane import ApiGateway

_V2_API_OPERATIONS = ("CreateApi", "GetApi", "GetApis", "UpdateApi", "ImportApi", "ReimportApi")
_AUTHORIZER_ANSWERS = ("CreateAuthorizer", "GetAuthorizer", "GetAuthorizers", "UpdateAuthorizer")
# Corrections answered here, not by moto (which lacks them); the other corrections wrap moto's answer.
_OWN_ANSWERS = frozenset({"GetUsage", "TestInvokeMethod", "FlushStageCache", "UpdateMethod", "UpdateIntegration",
                          "UpdateStage",
                          # apigatewayv2 deployments, which moto lacks (http_deployments.py)
                          "CreateDeployment", "GetDeployment", "GetDeployments", "UpdateDeployment",
                          "DeleteDeployment"})
_ACCOUNT_PATHS = ("/cloudwatchRoleArn", "/features")  # UpdateAccount's patch paths (API reference)
Handler = Callable[[Request], Response]


class ApiGatewayControl(Adapter):
    """One API Gateway control plane (``apigateway`` or ``apigatewayv2``): every operation of its
    botocore model goes to moto, through the corrections below where AWS differs."""

    validates_input = True  # the model's constraints first (moto's ``validation_rules`` for the service)

    def __init__(self, moto: "MotoService", dataplane: "ApiGateway", service: str) -> None:
        self.moto = moto
        self.dataplane = dataplane
        self.service_name = service
        self.validation_rules = validation_rules(service)

    @functools.cached_property
    def operations(self) -> dict[str, Handler]:  # type: ignore[override]
        """moto for every operation it implements, corrections where AWS differs (built on first use)."""
        from ..services.moto_bridge import implemented_operations, service_model

        names = service_model(self.service_name).operation_names
        operations = {name: self._forward for name in implemented_operations(self.service_name)}
        corrections = self._rest_corrections() if self.service_name == "apigateway" else self._v2_corrections()
        operations.update({name: handler for name, handler in corrections.items()
                           if name in names and (name in operations or name in _OWN_ANSWERS)})
        return operations

    def unknown_operation(self, request: Request) -> AwsError:
        from ..services.moto_bridge import unserved_operation

        return unserved_operation(self.service_name, request)

    def _rest_corrections(self) -> dict[str, Handler]:
        def test_invoke(req: Request) -> Response:
            from .test_invoke import test_invoke_method

            lab = req.labels
            return test_invoke_method(self.dataplane, lab["restapi_id"], lab["resource_id"], lab["http_method"],
                                      req.json())

        def flush(req: Request) -> Response:
            self.dataplane.flush_stage_cache(req.labels["restapi_id"], req.labels["stage_name"])
            return Response(202, {}, b"")

        stage_answer = lambda req: self._with_canary(req.labels["restapi_id"], self._forward(req))  # noqa: E731
        return {
            "GetGatewayResponses": lambda req: self._gateway_responses(req, req.labels["restapi_id"], None),
            "GetGatewayResponse": lambda req: self._gateway_responses(req, req.labels["restapi_id"],
                                                                      req.labels["response_type"]),
            "GetUsage": lambda req: self._usage(req, req.labels["usageplanId"]),
            "TestInvokeMethod": test_invoke, "FlushStageCache": flush,
            "ImportRestApi": lambda req: self._forward(_with_description(req)),
            "PutRestApi": lambda req: self._forward(_with_description(req)),
            "UpdateRestApi": lambda req: self._forward(_binary_media_type_ops(req)),
            "UpdateMethod": lambda req: self._patch(req, integration=False),
            "UpdateIntegration": lambda req: self._patch(req, integration=True),
            "UpdateStage": lambda req: stage_answer(self._split_canary(
                req.labels["restapi_id"], req.labels["stage_name"], req)),
            **{name: stage_answer for name in ("GetStage", "GetStages", "CreateStage")},
            **{name: lambda req: _with_auth_type(self._forward(req)) for name in _AUTHORIZER_ANSWERS},
            "CreateDeployment": self._create_deployment,
            "UpdateAccount": self._update_account,
        }

    def _v2_corrections(self) -> dict[str, Handler]:
        from .http_deployments import deployment_corrections

        return {
            "UpdateStage": lambda req: self._update_v2_stage(req.labels["apiId"], req.labels["stageName"],
                                                             req.json()),
            **{name: lambda req: self._v2_api(req, self._forward(req)) for name in _V2_API_OPERATIONS},
            **deployment_corrections(self),  # deployments and stages' deploymentId (http_deployments.py)
        }

    def _forward(self, request: Request) -> Response:
        """moto's answer; after a change the data plane reloads (a deleted API's front door closes)."""
        response = self.moto.forward(request)
        if request.method != "GET" and response.status < 300:
            self.dataplane.config.invalidate()
            api_id = request.labels.get("restapi_id") or request.labels.get("apiId")
            if request.operation in ("DeleteRestApi", "DeleteApi") and api_id:
                self.dataplane.forget(api_id)
        return response

    def _patch(self, req: Request, *, integration: bool) -> Response:
        lab = req.labels
        return self._patch_method(lab["restapi_id"], lab["resource_id"], lab["http_method"], integration, req.json())

    def _update_account(self, request: Request) -> Response:
        """moto's ``UpdateAccount``, after AWS's check of the patch paths (moto raises on others)."""
        for op in request.json().get("patchOperations") or []:
            path = op.get("path") if isinstance(op, dict) else None
            if not isinstance(path, str) or not path.startswith(_ACCOUNT_PATHS):
                raise AwsError("BadRequestException", f"Invalid patch path {path}", 400, error_type=None)
        return self._forward(request)

    def _create_deployment(self, request: Request) -> Response:
        response = self._forward(request)
        if response.status < 300:
            self._snapshot(request.labels["restapi_id"], response)
        return response

    # -- corrections ------------------------------------------------------------------------

    def _v2_api(self, request: Request, response: Response) -> Response:
        if response.status >= 300:
            return response
        data = json.loads(response.body or b"{}")
        if request.method == "POST":
            body = request.json()
            if body.get("target"):
                self._quick_create(data["apiId"], body)
        items = data.get("items") if "items" in data else [data]
        for item in items or []:
            if "apiId" in item:
                item["apiEndpoint"] = self._endpoint(item)
        return Response(response.status, response.headers, json.dumps(data).encode())

    def _endpoint(self, api: dict[str, Any]) -> str:
        if api.get("protocolType") == "WEBSOCKET":
            websockets = self.dataplane.cloud.websocket_apis
            if websockets is not None:
                return websockets.endpoint(api["apiId"])
            return api.get("apiEndpoint", "")
        return self.dataplane.base_url(api["apiId"])

    def _call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode()
        request = Request(method, path, {}, _headers(), data, raw_path=path)
        response = self.moto.forward(request)
        return json.loads(response.body or b"{}")

    def _quick_create(self, api_id: str, body: dict[str, Any]) -> None:
        """What AWS builds for ``CreateApi(Target=…)``: integration, route, ``$default`` stage."""
        integration = self._call("POST", f"/v2/apis/{api_id}/integrations", {
            "integrationType": "AWS_PROXY" if ":lambda:" in body["target"] else "HTTP_PROXY",
            "integrationUri": body["target"], "payloadFormatVersion": "2.0",
            "integrationMethod": "POST" if ":lambda:" in body["target"] else "ANY",
            **({"credentialsArn": body["credentialsArn"]} if body.get("credentialsArn") else {})})
        self._call("POST", f"/v2/apis/{api_id}/routes", {
            "routeKey": body.get("routeKey") or "$default",
            "target": f"integrations/{integration['integrationId']}"})
        self._call("POST", f"/v2/apis/{api_id}/stages", {"stageName": "$default", "autoDeploy": True})
        self.dataplane.config.invalidate()

    def _patch_method(self, api_id: str, resource_id: str, http_method: str, integration: bool,
                      body: dict[str, Any]) -> Response:
        """``UpdateMethod`` / ``UpdateIntegration`` (moto has neither)."""
        from .patches import INTEGRATION_FIELDS, METHOD_FIELDS, apply

        backend = self.moto.backend()
        try:
            target = (backend.get_integration(api_id, resource_id, http_method) if integration
                      else backend.get_method(api_id, resource_id, http_method))
        except Exception as exc:  # moto's NotFound errors
            return Response.json({"message": getattr(exc, "message", str(exc))}, int(getattr(exc, "code", 404)),
                                 {"x-amzn-ErrorType": "NotFoundException"})
        if target is None:
            return Response.json({"message": "Invalid Integration identifier specified"}, 404,
                                 {"x-amzn-ErrorType": "NotFoundException"})
        refused = apply(target, body.get("patchOperations") or [],
                        INTEGRATION_FIELDS if integration else METHOD_FIELDS)
        if refused:
            return Response.json({"message": f"Invalid patch path {refused[0]}"}, 400,
                                 {"x-amzn-ErrorType": "BadRequestException"})
        self.dataplane.config.invalidate()
        return Response.json(target.to_json())

    def _split_canary(self, api_id: str, stage: str, request: Request) -> Request:
        """Keep ``/canarySettings`` operations here (moto would misread them), pass the rest on."""
        from dataclasses import replace as copy_with

        from .patches import apply_canary

        body = request.json()
        with self.dataplane.lock:
            current = self.dataplane.canaries.get((api_id, stage))
            canary, rest = apply_canary(current, body.get("patchOperations") or [])
            if canary is None:
                self.dataplane.canaries.pop((api_id, stage), None)
            else:
                self.dataplane.canaries[(api_id, stage)] = canary
        return copy_with(request, body=json.dumps({**body, "patchOperations": rest}).encode())

    def _with_canary(self, api_id: str, response: Response) -> Response:
        if response.status >= 300:
            return response
        data = json.loads(response.body or b"{}")
        items = data.get("item") if "item" in data else [data]
        for item in items or []:
            canary = self.dataplane.canaries.get((api_id, item.get("stageName", "")))
            if canary:
                item["canarySettings"] = canary
        return Response(response.status, response.headers, json.dumps(data).encode())

    def _update_v2_stage(self, api_id: str, stage_name: str, body: dict[str, Any]) -> Response:
        """``UpdateStage`` for HTTP/WebSocket APIs (moto has none): the given fields replace the stage's."""
        from datetime import datetime

        try:
            stage = self.moto.backends.backend("apigatewayv2").get_stage(api_id, stage_name)
        except Exception as exc:  # moto raises its NotFound errors as HTTP exceptions
            code = getattr(exc, "code", 404)
            return Response.json({"message": getattr(exc, "message", str(exc))}, int(code),
                                 {"x-amzn-ErrorType": "NotFoundException"})
        fields = {"accessLogSettings": "access_log_settings", "autoDeploy": "auto_deploy",
                  "clientCertificateId": "client_certificate_id", "defaultRouteSettings": "default_route_settings",
                  "description": "description", "routeSettings": "route_settings",
                  "stageVariables": "stage_variables"}
        for wire, attr in fields.items():
            if wire in body:
                setattr(stage, attr, body[wire])
        stage.updated = datetime.now()
        self.dataplane.config.invalidate()
        return Response.json(stage.to_json())

    def _gateway_responses(self, request: Request, api_id: str, response_type: str | None) -> Response:
        moto_response = self.moto.forward(request)
        if moto_response.status >= 300 and response_type is None:
            return moto_response
        custom: dict[str, dict[str, Any]] = {}
        if moto_response.status < 300:
            data = json.loads(moto_response.body or b"{}")
            items = data.get("item", data.get("items")) if response_type is None else [data]
            custom = {g["responseType"]: g for g in items or [] if "responseType" in g}
        if response_type is not None:
            if response_type in custom:
                return moto_response
            if response_type not in GATEWAY_RESPONSES:
                return Response.json({"message": f"Invalid response type {response_type}"}, 400,
                                     {"x-amzn-ErrorType": "BadRequestException"})
            return Response.json(_default_response(response_type))
        merged = [custom.get(t) or _default_response(t) for t in sorted(GATEWAY_RESPONSES)]
        return Response.json({"item": merged})

    def _usage(self, request: Request, plan_id: str) -> Response:
        start, end = request.q("startDate"), request.q("endDate")
        if not start or not end:
            return Response.json({"message": "Start date and end date are required"}, 400,
                                 {"x-amzn-ErrorType": "BadRequestException"})
        for name, value in (("startDate", start), ("endDate", end)):
            if not _is_date(value):
                raise AwsError("BadRequestException", f"Invalid {name} '{value}': expected a date as yyyy-MM-dd",
                               400, error_type=None)
        try:
            with self.dataplane.lock:
                usage = self.dataplane.throttler.get_usage(plan_id, start, end, key_id=request.q("keyId"))
        except ValueError as exc:  # the end date before the start date, in AWS's words
            raise AwsError("BadRequestException", str(exc), 400, error_type=None) from None
        usage["values"] = usage.pop("items")  # the wire name of Usage.items
        return Response.json(usage)

    def _snapshot(self, api_id: str, response: Response) -> None:
        deployment = json.loads(response.body or b"{}")
        if deployment.get("id"):
            config = self.dataplane.config
            self.dataplane.snapshots.put(api_id, deployment["id"], config.live_resources(api_id),
                                         config.live_policy(api_id))  # resource policy too (rest_security)


def _is_date(text: str) -> bool:
    """Whether *text* is a calendar date ``yyyy-MM-dd`` (GetUsage's startDate and endDate)."""
    from datetime import date

    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _binary_media_type_ops(request: Request) -> Request:
    """AWS names the type in the path (``add /binaryMediaTypes/image~1png``); moto reads ``value``."""
    from dataclasses import replace as copy_with

    body = request.json()
    ops = []
    for op in body.get("patchOperations") or []:
        path = op.get("path", "")
        if path.startswith("/binaryMediaTypes/") and op.get("op") in ("add", "remove"):
            op = {**op, "value": path.split("/", 2)[2].replace("~1", "/")}
        ops.append(op)
    return copy_with(request, body=json.dumps({**body, "patchOperations": ops}).encode())


def _with_description(request: Request) -> Request:
    """moto's OpenAPI import needs ``info.description``; AWS does not."""
    from dataclasses import replace as copy_with

    try:
        document = json.loads(request.body)
    except ValueError:
        try:
            import yaml

            document = yaml.safe_load(request.body)
        except Exception:  # noqa: BLE001 - leave the body to moto's own error
            return request
    if isinstance(document, dict) and isinstance(document.get("info"), dict):
        document["info"].setdefault("description", "")
        return copy_with(request, body=json.dumps(document).encode())
    return request


def _with_auth_type(response: Response) -> Response:
    """AWS reports ``authType`` (``custom`` for Lambda authorizers); moto leaves it out."""
    if response.status >= 300:
        return response
    data = json.loads(response.body or b"{}")
    items = data.get("item", data.get("items")) if ("item" in data or "items" in data) else [data]
    for item in items or []:
        if "type" in item and not item.get("authType"):
            item["authType"] = "cognito_user_pools" if item["type"] == "COGNITO_USER_POOLS" else "custom"
    return Response(response.status, response.headers, json.dumps(data).encode())


def _headers() -> Any:
    from ..wire.messages import Headers

    return Headers({"Content-Type": "application/json"})


def _default_response(response_type: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"responseType": response_type, "defaultResponse": True, "responseParameters": {},
                             "responseTemplates": {"application/json": DEFAULT_TEMPLATE}}
    status = GATEWAY_RESPONSES[response_type]
    if status is not None:
        entry["statusCode"] = status
    return entry
