"""Serve a botocore service from moto, with a private moto backend per Cloud.

moto keeps its state in process-global ``BackendDict``s (``dynamodb_backends[account][region]``)
that its response classes, and some of its models, read by module-global name. ``MotoBackends``
gives one Cloud its own copies: it derives, per Cloud, subclasses of moto's response and backend
classes whose functions are rebound to module globals in which every ``BackendDict`` is replaced
by a private one (``_PrivateBackendDict``: never registered in moto's global list of instances).
Requests are dispatched with moto's own url maps and ``dispatch`` methods; ``mock_aws`` is never
used and moto's global registries never hold a Cloud's data, so two Clouds in one process do not
share tables, pools or APIs, and ``close()`` drops everything.

Usage (what ``Cloud._wire_services`` does)::

    service = MotoService(cloud.moto, "dynamodb")        # an Adapter answered by moto
    cloud.dispatcher.register("dynamodb", service)       # the one dispatch names its operations
    table_backend = service.backend()                    # moto's DynamoDBBackend for the Cloud's region

Known limits: moto's code that imports a backend dict *inside* a function body (CloudFormation
hooks, DynamoDB's KMS and S3 import/export) still reaches moto's global dicts; the bridge's own
CloudFormation engine must not call those hooks. moto's request setup also marks the account as
"visited" in moto's global IAM backend (no Cloud data is stored there).
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
import threading
import types
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlencode

from ..errors import AwsError
from ..wire.adapters import Adapter
from ..wire.messages import Request, Response
from ..wire.session import isolated_botocore_session
from ..wire.validation import Rules

_MOTO_MODULES = {"lambda": "awslambda", "cognito-idp": "cognitoidp", "apigatewayv2": "apigatewayv2",
                 "dynamodbstreams": "dynamodbstreams", "events": "events", "logs": "logs"}
# The code each service answers input it cannot process with (botocore's models and the services'
# API references: DynamoDB ValidationException, Cognito InvalidParameterException, API Gateway
# BadRequestException); a moto crash on such input gets it, with the cause in the message.
BAD_INPUT_CODES = {"dynamodb": "ValidationException", "dynamodbstreams": "ValidationException",
                   "cognito-idp": "InvalidParameterException", "apigateway": "BadRequestException",
                   "apigatewayv2": "BadRequestException", "apigatewaymanagementapi": "BadRequestException"}
_log = logging.getLogger("minilambda.moto")
_UNIMPLEMENTED = re.compile(r"The \w+ action has not been implemented")


def moto_module_name(service_name: str) -> str:
    """The moto package implementing a botocore service (``"cognito-idp"`` → ``"cognitoidp"``)."""
    return _MOTO_MODULES.get(service_name, service_name.replace("-", ""))


def _private_backend_dict_class() -> type:
    """Create the BackendDict subclass lazily, so importing this module does not import moto."""
    from moto.core.base_backend import AccountSpecificBackend, BackendDict

    class _PrivateBackendDict(BackendDict):
        """A BackendDict that moto's global ``BackendDict._instances`` (and ``reset``) never sees."""

        def _create_account_specific_backend(self, account_id: str) -> None:
            with self._private_lock:
                if not dict.__contains__(self, account_id):
                    dict.__setitem__(self, account_id, AccountSpecificBackend(
                        service_name=self.service_name, account_id=account_id, backend=self.backend,
                        use_boto3_regions=self._use_boto3_regions,
                        additional_regions=self._additional_regions))

    return _PrivateBackendDict


@dataclass(frozen=True)
class _UrlRoute:
    """One entry of a moto url map: a compiled path pattern and the handler it dispatches to."""

    pattern: re.Pattern[str]
    handler: Callable[..., Any]


class MotoBackends:
    """One Cloud's private moto state: private BackendDicts and the rebound classes that use them."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self._lock = threading.RLock()
        self._dicts: dict[int, Any] = {}        # id(global BackendDict) -> private copy
        self._globals: dict[int, dict[str, Any]] = {}  # id(module globals) -> rebound globals
        self._classes: dict[type, type] = {}
        self._routes: dict[str, list[_UrlRoute]] = {}
        self._closed = False

    # -- private state --------------------------------------------------------------------

    def private(self, global_dict: Any) -> Any:
        """This Cloud's copy of one of moto's global ``BackendDict``s."""
        with self._lock:
            found = self._dicts.get(id(global_dict))
            if found is not None:
                return found
            private = _private_backend_dict_class()(
                global_dict.backend, global_dict.service_name, global_dict._use_boto3_regions,
                global_dict._additional_regions)
            private._private_lock = threading.RLock()
            self._dicts[id(global_dict)] = private  # before rebinding: models refer to each other
            private.backend = self.rebound_class(global_dict.backend)
            return private

    def backend(self, service_name: str, region: str | None = None) -> Any:
        """moto's backend object of *service_name* for this Cloud (``backend("dynamodb").tables``)."""
        module = importlib.import_module(f"moto.{moto_module_name(service_name)}.models")
        dicts = [v for v in vars(module).values() if _is_backend_dict(v)
                 and v.backend.__module__.startswith(module.__name__)]
        if not dicts:
            raise LookupError(f"moto has no backend for {service_name!r}")
        return self.private(dicts[0])[self.account_id][region or self.region]

    def rebound_class(self, cls: type) -> type:
        """A subclass of moto class *cls* whose methods read this Cloud's private backends."""
        with self._lock:
            found = self._classes.get(cls)
            if found is not None:
                return found
            namespace: dict[str, Any] = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
            seen: set[str] = set()
            for klass in cls.__mro__:
                if klass.__module__.split(".")[0] != "moto" or klass.__name__ in ("BaseResponse", "BaseBackend"):
                    continue
                for name, attr in vars(klass).items():
                    if name in seen or name.startswith("__"):
                        continue
                    seen.add(name)
                    rebound = self._rebind_attr(attr)
                    if rebound is not attr:
                        namespace[name] = rebound
            account = self.account_id
            if hasattr(cls, "get_current_account"):
                namespace["get_current_account"] = lambda _self: account
            sub = type(cls.__name__, (cls,), namespace)
            self._classes[cls] = sub
            return sub

    def _rebind_attr(self, attr: Any) -> Any:
        if isinstance(attr, property):
            parts = [self._rebind_function(f) if f else None for f in (attr.fget, attr.fset, attr.fdel)]
            return attr if parts == [attr.fget, attr.fset, attr.fdel] else property(*parts, attr.__doc__)
        if isinstance(attr, (classmethod, staticmethod)):
            func = self._rebind_function(attr.__func__)
            return attr if func is attr.__func__ else type(attr)(func)
        if isinstance(attr, functools.cached_property):
            func = self._rebind_function(attr.func)
            if func is attr.func:
                return attr
            new = functools.cached_property(func)
            new.attrname = attr.attrname
            return new
        if isinstance(attr, types.FunctionType):
            return self._rebind_function(attr)
        return attr

    def _rebind_function(self, func: Any, depth: int = 0) -> Any:
        """*func* with its module globals (and decorated inner functions') made private."""
        if not isinstance(func, types.FunctionType) or depth > 3:
            return func
        new_globals = self._globals_for(func.__globals__)
        closure = func.__closure__
        if closure:
            cells = [types.CellType(self._rebind_function(c.cell_contents, depth + 1)
                                    if _cell_has_function(c) else c.cell_contents)
                     if _cell_filled(c) else c for c in closure]
            changed = any(a is not b for a, b in zip(cells, closure))
            closure = tuple(cells) if changed else closure
        if new_globals is func.__globals__ and closure is func.__closure__:
            return func
        new = types.FunctionType(func.__code__, new_globals, func.__name__, func.__defaults__, closure)
        new.__kwdefaults__ = func.__kwdefaults__
        new.__dict__.update(func.__dict__)
        new.__qualname__ = func.__qualname__
        new.__doc__ = func.__doc__
        new.__module__ = func.__module__
        return new

    def _globals_for(self, module_globals: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            found = self._globals.get(id(module_globals))
            if found is not None:
                return found
            names = [k for k, v in module_globals.items() if _is_backend_dict(v)]
            if not names:
                self._globals[id(module_globals)] = module_globals
                return module_globals
            rebound = dict(module_globals)
            self._globals[id(module_globals)] = rebound
            for name in names:
                rebound[name] = self.private(module_globals[name])
            module = module_globals.get("__name__")
            for name, value in module_globals.items():  # model classes that read a backend dict
                if isinstance(value, type) and value.__module__ == module and _reads_any(value, names):
                    rebound[name] = self.rebound_class(value)
            return rebound

    # -- dispatch -------------------------------------------------------------------------

    def routes(self, service_name: str) -> list[_UrlRoute]:
        """moto's url map of a service, with handlers taken from this Cloud's rebound classes."""
        with self._lock:
            found = self._routes.get(service_name)
            if found is not None:
                return found
            urls = importlib.import_module(f"moto.{moto_module_name(service_name)}.urls")
            routes = []
            for base in urls.url_bases:
                for path, handler in urls.url_paths.items():
                    routes.append(_UrlRoute(re.compile(path.format(base)), self._rebound_handler(handler)))
            self._routes[service_name] = routes
            return routes

    def _rebound_handler(self, handler: Any) -> Callable[..., Any]:
        owner = getattr(handler, "__self__", None)
        if isinstance(owner, type):  # a classmethod such as APIGatewayResponse.dispatch
            return getattr(self.rebound_class(owner), handler.__name__)
        qualname = getattr(handler, "__qualname__", "")
        if "." in qualname and isinstance(handler, types.FunctionType):  # a static helper on a class
            return self._rebind_function(handler)
        return handler

    def handle(self, service_name: str, url: str, request: Request) -> Response:
        """Answer one wire request with moto's implementation of *service_name*."""
        from moto.core.exceptions import HTTPException
        from moto.core.request import Request as MotoRequest

        if self._closed:
            return Response.json({"message": "this Cloud is closed"}, 400, {"x-amzn-ErrorType": "ServiceException"})
        clean = url.split("?", 1)[0]
        for route in self.routes(service_name):
            if route.pattern.match(clean):
                break
        else:
            return Response.json({"message": f"moto does not implement {request.method} {request.path}"}, 404,
                                 {"x-amzn-ErrorType": "UnknownOperationException"})
        try:
            moto_request = MotoRequest.from_primitives(request.method, url, dict(request.headers), request.body)
        except ValueError as exc:  # e.g. a header value with a line break: no HTTP request can carry it
            return _bad_input(service_name, f"Malformed request: {exc}")
        try:
            status, headers, body = route.handler(moto_request, moto_request.raw_url, moto_request.headers)
        except HTTPException as exc:
            status, headers, body = exc.code, dict(exc.get_headers()), exc.get_body()
        except NotImplementedError as exc:
            return _not_implemented(service_name, exc)
        except Exception as exc:  # noqa: BLE001 - a moto crash on odd input: AWS's error shape, with the cause
            _log.info("moto could not process %s %s", service_name, request.operation, exc_info=True)
            return _bad_input(service_name, _crash_message(exc))
        if isinstance(body, str):
            body = body.encode()
        clean_headers = {str(k): str(v) for k, v in dict(headers).items() if k != "status"}
        return Response(int(status), clean_headers, body or b"")

    def close(self) -> None:
        """Drop every private backend (their tables, pools, APIs…)."""
        with self._lock:
            self._closed = True
            for private in self._dicts.values():
                dict.clear(private)
            self._dicts.clear()
            self._globals.clear()
            self._classes.clear()
            self._routes.clear()


def _error(code: str, message: str, status: int) -> Response:
    """An error in the shape every JSON protocol reads (``__type`` for json, the header for rest-json)."""
    return Response.json({"__type": code, "message": message}, status, {"x-amzn-ErrorType": code})


def _crash_message(exc: Exception) -> str:
    """What to fix, as far as moto's exception tells: the member it missed, or the exception itself."""
    if isinstance(exc, KeyError) and exc.args:
        return (f"minilambda (moto) could not process this request: a member it needs is missing or misplaced "
                f"({exc.args[0]!r})")
    return f"minilambda (moto) could not process this request: {exc!r}"


def json_error_response(err: AwsError) -> Response:
    """An ``AwsError`` as the json and rest-json protocols both read it (``__type`` and the header)."""
    response = _error(err.code, err.message, err.status)
    response.headers.update(err.headers)
    return response


def _bad_input(service_name: str, message: str) -> Response:
    """The service's own 400 for input moto could not process."""
    return _error(BAD_INPUT_CODES.get(service_name, "BadRequestException"), message, 400)


def _not_implemented(service_name: str, exc: NotImplementedError) -> Response:
    """What moto lacks is ours to say (501, never hidden as the caller's fault): an operation, or a
    feature a request uses (an expression function, a patch path)."""
    if _UNIMPLEMENTED.fullmatch(str(exc)):
        return _error("NotImplementedException", f"minilambda (moto): {exc}", 501)
    return _error("NotImplementedException", f"minilambda (moto) does not support this request: {exc}", 501)


def implemented_operations(service_name: str) -> frozenset[str]:
    """The operations of botocore's model that moto implements (a method on its response class, which
    moto's ``call_action`` looks up by the operation's snake_case name)."""
    from moto.core.utils import camelcase_to_underscores, method_names_from_class

    package = f"moto.{moto_module_name(service_name)}."
    urls = importlib.import_module(package + "urls")
    owners = {getattr(h, "__self__", None) for h in urls.url_paths.values()}
    methods: set[str] = set()
    for owner in owners:  # moto's apigateway url map also routes apigatewayv2's class: not this model's
        if isinstance(owner, type) and owner.__module__.startswith(package):
            methods.update(method_names_from_class(owner))
    return frozenset(name for name in service_model(service_name).operation_names
                     if camelcase_to_underscores(name) in methods)


def _is_backend_dict(value: Any) -> bool:
    cls = type(value)
    return any(k.__name__ == "BackendDict" and k.__module__ == "moto.core.base_backend" for k in cls.__mro__)


def _reads_any(cls: type, names: list[str]) -> bool:
    """Whether a function defined on *cls* itself names one of the module globals *names*."""
    wanted = set(names)
    for attr in vars(cls).values():
        funcs = [attr.fget, attr.fset] if isinstance(attr, property) else [getattr(attr, "__func__", attr)]
        for func in funcs:
            code = getattr(func, "__code__", None)
            if code is not None and wanted & _names_in(code):
                return True
    return False


def _names_in(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names_in(const)
    return names


def _cell_filled(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _cell_has_function(cell: Any) -> bool:
    return isinstance(cell.cell_contents, types.FunctionType)


class MotoService(Adapter):
    """An adapter answered by moto with private state: every operation of the botocore model that moto
    implements is forwarded to moto's url map (the Dispatcher has named it). The model's other
    operations answer ``NotImplementedException`` (501); names outside the model are unknown (404).
    The dispatcher checks each input against the model first (``validation_rules``: the service's code).

    ``host`` is the AWS endpoint host moto's url maps expect (from botocore's service model), so
    requests arriving from in-process clients or the loopback endpoint are routed alike.
    """

    validates_input = True

    def __init__(self, backends: MotoBackends, service_name: str) -> None:
        self.backends = backends
        self.service_name = service_name
        self.validation_rules = validation_rules(service_name)

    @functools.cached_property
    def operations(self) -> dict[str, Callable[[Request], Response]]:  # type: ignore[override]
        """The operations moto implements, forwarded (built on first use: a Cloud starts fast)."""
        return {name: self.forward for name in implemented_operations(self.service_name)}

    @functools.cached_property
    def host(self) -> str:
        return f"{service_model(self.service_name).endpoint_prefix}.{self.backends.region}.amazonaws.com"

    def url(self, request: Request) -> str:
        """The AWS URL of *request* (path as sent, query re-encoded)."""
        query = urlencode([(k, v) for k, values in request.query.items() for v in values])
        path = request.raw_path or request.path
        return f"https://{self.host}{path}" + (f"?{query}" if query else "")

    def forward(self, request: Request) -> Response:
        """moto's answer to one request."""
        return self.backends.handle(self.service_name, self.url(request), request)

    def unknown_operation(self, request: Request) -> AwsError:
        return unserved_operation(self.service_name, request)

    def error_response(self, err: AwsError, request: Request) -> Response:
        return json_error_response(err)

    def backend(self, region: str | None = None) -> Any:
        """moto's backend object holding this Cloud's state for the service."""
        return self.backends.backend(self.service_name, region)


def unserved_operation(service_name: str, request: Request) -> AwsError:
    """501 for an operation of the model moto lacks (said, not hidden); 404 for any other name."""
    what = request.operation or f"{request.method} {request.path}"
    if request.operation in service_model(service_name).operation_names:
        return AwsError("NotImplementedException", f"minilambda (moto) does not implement {service_name} {what}",
                        501, error_type=None)
    return AwsError("UnknownOperationException", f"{service_name} has no operation {what}", 404, error_type=None)


def validation_rules(service_name: str) -> Rules:
    """How *service_name*'s front end answers input that breaks its model's constraints: DynamoDB
    ``ValidationException``, Cognito ``InvalidParameterException``, API Gateway REST
    ``ValidationException`` at ``<operation>Input.member``, HTTP/WebSocket APIs ``BadRequestException``."""
    code = {"cognito-idp": "InvalidParameterException", "apigatewayv2": "BadRequestException",
            "apigatewaymanagementapi": "BadRequestException"}.get(service_name, "ValidationException")
    return Rules(code=code, enums=True, input_prefix=service_name == "apigateway",
                 type_code=BAD_INPUT_CODES.get(service_name, code))


@functools.lru_cache(maxsize=None)
def service_model(service_name: str) -> Any:
    """botocore's (immutable) service model, loaded once per process."""
    return isolated_botocore_session().get_service_model(service_name)
