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


_CORS_KEYS = {"allowOrigins": "AllowOrigins", "allowHeaders": "AllowHeaders", "allowMethods": "AllowMethods",
              "exposeHeaders": "ExposeHeaders", "maxAge": "MaxAge", "allowCredentials": "AllowCredentials"}


def import_http_api(v2: Any, body: dict[str, Any]) -> dict[str, Any]:
    """An HTTP API from an OpenAPI 3 document with API Gateway's extensions (what SAM's
    ``HttpApi`` generates): CORS, JWT/REQUEST authorizers, integrations and routes."""
    params: dict[str, Any] = {"Name": str((body.get("info") or {}).get("title") or "api"), "ProtocolType": "HTTP"}
    cors = body.get("x-amazon-apigateway-cors")
    if cors:
        params["CorsConfiguration"] = {_CORS_KEYS[k]: v for k, v in cors.items() if k in _CORS_KEYS}
    api = v2.create_api(**params)
    api_id = api["ApiId"]
    authorizers = {name: _authorizer(v2, api_id, name, scheme["x-amazon-apigateway-authorizer"])
                   for name, scheme in ((body.get("components") or {}).get("securitySchemes") or {}).items()
                   if scheme.get("x-amazon-apigateway-authorizer")}
    integrations: dict[str, str] = {}
    for path, operations in (body.get("paths") or {}).items():
        for method, op in operations.items():
            if not isinstance(op, dict) or "x-amazon-apigateway-integration" not in op:
                continue
            verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            key = "$default" if path == "$default" or op.get("isDefaultRoute") else f"{verb} {path}"
            target = _integration(v2, api_id, op["x-amazon-apigateway-integration"], integrations)
            route: dict[str, Any] = {"ApiId": api_id, "RouteKey": key, "Target": f"integrations/{target}"}
            security = op.get("security", body.get("security")) or []
            for name, scopes in (security[0].items() if security else ()):
                if name in authorizers:
                    route.update(AuthorizerId=authorizers[name][0], AuthorizationType=authorizers[name][1])
                    if scopes:
                        route["AuthorizationScopes"] = scopes
            v2.create_route(**route)
    return api


def _authorizer(v2: Any, api_id: str, name: str, spec: dict[str, Any]) -> tuple[str, str]:
    """Create one authorizer from ``x-amazon-apigateway-authorizer``; (id, route AuthorizationType)."""
    sources = spec.get("identitySource") or "$request.header.Authorization"
    params: dict[str, Any] = {"ApiId": api_id, "Name": name,
                              "IdentitySource": sources if isinstance(sources, list) else
                              [s.strip() for s in sources.split(",")]}
    if spec.get("type") == "jwt":
        jwt_config = spec.get("jwtConfiguration") or {}
        params.update(AuthorizerType="JWT", JwtConfiguration={"Issuer": jwt_config.get("issuer"),
                                                              "Audience": jwt_config.get("audience") or []})
        kind = "JWT"
    else:
        params.update(AuthorizerType="REQUEST", AuthorizerUri=spec.get("authorizerUri"),
                      AuthorizerPayloadFormatVersion=spec.get("authorizerPayloadFormatVersion", "2.0"),
                      EnableSimpleResponses=bool(spec.get("enableSimpleResponses", False)))
        if "authorizerResultTtlInSeconds" in spec:
            params["AuthorizerResultTtlInSeconds"] = int(spec["authorizerResultTtlInSeconds"])
        kind = "CUSTOM"
    return v2.create_authorizer(**params)["AuthorizerId"], kind


def _integration(v2: Any, api_id: str, spec: dict[str, Any], made: dict[str, str]) -> str:
    """The id of an integration for ``x-amazon-apigateway-integration`` (one per distinct spec)."""
    key = json.dumps(spec, sort_keys=True)
    if key not in made:
        kind = str(spec.get("type", "aws_proxy")).upper()
        params: dict[str, Any] = {"ApiId": api_id, "IntegrationType": kind, "IntegrationUri": spec.get("uri"),
                                  "PayloadFormatVersion": str(spec.get("payloadFormatVersion", "2.0"))}
        if kind == "HTTP_PROXY":
            params["IntegrationMethod"] = spec.get("httpMethod", "ANY")
        if spec.get("timeoutInMillis"):
            params["TimeoutInMillis"] = int(spec["timeoutInMillis"])
        made[key] = v2.create_integration(**params)["IntegrationId"]
    return made[key]


class HttpDeployment(ApiCall):
    """``AWS::ApiGatewayV2::Deployment``; recorded when the Cloud's control plane has no
    ``CreateDeployment`` (its WebSocket and HTTP APIs then serve the current routes)."""

    def __init__(self) -> None:
        super().__init__("apigatewayv2", "CreateDeployment", "DeploymentId", "DeleteDeployment", ("ApiId",))

    def create(self, ctx, props):
        from botocore.exceptions import ClientError

        try:
            return super().create(ctx, props)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") not in (404, 501):
                raise
            if exc.response["Error"]["Code"] not in ("UnknownOperationException", "NotImplementedException",
                                                     "NotImplemented", "404", "501"):
                raise
        return Provisioned(ctx.random_suffix(6).lower(), {"_recorded": True},
                           note="recorded; this Cloud's API Gateway serves routes without deployments")

    def delete(self, ctx, current, props):
        if not current.attributes.get("_recorded"):
            super().delete(ctx, current, props)


class HttpApi(Handler):
    """``AWS::ApiGatewayV2::Api``: created from properties, or imported from an OpenAPI ``Body``."""

    service = "apigatewayv2"
    removed_by = ("delete_api", "ApiId")

    def create(self, ctx, props):
        v2 = ctx.client("apigatewayv2")
        if props.get("Body") is not None:
            out = self._import(v2, props)
        else:
            out = v2.create_api(**_only(v2, "CreateApi", props))
        return Provisioned(out["ApiId"], {"ApiId": out["ApiId"], "ApiEndpoint": out.get("ApiEndpoint", "")})

    @staticmethod
    def _import(v2: Any, props: dict[str, Any]) -> dict[str, Any]:
        """``ImportApi``; where the Cloud's control plane lacks it, the same API built call by call."""
        from botocore.exceptions import ClientError

        body = props["Body"]
        try:
            return v2.import_api(Body=body if isinstance(body, str) else json.dumps(body),
                                 **_only(v2, "ImportApi", {k: v for k, v in props.items()
                                                           if k in ("Basepath", "FailOnWarnings")}))
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 501:
                raise
        return import_http_api(v2, json.loads(body) if isinstance(body, str) else body)

    def update(self, ctx, current, old, new):
        v2 = ctx.client("apigatewayv2")
        if new.get("Body") is not None:
            return None  # replaced: a new API from the new OpenAPI document
        v2.update_api(ApiId=current.physical_id, **_only(v2, "UpdateApi", new))
        return current


class RestApi(Handler):
    """``AWS::ApiGateway::RestApi``: created, or imported from a Swagger/OpenAPI ``Body``."""

    service = "apigateway"
    removed_by = ("delete_rest_api", "restApiId")

    def create(self, ctx, props):
        api = ctx.client("apigateway")
        if isinstance(props.get("Policy"), dict):  # a template writes the policy as an object
            props = {**props, "Policy": json.dumps(props["Policy"])}
        if props.get("Body") is not None:
            body = props["Body"]
            document = json.loads(body) if isinstance(body, str) else body
            if str(document.get("swagger", "")).startswith("2"):  # what SAM's Api generates
                out = import_swagger_rest_api(api, document)
            else:
                out = api.import_rest_api(body=(body if isinstance(body, str) else json.dumps(body)).encode())
            renamed = [{"op": "replace", "path": "/name", "value": props["Name"]}] if props.get("Name") else []
            policy = [{"op": "replace", "path": "/policy", "value": props["Policy"]}] if props.get("Policy") else []
            if renamed or policy:
                api.update_rest_api(restApiId=out["id"], patchOperations=renamed + policy)
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
        changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
        if changed and changed <= {"Policy", "Name", "Description"}:  # in place, as AWS updates them
            operations = [{"op": "replace", "path": f"/{key.lower()}",
                           "value": json.dumps(new[key]) if isinstance(new.get(key), dict) else str(new.get(key) or "")}
                          for key in sorted(changed)]
            ctx.client("apigateway").update_rest_api(restApiId=current.physical_id, patchOperations=operations)
            return current
        return None


def import_swagger_rest_api(api: Any, doc: dict[str, Any]) -> dict[str, Any]:
    """A REST API from a Swagger 2.0 document with API Gateway's extensions, call by call (the
    Cloud's ImportRestApi takes OpenAPI 3 only): resources, methods, Lambda/HTTP/MOCK
    integrations, authorizers (``securityDefinitions``) and binary media types."""
    params: dict[str, Any] = {"name": str((doc.get("info") or {}).get("title") or "api")}
    if doc.get("x-amazon-apigateway-binary-media-types"):
        params["binaryMediaTypes"] = list(doc["x-amazon-apigateway-binary-media-types"])
    if doc.get("x-amazon-apigateway-policy"):  # what SAM writes for Auth.ResourcePolicy
        policy = doc["x-amazon-apigateway-policy"]
        params["policy"] = policy if isinstance(policy, str) else json.dumps(policy)
    out = api.create_rest_api(**params)
    rest_id = out["id"]
    resources = {r["path"]: r["id"] for r in api.get_resources(restApiId=rest_id)["items"]}
    authorizers = {}
    for name, spec in (doc.get("securityDefinitions") or {}).items():
        auth = spec.get("x-amazon-apigateway-authorizer")
        if auth:
            authorizers[name] = _rest_authorizer(api, rest_id, name, spec, auth)
    for path, operations in (doc.get("paths") or {}).items():
        resource_id = _rest_resource(api, rest_id, path, resources)
        for method, op in operations.items():
            if isinstance(op, dict) and "x-amazon-apigateway-integration" in op:
                verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
                _rest_method(api, rest_id, resource_id, verb, op, authorizers, doc.get("security"))
    return out


def _rest_resource(api: Any, rest_id: str, path: str, known: dict[str, str]) -> str:
    """The id of the resource for *path*, creating missing parents on the way."""
    if path in known:
        return known[path]
    parent, _, part = path.rstrip("/").rpartition("/")
    parent_id = _rest_resource(api, rest_id, parent or "/", known)
    known[path] = api.create_resource(restApiId=rest_id, parentId=parent_id, pathPart=part)["id"]
    return known[path]


def _rest_authorizer(api: Any, rest_id: str, name: str, spec: dict[str, Any], auth: dict[str, Any]) -> tuple[str, str]:
    kind = str(auth.get("type", "token")).upper()
    params: dict[str, Any] = {"restApiId": rest_id, "name": name,
                              "type": "COGNITO_USER_POOLS" if kind == "COGNITO_USER_POOLS" else kind,
                              "identitySource": auth.get("identitySource") or f"method.request.header.{spec.get('name', 'Authorization')}"}
    if auth.get("providerARNs"):
        params["providerARNs"] = auth["providerARNs"]
    if auth.get("authorizerUri"):
        params["authorizerUri"] = auth["authorizerUri"]
    if "authorizerResultTtlInSeconds" in auth:
        params["authorizerResultTtlInSeconds"] = int(auth["authorizerResultTtlInSeconds"])
    created = api.create_authorizer(**params)["id"]
    return created, "COGNITO_USER_POOLS" if params["type"] == "COGNITO_USER_POOLS" else "CUSTOM"


def _rest_method(api: Any, rest_id: str, resource_id: str, verb: str, op: dict[str, Any],
                 authorizers: dict[str, tuple[str, str]], default_security: Any) -> None:
    method: dict[str, Any] = {"restApiId": rest_id, "resourceId": resource_id, "httpMethod": verb,
                              "authorizationType": "NONE"}
    for entry in op.get("security", default_security) or []:
        for name in entry:
            if name in authorizers:
                method.update(authorizationType=authorizers[name][1], authorizerId=authorizers[name][0])
            elif name == "api_key":
                method["apiKeyRequired"] = True
    api.put_method(**method)
    spec = op["x-amazon-apigateway-integration"]
    integration: dict[str, Any] = {"restApiId": rest_id, "resourceId": resource_id, "httpMethod": verb,
                                   "type": str(spec.get("type", "aws_proxy")).upper()}
    for key in ("uri", "httpMethod", "requestTemplates", "passthroughBehavior", "contentHandling",
                "timeoutInMillis", "requestParameters"):
        if key in spec:
            integration["integrationHttpMethod" if key == "httpMethod" else key] = spec[key]
    api.put_integration(**integration)


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


_METHOD_SETTING_PATHS = {"LoggingLevel": "logging/loglevel", "DataTraceEnabled": "logging/dataTrace",
                         "MetricsEnabled": "metrics/enabled", "ThrottlingBurstLimit": "throttling/burstLimit",
                         "ThrottlingRateLimit": "throttling/rateLimit", "CachingEnabled": "caching/enabled",
                         "CacheTtlInSeconds": "caching/ttlInSeconds", "CacheDataEncrypted": "caching/dataEncrypted"}


def _method_setting_operations(settings: list[dict[str, Any]]) -> list[dict[str, str]]:
    """``MethodSettings`` entries as UpdateStage patch operations (``/*/*/logging/loglevel``,
    ``/~1pets/GET/...``)."""
    operations = []
    for entry in settings:
        path = str(entry.get("ResourcePath", "/*"))
        resource = "*" if path in ("/*", "*") else path.replace("/", "~1")
        prefix = f"/{resource}/{entry.get('HttpMethod', '*')}"
        for key, suffix in _METHOD_SETTING_PATHS.items():
            if key in entry:
                value = entry[key]
                text = str(value).lower() if isinstance(value, bool) else str(value)
                operations.append({"op": "replace", "path": f"{prefix}/{suffix}", "value": text})
    return operations


class RestStage(Handler):
    service = "apigateway"

    def create(self, ctx, props):
        api = ctx.client("apigateway")
        api.create_stage(**_only(api, "CreateStage", _stage_props(props), _camel))
        operations = _method_setting_operations(props.get("MethodSettings") or [])
        if operations:  # CreateStage has no methodSettings: AWS applies them as UpdateStage does
            api.update_stage(restApiId=props["RestApiId"], stageName=props["StageName"],
                             patchOperations=operations)
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
        "AWS::ApiGatewayV2::Deployment": HttpDeployment(),
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
