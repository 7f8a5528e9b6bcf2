"""The Lambda REST API (``2015-03-31`` and friends), as botocore's model describes it.

A thin adapter: it parses the wire request, calls the registry, the executor or the platform,
and answers with AWS's status codes, headers and JSON shapes. Nothing is decided here that the
core does not decide.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from .errors import AwsError, invalid_parameter, not_found, too_large
from .functions import timestamp
from .invocation import ASYNC_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT, encode_tail, parse_payload
from .service import Request, Response, Service

if TYPE_CHECKING:  # pragma: no cover
    from .cloud import Cloud

FN = r"(?P<name>[^/]+)"


def _empty(status: int) -> Response:
    return Response(status, {"Content-Type": "application/json"}, b"")


class LambdaService(Service):
    """Answers Lambda API requests for one Cloud."""

    name = "lambda"

    def __init__(self, cloud: "Cloud") -> None:
        super().__init__()
        self.cloud = cloud
        self.registry = cloud.registry
        r = self.route
        r("POST", r"/2015-03-31/functions/?", self.create_function)
        r("GET", r"/2015-03-31/functions/?", self.list_functions)
        r("GET", rf"/2015-03-31/functions/{FN}", self.get_function)
        r("DELETE", rf"/2015-03-31/functions/{FN}", self.delete_function)
        r("GET", rf"/2015-03-31/functions/{FN}/configuration", self.get_function_configuration)
        r("PUT", rf"/2015-03-31/functions/{FN}/configuration", self.update_function_configuration)
        r("PUT", rf"/2015-03-31/functions/{FN}/code", self.update_function_code)
        r("POST", rf"/2015-03-31/functions/{FN}/invocations", self.invoke)
        r("POST", rf"/2015-03-31/functions/{FN}/versions", self.publish_version)
        r("GET", rf"/2015-03-31/functions/{FN}/versions", self.list_versions)
        r("POST", rf"/2015-03-31/functions/{FN}/aliases", self.create_alias)
        r("GET", rf"/2015-03-31/functions/{FN}/aliases", self.list_aliases)
        r("GET", rf"/2015-03-31/functions/{FN}/aliases/(?P<alias>[^/]+)", self.get_alias)
        r("PUT", rf"/2015-03-31/functions/{FN}/aliases/(?P<alias>[^/]+)", self.update_alias)
        r("DELETE", rf"/2015-03-31/functions/{FN}/aliases/(?P<alias>[^/]+)", self.delete_alias)
        r("POST", r"/2018-10-31/layers/(?P<layer>[^/]+)/versions", self.publish_layer_version)
        r("GET", r"/2018-10-31/layers/(?P<layer>[^/]+)/versions", self.list_layer_versions)
        r("GET", r"/2018-10-31/layers/(?P<layer>[^/]+)/versions/(?P<number>\d+)", self.get_layer_version)
        r("GET", r"/2016-08-19/account-settings/?", self.get_account_settings)
        r("PUT", rf"/2017-10-31/functions/{FN}/concurrency", self.put_function_concurrency)
        r("GET", rf"/2019-09-30/functions/{FN}/concurrency", self.get_function_concurrency)
        r("DELETE", rf"/2017-10-31/functions/{FN}/concurrency", self.delete_function_concurrency)
        r("PUT", rf"/2019-09-30/functions/{FN}/provisioned-concurrency", self.put_provisioned)
        r("GET", rf"/2019-09-30/functions/{FN}/provisioned-concurrency", self.get_provisioned)
        r("DELETE", rf"/2019-09-30/functions/{FN}/provisioned-concurrency", self.delete_provisioned)
        for extra in cloud.lambda_extensions:
            extra(self)

    # -- functions ---------------------------------------------------------------------------

    def create_function(self, req: Request) -> Response:
        if len(req.body) > 70_167_211:
            raise too_large("Request must be smaller than 70167211 bytes for the CreateFunction operation")
        params = req.json()
        with self.cloud.executor.lock:
            v = self.registry.create(params)
        out = self.registry.configuration(v, creating=True)
        v.state = "Active"
        return Response.json(out, 201)

    def list_functions(self, req: Request) -> Response:
        names = sorted(self.registry.functions)
        items: list[dict[str, Any]] = []
        all_versions = req.q("FunctionVersion") == "ALL"
        for n in names:
            fn = self.registry.functions[n]
            items.append(self.registry.configuration(fn.latest, listing=True))
            if all_versions:
                items.extend(self.registry.configuration(v, listing=True) for v in fn.versions.values())
        return Response.json(self._page(items, req, "Functions"))

    def _page(self, items: list[Any], req: Request, key: str, limit_default: int = 50) -> dict[str, Any]:
        start = int(req.q("Marker") or 0)
        limit = int(req.q("MaxItems") or limit_default)
        out: dict[str, Any] = {key: items[start:start + limit]}
        if start + limit < len(items):
            out["NextMarker"] = str(start + limit)
        return out

    def get_function(self, req: Request, name: str) -> Response:
        fn, v, q = self.registry.resolve(name, req.q("Qualifier"))
        out: dict[str, Any] = {
            "Code": {"Location": f"file://{v.code.root}", "RepositoryType": "S3"},
            "Configuration": self.registry.configuration(v, arn_qualifier=q if q and q != "$LATEST" else None),
        }
        if fn.tags:
            out["Tags"] = dict(fn.tags)
        if fn.reserved is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": fn.reserved}
        return Response.json(out)

    def get_function_configuration(self, req: Request, name: str) -> Response:
        fn, v, q = self.registry.resolve(name, req.q("Qualifier"))
        return Response.json(self.registry.configuration(v, arn_qualifier=q if q and q != "$LATEST" else None))

    def update_function_configuration(self, req: Request, name: str) -> Response:
        with self.cloud.executor.lock:
            v = self.registry.update_configuration(name, req.json())
            self.cloud.platform.retire(v.name, "$LATEST")
        return Response.json(self.registry.configuration(v, updating=True))

    def update_function_code(self, req: Request, name: str) -> Response:
        params = req.json()
        with self.cloud.executor.lock:
            v = self.registry.update_code(name, params)
            self.cloud.platform.retire(v.name, "$LATEST")
        out = self.registry.configuration(v, updating=True)
        if params.get("Publish"):
            snap, _ = self.registry.publish(name, {})
            out = self.registry.configuration(snap)
        return Response.json(out)

    def delete_function(self, req: Request, name: str) -> Response:
        with self.cloud.executor.lock:
            fn, q = self.registry.delete(name, req.q("Qualifier"))
            if q is None:
                self.cloud.platform.forget(fn.name)
                self.cloud.on_function_deleted(fn.name)
            else:
                self.cloud.platform.retire(fn.name, q)
        return _empty(204)

    # -- invoke ------------------------------------------------------------------------------

    def invoke(self, req: Request, name: str) -> Response:
        invocation_type = req.headers.get("x-amz-invocation-type") or "RequestResponse"
        fn, fv, q = self.registry.resolve(name, req.q("Qualifier"), default_latest_message=True)
        if fv.state == "Pending":
            fv.state = "Active"
        if invocation_type == "DryRun":
            return _empty(204)
        payload = req.body
        if invocation_type == "Event":
            if len(payload) > ASYNC_PAYLOAD_LIMIT:
                raise too_large(f"{len(payload)} byte payload is too large for the Event invocation type "
                                f"(limit {ASYNC_PAYLOAD_LIMIT} bytes)")
            payload = parse_payload(payload)
            self.cloud.invoke_async(fn, q, payload, caller=req.context.get("caller", "client"))
            return _empty(202)
        if invocation_type != "RequestResponse":
            raise invalid_parameter(f"Unsupported invocation type {invocation_type!r}; use RequestResponse, Event or DryRun.")
        if len(payload) > SYNC_PAYLOAD_LIMIT:
            raise too_large(f"Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation")
        payload = parse_payload(payload)
        fv = self.cloud.route_alias(fn, fv, q)
        client_context = req.headers.get("x-amz-client-context")
        if client_context:
            try:
                base64.b64decode(client_context, validate=True)
            except ValueError:
                raise AwsError("InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object.",
                               400)
        out = self.cloud.executor.execute(fn, fv, q, payload, client_context=client_context,
                                          advance_clock=req.context.get("caller") != "handler")
        headers = {"Content-Type": out.content_type, "X-Amz-Executed-Version": out.executed_version}
        if out.function_error:
            headers["X-Amz-Function-Error"] = out.function_error
        if (req.headers.get("x-amz-log-type") or "None") == "Tail":
            headers["X-Amz-Log-Result"] = encode_tail(out.log_tail)
        return Response(200, headers, out.payload)

    # -- versions and aliases ----------------------------------------------------------------

    def publish_version(self, req: Request, name: str) -> Response:
        v, _ = self.registry.publish(name, req.json())
        return Response.json(self.registry.configuration(v), 201)

    def list_versions(self, req: Request, name: str) -> Response:
        fn, _, _ = self.registry.resolve(name)
        items = [self.registry.configuration(fn.latest, arn_qualifier="$LATEST", listing=True)]
        items += [self.registry.configuration(v, listing=True) for _, v in sorted(fn.versions.items(), key=lambda kv: int(kv[0]))]
        return Response.json(self._page(items, req, "Versions"))

    def create_alias(self, req: Request, name: str) -> Response:
        alias = self.registry.create_alias(name, req.json())
        fn = self.registry.functions[self.registry.parse_name(name)[0]]
        return Response.json(self.registry.alias_configuration(fn, alias), 201)

    def get_alias(self, req: Request, name: str, alias: str) -> Response:
        fn, a = self.registry.get_alias(name, alias)
        return Response.json(self.registry.alias_configuration(fn, a))

    def update_alias(self, req: Request, name: str, alias: str) -> Response:
        a = self.registry.update_alias(name, alias, req.json())
        fn = self.registry.functions[self.registry.parse_name(name)[0]]
        return Response.json(self.registry.alias_configuration(fn, a))

    def delete_alias(self, req: Request, name: str, alias: str) -> Response:
        self.registry.delete_alias(name, alias)
        return _empty(204)

    def list_aliases(self, req: Request, name: str) -> Response:
        fn, _, _ = self.registry.resolve(name)
        items = [self.registry.alias_configuration(fn, a) for a in fn.aliases.values()
                 if not req.q("FunctionVersion") or a.function_version == req.q("FunctionVersion")]
        return Response.json(self._page(items, req, "Aliases"))

    # -- layers and account ------------------------------------------------------------------

    def publish_layer_version(self, req: Request, layer: str) -> Response:
        params = req.json()
        content = params.get("Content") or {}
        if isinstance(content.get("ZipFile"), str):
            content["ZipFile"] = base64.b64decode(content["ZipFile"])
        lv = self.registry.publish_layer(layer, params)
        return Response.json(self.registry.layer_configuration(lv), 201)

    def get_layer_version(self, req: Request, layer: str, number: str) -> Response:
        for lv in self.registry.layers.get(layer, []):
            if lv.version == int(number):
                return Response.json(self.registry.layer_configuration(lv))
        raise not_found("The resource you requested does not exist.")

    def list_layer_versions(self, req: Request, layer: str) -> Response:
        items = [self.registry.layer_configuration(lv) for lv in reversed(self.registry.layers.get(layer, []))]
        for item in items:
            item.pop("Content", None)
        return Response.json(self._page(items, req, "LayerVersions"))

    def get_account_settings(self, req: Request) -> Response:
        platform = self.cloud.platform
        total = sum(f.latest.code.size + sum(v.code.size for v in f.versions.values())
                    for f in self.registry.functions.values())
        return Response.json({
            "AccountLimit": {"TotalCodeSize": 80_530_636_800, "CodeSizeUnzipped": 262_144_000,
                             "CodeSizeZipped": 52_428_800, "ConcurrentExecutions": platform.account_concurrency,
                             "UnreservedConcurrentExecutions": platform.unreserved_limit},
            "AccountUsage": {"TotalCodeSize": total, "FunctionCount": len(self.registry.functions)},
        })

    # -- concurrency -------------------------------------------------------------------------

    def _unqualified(self, name: str) -> str:
        fname, q = self.registry.parse_name(name, namespaced=False)
        if fname not in self.registry.functions:
            raise not_found(f"Function not found: {self.registry.function_arn(fname, '$LATEST')}")
        if q is not None:
            raise invalid_parameter(
                "This operation is permitted on Lambda functions only. Aliases and versions do not support this "
                "operation. Please specify either a function name or an unqualified function ARN.")
        return fname

    def put_function_concurrency(self, req: Request, name: str) -> Response:
        fname = self._unqualified(name)
        value = int(req.json()["ReservedConcurrentExecutions"])
        with self.cloud.executor.lock:
            problem = self.cloud.platform.check_reservation(fname, value)
            if problem:
                raise invalid_parameter(problem)
            self.cloud.platform.set_reserved(fname, value, self.cloud.clock.now())
            self.registry.functions[fname].reserved = value
        return Response.json({"ReservedConcurrentExecutions": value})

    def get_function_concurrency(self, req: Request, name: str) -> Response:
        fname = self._unqualified(name)
        reserved = self.registry.functions[fname].reserved
        return Response.json({} if reserved is None else {"ReservedConcurrentExecutions": reserved})

    def delete_function_concurrency(self, req: Request, name: str) -> Response:
        fname = self._unqualified(name)
        with self.cloud.executor.lock:
            self.cloud.platform.set_reserved(fname, None, self.cloud.clock.now())
            self.registry.functions[fname].reserved = None
        return _empty(204)

    def _provisioned_target(self, req: Request, name: str):
        qualifier = req.q("Qualifier")
        fn, fv, q = self.registry.resolve(name, qualifier)
        if q is None or q == "$LATEST":
            raise invalid_parameter("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
        return fn, fv, q

    def put_provisioned(self, req: Request, name: str) -> Response:
        fn, fv, q = self._provisioned_target(req, name)
        count = int(req.json()["ProvisionedConcurrentExecutions"])
        others = sum(c["RequestedProvisionedConcurrentExecutions"] for k, c in fn.provisioned.items() if k != q)
        if fn.reserved is not None and count + others > fn.reserved:
            raise invalid_parameter("Requested Provisioned Concurrency should not be greater than the "
                                    "reservedConcurrentExecution for function")
        now = self.cloud.clock.now()
        config = {"RequestedProvisionedConcurrentExecutions": count, "AvailableProvisionedConcurrentExecutions": 0,
                  "AllocatedProvisionedConcurrentExecutions": 0, "Status": "IN_PROGRESS",
                  "LastModified": timestamp(now)}
        fn.provisioned[q] = config
        answer = dict(config)
        self.cloud.provision(fn, fv, q, count)
        return Response.json(answer, 202)

    def get_provisioned(self, req: Request, name: str) -> Response:
        fn, fv, q = self._provisioned_target(req, name)
        config = fn.provisioned.get(q)
        if config is None:
            raise AwsError("ProvisionedConcurrencyConfigNotFoundException",
                           "No Provisioned Concurrency Config found for this function", 404)
        return Response.json(config)

    def delete_provisioned(self, req: Request, name: str) -> Response:
        fn, fv, q = self._provisioned_target(req, name)
        if fn.provisioned.pop(q, None) is None:
            raise AwsError("ProvisionedConcurrencyConfigNotFoundException",
                           "No Provisioned Concurrency Config found for this function", 404)
        self.cloud.provision(fn, fv, q, 0)
        return _empty(204)

