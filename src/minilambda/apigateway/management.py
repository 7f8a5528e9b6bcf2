"""The ``apigatewaymanagementapi`` service: ``@connections`` of WebSocket APIs.

``POST|GET|DELETE /{stage}/@connections/{connectionId}`` as botocore sends them (``@`` may arrive as
``%40``): ``PostToConnection`` (raw body ≤ 128 KB → 200), ``GetConnection`` (``connectedAt``,
``identity.sourceIp/userAgent``, ``lastActiveAt``), ``DeleteConnection`` (204). A closed or unknown
connection is ``GoneException`` 410 with an empty body (as AWS; the code travels in
``x-amzn-ErrorType``, so ``client.exceptions.GoneException`` works).

Two ways in: in-process clients (``cloud.client("apigatewaymanagementapi", endpoint_url=
management_url(cloud, api_id, stage))``, AWS's ``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}``
shape) and handlers' own boto3 through the Cloud's loopback endpoint, which names this service from
its SigV4 signing name ``execute-api``: ``endpoint_url=f"http://{domainName}/{stage}"`` with the
event's ``requestContext.domainName`` (AWS: ``https://``), or no endpoint at all (``AWS_ENDPOINT_URL``).
The stage in front of ``/@connections`` is not in botocore's request URI, so a loopback request the
dispatcher could not name is named here by its method (the service has one operation per method).

Wiring: ``Cloud._wire_app_services`` builds the Cloud's ``WebSocketApis`` (``cloud.websocket_apis``) and
registers ``ManagementApi(cloud.websocket_apis)``; ``cloud.api_url(api_id, stage)`` of a WebSocket
API is ``cloud.websocket_apis.url(api_id, stage)``.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from typing import Any
from urllib.parse import unquote

from ..errors import AwsError
from ..wire.adapters import Adapter
from ..wire.messages import Request, Response
from .websocket import MESSAGE_LIMIT, WebSocketApis

_PATHS = (r"/(?P<stage>[^/@%]+)/(?:@|%40)connections/(?P<connection_id>[^/]+)",
          r"/(?:@|%40)connections/(?P<connection_id>[^/]+)")
_HOST = re.compile(r"^(?P<api>[a-z0-9]+)\.execute-api\.")
_BY_METHOD = {"POST": "PostToConnection", "GET": "GetConnection", "DELETE": "DeleteConnection"}


def _iso(epoch: float) -> str:
    """ISO 8601 in UTC with milliseconds, as the ``@connections`` API writes timestamps."""
    t = _dt.datetime.fromtimestamp(epoch, tz=_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class ManagementApi(Adapter):
    """Wire adapter for ``@connections``: parses the request, asks ``WebSocketApis``, answers as AWS."""

    service_name = "apigatewaymanagementapi"

    def __init__(self, apis: WebSocketApis) -> None:
        self.apis = apis
        self.operations = {"PostToConnection": self._routed(self.post_to_connection),
                           "GetConnection": self._routed(self.get_connection),
                           "DeleteConnection": self._routed(self.delete_connection)}

    def handle(self, request: Request) -> Response:
        if request.operation is None:  # a stage in front of /@connections (see the module docstring)
            request.operation = _BY_METHOD.get(request.method)
        return super().handle(request)

    @staticmethod
    def _routed(handler: Any) -> Any:
        """A handler taking ``(request, connection_id, stage)`` read from the path."""
        def call(req: Request) -> Response:
            path = req.raw_path or req.path
            for pattern in _PATHS:
                m = re.fullmatch(pattern, path)
                if m:
                    return handler(req, unquote(m.group("connection_id")), m.groupdict().get("stage"))
            raise AwsError("NotFoundException", f"No connection path in {path}", 404, error_type=None)
        return call

    def _connection(self, req: Request, stage: str | None, connection_id: str) -> Any:
        host = _HOST.match(req.headers.get("host", ""))
        return self.apis.live(connection_id, host.group("api") if host else None, stage)

    def post_to_connection(self, req: Request, connection_id: str, stage: str | None = None) -> Response:
        if len(req.body) > MESSAGE_LIMIT:
            raise AwsError("PayloadTooLargeException", f"Message too long. Max size: {MESSAGE_LIMIT} bytes.",
                           413, error_type=None)
        conn = self._connection(req, stage, connection_id)
        try:
            data: str | bytes = req.body.decode("utf-8")
        except UnicodeDecodeError:
            data = req.body  # not UTF-8 text: sent as a binary frame
        self.apis.send(conn, data)
        return Response(200, {"Content-Type": "application/json"}, b"")

    def get_connection(self, req: Request, connection_id: str, stage: str | None = None) -> Response:
        conn = self._connection(req, stage, connection_id)
        body = {"connectedAt": _iso(conn.connected_at),
                "identity": {"sourceIp": conn.context.source_ip, "userAgent": conn.user_agent},
                "lastActiveAt": _iso(conn.last_active_at)}
        return Response(200, {"Content-Type": "application/json"}, json.dumps(body).encode())

    def delete_connection(self, req: Request, connection_id: str, stage: str | None = None) -> Response:
        conn = self._connection(req, stage, connection_id)
        self.apis.close_connection(conn, 1000, "")
        return Response(204, {}, b"")

    def error_response(self, err: AwsError, request: Request) -> Response:
        """410 has an empty body on AWS; the others carry ``{"message": …}``."""
        headers = {"x-amzn-ErrorType": err.code, "Content-Type": "application/json"}
        body = b"" if err.status == 410 else json.dumps({"message": err.message}).encode()
        return Response(err.status, headers, body)

    def close(self) -> None:
        self.apis.close()


def websocket_url(cloud: Any, api_id: str, stage: str) -> str:
    """``ws://127.0.0.1:PORT/{stage}``: a WebSocket API stage's working URL (what ``cloud.api_url`` returns)."""
    return cloud.websocket_apis.url(api_id, stage)


def management_url(cloud: Any, api_id: str, stage: str) -> str:
    """The ``endpoint_url`` for ``cloud.client("apigatewaymanagementapi", endpoint_url=…)``."""
    return cloud.websocket_apis.management_url(api_id, stage)
