"""Adapter base classes: one table from operation name to handler, and AWS's error shape per protocol.

An adapter receives one ``Request`` whose ``operation`` the wire layer has named (and, for rest
protocols, whose URI ``labels`` it has extracted) and returns one ``Response``. It decides
nothing: it parses, calls its backend, and answers in AWS's shapes.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Iterable, Mapping

from ..errors import AwsError
from .messages import Request, Response
from .validation import Rules
from .xml import xml_map, xml_value

Handler = Callable[[Request], Response]
_log = logging.getLogger("minilambda.wire")


class Adapter:
    """Dispatch by operation name through ``self.operations``; AWS errors become wire errors."""

    service_name = "service"
    operations: Mapping[str, Handler]
    validates_input = False  # True: the dispatcher checks the model's constraints first (AWS's front end)
    validation_rules = Rules()  # the service's error code and message form for those checks

    def handle(self, request: Request) -> Response:
        try:
            handler = self.operations.get(request.operation or "")
            if handler is None:
                raise self.unknown_operation(request)
            return handler(request)
        except AwsError as err:
            return self.error_response(err, request)
        except Exception as exc:  # a bug of ours: the caller gets AWS's 500, never a traceback; the log has it
            _log.exception("%s %s failed", self.service_name, request.operation)
            err = AwsError("ServiceException", f"minilambda could not handle {request.operation}: {exc!r}", 500)
            return self.error_response(err, request)

    def unknown_operation(self, request: Request) -> AwsError:
        what = request.operation or f"{request.method} {request.path}"
        return AwsError("UnknownOperationException", f"Unknown operation {what}", 404, error_type=None)

    def error_response(self, err: AwsError, request: Request) -> Response:
        """AWS's JSON error answer (rest-json)."""
        headers = {"x-amzn-ErrorType": err.code, "Content-Type": "application/json"}
        headers.update(err.headers)
        return Response(err.status, headers, json.dumps(err.body()).encode())


class JsonAdapter(Adapter):
    """AWS's ``json`` protocol: each operation is a backend method taking and returning a dict."""

    content_type = "application/x-amz-json-1.1"

    def __init__(self, backend: Any, operation_names: Iterable[str]) -> None:
        self.backend = backend
        self.operations = {name: self._json_handler(getattr(backend, name)) for name in operation_names}

    def _json_handler(self, method: Callable[[dict[str, Any]], Any]) -> Handler:
        def handler(request: Request) -> Response:
            result = method(request.json() if request.body else {})
            return Response(200, {"Content-Type": self.content_type},
                            json.dumps(result if result is not None else {}).encode())
        return handler

    def unknown_operation(self, request: Request) -> AwsError:
        return AwsError("UnknownOperationException", f"Unknown operation {request.operation!r}", 400,
                        error_type=None)

    def error_response(self, err: AwsError, request: Request) -> Response:
        body = {"__type": err.code, "message": err.message}
        body.update(err.extra)
        headers = {"x-amzn-ErrorType": err.code, "Content-Type": self.content_type}
        headers.update(err.headers)
        return Response(err.status, headers, json.dumps(body).encode())


class QueryAdapter(Adapter):
    """AWS's ``query`` protocol: the ``Action`` names a backend method taking the form parameters and
    returning a dict (or None), written as ``<ActionResponse><ActionResult>…`` XML; maps named in
    ``xml_maps`` are written as entry/key/value lists."""

    namespace = ""
    xml_maps: tuple[str, ...] = ("Attributes",)

    def __init__(self, backend: Any, operation_names: Iterable[str], request_id: Callable[[], str]) -> None:
        self.backend = backend
        self.request_id = request_id
        self.operations = {name: self._query_handler(name, getattr(backend, name)) for name in operation_names}

    def _query_handler(self, action: str, method: Callable[[dict[str, str]], Any]) -> Handler:
        def handler(request: Request) -> Response:
            return self._ok(action, method(request.form()))
        return handler

    def _render(self, result: Mapping[str, Any]) -> str:
        return "".join(xml_map(k, v) if k in self.xml_maps else xml_value(k, v) for k, v in result.items())

    def _ok(self, action: str, result: Mapping[str, Any] | None) -> Response:
        return query_ok(action, self.namespace, self._render(result) if result is not None else None,
                        self.request_id())

    def error_response(self, err: AwsError, request: Request) -> Response:
        return query_error(err, self.namespace, self.request_id())


def query_ok(action: str, namespace: str, result_xml: str | None, request_id: str) -> Response:
    """AWS's query-protocol answer: ``<ActionResponse>``, its ``<ActionResult>`` (unless None), the RequestId."""
    inner = f"<{action}Result>{result_xml}</{action}Result>" if result_xml is not None else ""
    body = (f'<{action}Response xmlns="{namespace}">{inner}<ResponseMetadata><RequestId>'
            f"{request_id}</RequestId></ResponseMetadata></{action}Response>")
    return Response(200, {"Content-Type": "text/xml"}, body.encode())


def query_error(err: AwsError, namespace: str, request_id: str) -> Response:
    """AWS's query-protocol error: ``<ErrorResponse>`` with Sender/Receiver, Code, Message and RequestId."""
    kind = "Receiver" if err.status >= 500 else "Sender"
    body = (f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type>{xml_value("Code", err.code)}'
            f'{xml_value("Message", err.message)}</Error><RequestId>{request_id}</RequestId>'
            "</ErrorResponse>")
    return Response(err.status, {"Content-Type": "text/xml"}, body.encode())
