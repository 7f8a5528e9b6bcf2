"""Handlers for ``AWS::ApiGateway::*`` (REST) and ``AWS::ApiGatewayV2::*`` (HTTP and WebSocket).

They call the Cloud's ``apigateway`` / ``apigatewayv2`` services through botocore clients, as
CloudFormation calls API Gateway's own API: CloudFormation's PascalCase properties become the
REST API's camelCase parameters; HTTP API properties keep their names. An ``Api`` with an
OpenAPI ``Body`` is imported (what SAM's ``HttpApi``/``Api`` events generate).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from .resources import Handler, Provisioned, ResourceContext, _camel, _ignore_missing, _only


class ApiCall(Handler):
    """A resource made by one create call and removed by one delete call."""

    def __init__(self, service: str, create: str, id_key: str, delete: str, keys: tuple[str, ...],
                 *, camel: bool = False, ref_key: str | None = None,
                 attributes: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 delete_id: str | None = None) -> None:
        self.service = service
        self.delete_id = delete_id or id_key
        self.create_op, self.id_key, self.delete_op, self.keys = create, id_key, delete, keys
        self.rename = _camel if camel else str
        self.ref_key = ref_key
        self.attributes = attributes or (lambda out: {})

    def _snake(self, op: str) -> str:
        import re

        return re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower()

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> Provisioned:
        client = ctx.client(self.service)
        params = _only(client, self.create_op, props, self.rename)
        out = getattr(client, self._snake(self.create_op))(**params)
        ref = out.get(self.ref_key or self.id_key) if self.ref_key else out[self.id_key]
        if ref is None and self.ref_key:
            ref = params.get(self.ref_key)
        return Provisioned(str(ref), {**self.attributes(out), "_id": out.get(self.id_key)})

    def delete(self, ctx: ResourceContext, current: Provisioned, props: dict[str, Any]) -> None:
        client = ctx.client(self.service)
        params = {self.rename(k): props[k] for k in self.keys if k in props}
        params[self.delete_id] = current.attributes.get("_id") or current.physical_id
        params = _only(client, self.delete_op, params)
        _ignore_missing(lambda: getattr(client, self._snake(self.delete_op))(**params))


class HttpApi(Handler):
    """``AWS::ApiGatewayV2::Api``: created from properties, or imported from an OpenAPI ``Body``."""

    service = "apigatewayv2"

    def create(self, ctx, props):
        v2 = ctx.client("apigatewayv2")
        if props.get("Body") is not None:
            body = props["Body"]
            out = v2.import_api(Body=body if isinstance(body, str) else json.dumps(body),
                                **_only(v2, "ImportApi", {k: v for k, v in props.items() if k in ("Basepath",
                                                                                                   "FailOnWarnings")}))
        else:
            out = v2.create_api(**_only(v2, "CreateApi", props))
        return Provisioned(out["ApiId"], {"ApiId": out["ApiId"], "ApiEndpoint": out.get("ApiEndpoint", "")})

    def update(self, ctx, current, old, new):
        v2 = ctx.client("apigatewayv2")
        if new.get("Body") is not None:
            body = new["Body"]
            v2.reimport_api(ApiId=current.physical_id, Body=body if isinstance(body, str) else json.dumps(body))
        else:
            v2.update_api(ApiId=current.physical_id, **_only(v2, "UpdateApi", new))
        return current

    def delete(self, ctx, current, props):
        _ignore_missing(lambda: ctx.client("apigatewayv2").delete_api(ApiId=current.physical_id))


class RestApi(Handler):
    """``AWS::ApiGateway::RestApi``: created, or imported from a Swagger/OpenAPI ``Body``."""

    service = "apigateway"

    def create(self, ctx, props):
        api = ctx.client("apigateway")
        if props.get("Body") is not None:
            body = props["Body"]
            out = api.import_rest_api(body=(body if isinstance(body, str) else json.dumps(body)).encode())
            if props.get("Name"):
                api.update_rest_api(restApiId=out["id"], patchOperations=[
                    {"op": "replace", "path": "/name", "value": props["Name"]}])
        else:
            out = api.create_rest_api(**_only(api, "CreateRestApi", props, _camel))
        root = next((r["id"] for r in api.get_resources(restApiId=out["id"])["items"] if r["path"] == "/"), "")
        return Provisioned(out["id"], {"RestApiId": out["id"], "RootResourceId": root})

    def update(self, ctx, current, old, new):
        if new.get("Body") is not None:
            body = new["Body"]
            ctx.client("apigateway").put_rest_api(restApiId=current.physical_id, mode="overwrite",
                                                  body=(body if isinstance(body, str) else json.dumps(body)).encode())
            return current
        return None

    def delete(self, ctx, current, props):
        _ignore_missing(lambda: ctx.client("apigateway").delete_rest_api(restApiId=current.physical_id))


class RestMethod(Handler):
    """``AWS::ApiGateway::Method`` with its ``Integration``, method and integration responses."""

    service = "apigateway"

    def create(self, ctx, props):
        api = ctx.client("apigateway")
        where = {"restApiId": props["RestApiId"], "resourceId": props["ResourceId"], "httpMethod": props["HttpMethod"]}
        method = {k: v for k, v in props.items() if k not in ("Integration", "MethodResponses")}
        api.put_method(**{**_only(api, "PutMethod", method, _camel), **where})
        for r in props.get("MethodResponses") or []:
            api.put_method_response(**where, **_only(api, "PutMethodResponse", r, _camel))
        integration = props.get("Integration")
        if integration:
            params = {k: v for k, v in integration.items() if k != "IntegrationResponses"}
            api.put_integration(**where, **_only(api, "PutIntegration", params, _camel))
            for r in integration.get("IntegrationResponses") or []:
                api.put_integration_response(**where, **_only(api, "PutIntegrationResponse", r, _camel))
        return Provisioned(f"{props['ResourceId']}:{props['HttpMethod']}")

    def delete(self, ctx, current, props):
        api = ctx.client("apigateway")
        _ignore_missing(lambda: api.delete_method(restApiId=props["RestApiId"], resourceId=props["ResourceId"],
                                                  httpMethod=props["HttpMethod"]))


def _stage_props(props: dict[str, Any]) -> dict[str, Any]:
    out = dict(props)
    if "Variables" in out:
        out["variables"] = out.pop("Variables")
    return out


class RestStage(Handler):
    service = "apigateway"

    def create(self, ctx, props):
        api = ctx.client("apigateway")
        api.create_stage(**_only(api, "CreateStage", _stage_props(props), _camel))
        return Provisioned(props["StageName"])

    def delete(self, ctx, current, props):
        api = ctx.client("apigateway")
        _ignore_missing(lambda: api.delete_stage(restApiId=props["RestApiId"], stageName=current.physical_id))


class RestDeployment(Handler):
    service = "apigateway"

    def create(self, ctx, props):
        api = ctx.client("apigateway")
        params = _only(api, "CreateDeployment", props, _camel)
        out = api.create_deployment(**params)
        return Provisioned(out["id"], {"DeploymentId": out["id"]})

    def delete(self, ctx, current, props):
        api = ctx.client("apigateway")
        if props.get("StageName"):
            _ignore_missing(lambda: api.delete_stage(restApiId=props["RestApiId"], stageName=props["StageName"]))
        _ignore_missing(lambda: api.delete_deployment(restApiId=props["RestApiId"], deploymentId=current.physical_id))


def handlers() -> dict[str, Handler]:
    """The API Gateway resource types this engine supports."""
    v2 = "apigatewayv2"
    rest = "apigateway"
    return {
        "AWS::ApiGatewayV2::Api": HttpApi(),
        "AWS::ApiGatewayV2::Stage": ApiCall(v2, "CreateStage", "StageName", "DeleteStage", ("ApiId",),
                                            ref_key="StageName"),
        "AWS::ApiGatewayV2::Route": ApiCall(v2, "CreateRoute", "RouteId", "DeleteRoute", ("ApiId",)),
        "AWS::ApiGatewayV2::Integration": ApiCall(v2, "CreateIntegration", "IntegrationId", "DeleteIntegration",
                                                  ("ApiId",)),
        "AWS::ApiGatewayV2::Authorizer": ApiCall(v2, "CreateAuthorizer", "AuthorizerId", "DeleteAuthorizer",
                                                 ("ApiId",)),
        "AWS::ApiGatewayV2::Deployment": ApiCall(v2, "CreateDeployment", "DeploymentId", "DeleteDeployment",
                                                 ("ApiId",)),
        "AWS::ApiGatewayV2::RouteResponse": ApiCall(v2, "CreateRouteResponse", "RouteResponseId",
                                                    "DeleteRouteResponse", ("ApiId", "RouteId")),
        "AWS::ApiGatewayV2::IntegrationResponse": ApiCall(v2, "CreateIntegrationResponse", "IntegrationResponseId",
                                                          "DeleteIntegrationResponse", ("ApiId", "IntegrationId")),
        "AWS::ApiGateway::RestApi": RestApi(),
        "AWS::ApiGateway::Resource": ApiCall(rest, "CreateResource", "id", "DeleteResource", ("RestApiId",), delete_id="resourceId",
                                             camel=True, attributes=lambda o: {"ResourceId": o["id"]}),
        "AWS::ApiGateway::Method": RestMethod(),
        "AWS::ApiGateway::Deployment": RestDeployment(),
        "AWS::ApiGateway::Stage": RestStage(),
        "AWS::ApiGateway::Authorizer": ApiCall(rest, "CreateAuthorizer", "id", "DeleteAuthorizer", ("RestApiId",), delete_id="authorizerId",
                                               camel=True, attributes=lambda o: {"AuthorizerId": o["id"]}),
        "AWS::ApiGateway::ApiKey": ApiCall(rest, "CreateApiKey", "id", "DeleteApiKey", (), camel=True, delete_id="apiKey",
                                           attributes=lambda o: {"APIKeyId": o["id"]}),
        "AWS::ApiGateway::UsagePlan": ApiCall(rest, "CreateUsagePlan", "id", "DeleteUsagePlan", (), camel=True, delete_id="usagePlanId",
                                              attributes=lambda o: {"Id": o["id"]}),
        "AWS::ApiGateway::UsagePlanKey": ApiCall(rest, "CreateUsagePlanKey", "id", "DeleteUsagePlanKey",
                                                 ("UsagePlanId",), camel=True, delete_id="keyId"),
        "AWS::ApiGateway::RequestValidator": ApiCall(rest, "CreateRequestValidator", "id", "DeleteRequestValidator",
                                                     ("RestApiId",), camel=True, delete_id="requestValidatorId",
                                                     attributes=lambda o: {"RequestValidatorId": o["id"]}),
        "AWS::ApiGateway::Model": ApiCall(rest, "CreateModel", "name", "DeleteModel", ("RestApiId",), camel=True,
                                          delete_id="modelName"),
        "AWS::ApiGateway::GatewayResponse": ApiCall(rest, "PutGatewayResponse", "responseType",
                                                    "DeleteGatewayResponse", ("RestApiId",), camel=True),
    }
