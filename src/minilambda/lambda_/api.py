"""The Lambda REST API (``2015-03-31`` and friends), as botocore's model describes it.

A thin adapter: it parses the wire request, calls the registry, the executor or the platform,
and answers with AWS's status codes, headers and JSON shapes. Nothing is decided here that the
core does not decide.
"""

from __future__ import annotations

import base64
import re
from typing import Any, Callable

from ..errors import AwsError, invalid_parameter, not_found, too_large
from ..isotime import lambda_timestamp
from ..model.limits import (ASYNC_PAYLOAD_LIMIT, CREATE_REQUEST_LIMIT, SYNC_PAYLOAD_LIMIT,
                            LIST_PAGE_SIZE, TOTAL_CODE_SIZE, UNZIPPED_LIMIT, ZIPPED_LIMIT)
from ..wire import Adapter, Request, Response
from .backend import LambdaBackend
from .executor import encode_tail, parse_payload


def _empty(status: int) -> Response:
    return Response(status, {"Content-Type": "application/json"}, b"")


def _json(data: Any, status: int = 200) -> Response:
    return Response.json(data, status)


# The partition and account of a function ARN or partial ARN (``123456789012:function:f``).
_OWNER_RX = re.compile(r"^(?:arn:([a-zA-Z-]*):lambda:[a-z0-9-]*:)?(\d{12}):function:")


def _marker(position: int) -> str:
    """An opaque pagination token (AWS's are opaque too): the position, base64-encoded."""
    return base64.urlsafe_b64encode(f"minilambda:{position}".encode()).decode()


def _marker_position(marker: str | None, count: int) -> int:
    """Where a ``Marker`` resumes a listing; a token this Cloud did not hand out is refused as AWS does."""
    if not marker:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(marker.encode()).decode().partition(":")
        position = int(number)
    except (ValueError, UnicodeError):
        kind, position = "", -1
    if kind != "minilambda" or not 0 <= position <= count:
        raise invalid_parameter(f"Invalid marker: {marker}. Pass the NextMarker of the previous page, or no Marker.")
    return position


def _qualified(req: Request) -> tuple[str, str | None]:
    """The request's function name label and its ``Qualifier`` query parameter."""
    return req.labels["FunctionName"], req.q("Qualifier")


def _named(handler: Callable[..., Response], *labels: str) -> Callable[[Request], Response]:
    """A handler taking the request's URI labels as positional arguments."""
    return lambda req: handler(req, *(req.labels[label] for label in labels))


class LambdaApi(Adapter):
    """Answers Lambda API requests for one ``LambdaBackend``."""

    service_name = "lambda"
    validates_input = True

    def __init__(self, backend: LambdaBackend) -> None:
        self.backend = backend
        self.registry = backend.registry
        self.operations = self._operations()

    def handle(self, request: Request) -> Response:
        """Refuse another account's or partition's function as AWS's IAM does, then dispatch."""
        try:
            self._check_owner(request)
        except AwsError as err:
            return self.error_response(err, request)
        return super().handle(request)

    def _check_owner(self, req: Request) -> None:
        name = req.labels.get("FunctionName")
        if name is None and req.operation == "CreateFunction":
            body = req.json() if req.body else {}
            name = body.get("FunctionName") if isinstance(body, dict) else None
        if not isinstance(name, str):
            return
        arn = _OWNER_RX.match(name)
        if arn is None:
            return
        partition, account = arn.group(1), arn.group(2)
        if (partition is None or partition == "aws") and account == self.registry.account_id:
            return
        action = "InvokeFunction" if req.operation == "Invoke" else req.operation
        shown = name if name.startswith("arn:") else f"arn:aws:lambda:{self.registry.region}:{name}"
        raise AwsError(
            "AccessDeniedException",
            f"User: arn:aws:sts::{self.registry.account_id}:assumed-role/minilambda/minilambda is not authorized "
            f"to perform: lambda:{action} on resource: {shown} because no resource-based policy allows the "
            f"lambda:{action} action", 403, message_key="Message")

    def _operations(self) -> dict[str, Callable[[Request], Response]]:
        fn = "FunctionName"
        cfg = self.backend.invoke_configs
        esm = self.backend.mappings
        perms = self.backend.permissions
        return {
            "CreateFunction": self.create_function, "ListFunctions": self.list_functions,
            "GetFunction": _named(self.get_function, fn), "DeleteFunction": _named(self.delete_function, fn),
            "GetFunctionConfiguration": _named(self.get_function_configuration, fn),
            "UpdateFunctionConfiguration": _named(self.update_function_configuration, fn),
            "UpdateFunctionCode": _named(self.update_function_code, fn), "Invoke": _named(self.invoke, fn),
            "PublishVersion": _named(self.publish_version, fn),
            "ListVersionsByFunction": _named(self.list_versions, fn),
            "CreateAlias": _named(self.create_alias, fn), "ListAliases": _named(self.list_aliases, fn),
            "GetAlias": _named(self.get_alias, fn, "Name"), "UpdateAlias": _named(self.update_alias, fn, "Name"),
            "DeleteAlias": _named(self.delete_alias, fn, "Name"),
            "PublishLayerVersion": _named(self.publish_layer_version, "LayerName"),
            "ListLayerVersions": _named(self.list_layer_versions, "LayerName"),
            "GetLayerVersion": _named(self.get_layer_version, "LayerName", "VersionNumber"),
            "GetAccountSettings": self.get_account_settings,
            "PutFunctionConcurrency": _named(self.put_function_concurrency, fn),
            "GetFunctionConcurrency": _named(self.get_function_concurrency, fn),
            "DeleteFunctionConcurrency": _named(self.delete_function_concurrency, fn),
            "PutProvisionedConcurrencyConfig": _named(self.put_provisioned, fn),
            "GetProvisionedConcurrencyConfig": _named(self.get_provisioned, fn),
            "DeleteProvisionedConcurrencyConfig": _named(self.delete_provisioned, fn),
            "PutFunctionEventInvokeConfig": lambda req: _json(cfg.put_config(*_qualified(req), req.json(), merge=False)),
            "UpdateFunctionEventInvokeConfig": lambda req: _json(cfg.put_config(*_qualified(req), req.json(), merge=True)),
            "GetFunctionEventInvokeConfig": lambda req: _json(cfg.get_config(*_qualified(req))),
            "DeleteFunctionEventInvokeConfig": self.delete_event_invoke_config,
            "ListFunctionEventInvokeConfigs": lambda req: _json(self._page(
                cfg.list_configs(*_qualified(req))["FunctionEventInvokeConfigs"], req, "FunctionEventInvokeConfigs")),
            "CreateEventSourceMapping": lambda req: _json(esm.create_mapping(req.json()), 202),
            "ListEventSourceMappings": lambda req: _json(self._page(esm.list_mappings(
                req.q("FunctionName"), req.q("EventSourceArn"))["EventSourceMappings"], req, "EventSourceMappings",
                cap=100)),
            "GetEventSourceMapping": lambda req: _json(esm.get_mapping(req.labels["UUID"])),
            "UpdateEventSourceMapping": lambda req: _json(esm.update_mapping(req.labels["UUID"], req.json()), 202),
            "DeleteEventSourceMapping": lambda req: _json(esm.delete_mapping(req.labels["UUID"]), 202),
            "AddPermission": lambda req: _json(perms.add(*_qualified(req), req.json()), 201),
            "GetPolicy": lambda req: _json(perms.get(*_qualified(req))),
            "RemovePermission": lambda req: self.remove_permission(req),
            **self._url_operations(),
        }

    def _url_operations(self) -> dict[str, Callable[[Request], Response]]:
        """Function URLs (``/2021-10-31/functions/{FunctionName}/url``): state in ``function_urls.py``."""
        urls = self.backend.function_urls
        return {
            "CreateFunctionUrlConfig": lambda req: _json(
                urls.create(*_qualified(req), req.json()).describe(modified=False), 201),
            "GetFunctionUrlConfig": lambda req: _json(urls.get(*_qualified(req)).describe()),
            "UpdateFunctionUrlConfig": lambda req: _json(urls.update(*_qualified(req), req.json()).describe()),
            "DeleteFunctionUrlConfig": self.delete_function_url_config,
            "ListFunctionUrlConfigs": lambda req: _json(self._page(
                [c.describe() for c in urls.list(req.labels["FunctionName"])], req, "FunctionUrlConfigs")),
        }

    def delete_function_url_config(self, req: Request) -> Response:
        self.backend.function_urls.delete(*_qualified(req))
        return _empty(204)

    def remove_permission(self, req: Request) -> Response:
        self.backend.permissions.remove(*_qualified(req), req.labels["StatementId"])
        return _empty(204)

    def delete_event_invoke_config(self, req: Request) -> Response:
        self.backend.invoke_configs.delete_config(*_qualified(req))
        return _empty(204)

    # -- functions ---------------------------------------------------------------------------

    def create_function(self, req: Request) -> Response:
        if len(req.body) > CREATE_REQUEST_LIMIT:
            raise too_large(f"Request must be smaller than {CREATE_REQUEST_LIMIT} bytes for the CreateFunction operation")
        v = self.backend.create_function(req.json())
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
        return Response.json(self._page(items, req, "Functions", cap=LIST_PAGE_SIZE))

    def _page(self, items: list[Any], req: Request, key: str, cap: int | None = None) -> dict[str, Any]:
        """One page of *items* as AWS pages them: an opaque ``NextMarker``, at most *cap* (or ``MaxItems``,
        default 50) per page; a marker this listing did not hand out is AWS's ``InvalidParameterValueException``."""
        start = _marker_position(req.q("Marker"), len(items))
        limit = int(req.q("MaxItems") or LIST_PAGE_SIZE)
        if cap is not None:
            limit = min(limit, cap)
        out: dict[str, Any] = {key: items[start:start + limit]}
        if start + limit < len(items):
            out["NextMarker"] = _marker(start + limit)
        return out

    def get_function(self, req: Request, name: str) -> Response:
        fn, v, q = self.registry.resolve(name, req.q("Qualifier"))
        out: dict[str, Any] = {
            "Code": {"Location": f"file://{v.code.root}", "RepositoryType": "S3"},
            "Configuration": self.registry.configuration(v, arn_qualifier=q if q and q != "$LATEST" else None),
        }
        if fn.tags:
            out["Tags"] = dict(fn.tags)
        reserved = self.backend.reserved(fn.name)
        if reserved is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
        return Response.json(out)

    def get_function_configuration(self, req: Request, name: str) -> Response:
        fn, v, q = self.registry.resolve(name, req.q("Qualifier"))
        return Response.json(self.registry.configuration(v, arn_qualifier=q if q and q != "$LATEST" else None))

    def update_function_configuration(self, req: Request, name: str) -> Response:
        v = self.backend.update_configuration(name, req.json())
        return Response.json(self.registry.configuration(v, updating=True))

    def update_function_code(self, req: Request, name: str) -> Response:
        params = req.json()
        v = self.backend.update_code(name, params)
        out = self.registry.configuration(v, updating=True)
        if params.get("Publish"):
            snap, _ = self.registry.publish(name, {})
            out = self.registry.configuration(snap)
        return Response.json(out)

    def delete_function(self, req: Request, name: str) -> Response:
        self.backend.delete_function(name, req.q("Qualifier"))
        return _empty(204)

    # -- invoke ------------------------------------------------------------------------------

    def invoke(self, req: Request, name: str) -> Response:
        invocation_type = req.headers.get("x-amz-invocation-type") or "RequestResponse"
        fn, fv, q = self.backend.resolve(name, req.q("Qualifier"), default_latest_message=True)
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
            self.backend.invoke_async(fn, q, payload, caller=req.context.get("caller", "client"))
            return _empty(202)
        if invocation_type != "RequestResponse":
            raise invalid_parameter(f"Unsupported invocation type {invocation_type!r}; use RequestResponse, Event or DryRun.")
        if len(payload) > SYNC_PAYLOAD_LIMIT:
            raise too_large(f"Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation")
        payload = parse_payload(payload)
        client_context = req.headers.get("x-amz-client-context")
        if client_context:
            try:
                base64.b64decode(client_context, validate=True)
            except ValueError:
                raise AwsError("InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object.",
                               400)
        out = self.backend.invoke(fn, q, payload, client_context=client_context,
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
        return Response.json(self._page(items, req, "Versions", cap=LIST_PAGE_SIZE))

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
        self.backend.function_urls.forget(self.registry.parse_name(name, namespaced=False)[0], alias)
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
        platform = self.backend.platform
        total = sum(f.latest.code.size + sum(v.code.size for v in f.versions.values())
                    for f in self.registry.functions.values())
        return Response.json({
            "AccountLimit": {"TotalCodeSize": TOTAL_CODE_SIZE, "CodeSizeUnzipped": UNZIPPED_LIMIT,
                             "CodeSizeZipped": ZIPPED_LIMIT, "ConcurrentExecutions": platform.account_concurrency,
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
        self.backend.put_reserved(fname, value)
        return Response.json({"ReservedConcurrentExecutions": value})

    def get_function_concurrency(self, req: Request, name: str) -> Response:
        fname = self._unqualified(name)
        reserved = self.backend.reserved(fname)
        return Response.json({} if reserved is None else {"ReservedConcurrentExecutions": reserved})

    def delete_function_concurrency(self, req: Request, name: str) -> Response:
        fname = self._unqualified(name)
        self.backend.put_reserved(fname, None)
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
        reserved = self.backend.reserved(fn.name)
        if reserved is not None and count + others > reserved:
            raise invalid_parameter("Requested Provisioned Concurrency should not be greater than the "
                                    "reservedConcurrentExecution for function")
        now = self.backend.clock.now()
        config = {"RequestedProvisionedConcurrentExecutions": count, "AvailableProvisionedConcurrentExecutions": 0,
                  "AllocatedProvisionedConcurrentExecutions": 0, "Status": "IN_PROGRESS",
                  "LastModified": lambda_timestamp(now)}
        fn.provisioned[q] = config
        answer = dict(config)
        self.backend.provision(fn, fv, q, count)
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
        self.backend.provision(fn, fv, q, 0)
        return _empty(204)

