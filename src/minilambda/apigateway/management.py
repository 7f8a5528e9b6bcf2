"""The ``apigatewaymanagementapi`` service: ``@connections`` of WebSocket APIs.

``POST|GET|DELETE /{stage}/@connections/{connectionId}`` as botocore sends them (``@`` may arrive as
``%40``): ``PostToConnection`` (raw body ≤ 128 KB → 200), ``GetConnection`` (``connectedAt``,
``identity.sourceIp/userAgent``, ``lastActiveAt``), ``DeleteConnection`` (204). A closed or unknown
connection is ``GoneException`` 410 with an empty body (as AWS; the code travels in
``x-amzn-ErrorType``, so ``client.exceptions.GoneException`` works).

Two ways in: in-process clients (``cloud.client("apigatewaymanagementapi", endpoint_url=
management_url(cloud, api_id, stage))``, AWS's ``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}``
shape) and handlers' own boto3 through the Cloud's Gateway, which names this service by its SigV4
signing name ``execute-api``: ``endpoint_url=f"http://{domainName}/{stage}"`` with the event's
``requestContext.domainName`` (AWS: ``https://``), or no endpoint at all (``AWS_ENDPOINT_URL``).

Wiring: ``install(cloud)`` (idempotent) gives a Cloud its ``WebSocketApis`` as ``cloud.websocket_apis``
and registers this service; the API Gateway package's ``install`` should call it, and
``cloud.api_url(api_id, stage)`` of a WebSocket API is ``cloud.websocket_apis.url(api_id, stage)``
(``websocket_url(cloud, api_id, stage)`` does both meanwhile).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from typing import Any

from ..errors import AwsError, UnknownServiceError
from ..service import Request, Response, Service
from .websocket import MESSAGE_LIMIT, WebSocketApis

_PATHS = (r"/(?P<stage>[^/@%]+)/(?:@|%40)connections/(?P<connection_id>[^/]+)",
          r"/(?:@|%40)connections/(?P<connection_id>[^/]+)")
_HOST = re.compile(r"^(?P<api>[a-z0-9]+)\.execute-api\.")
SERVICE_NAMES = ("apigatewaymanagementapi", "execute-api")


def _iso(epoch: float) -> str:
    """ISO 8601 in UTC with milliseconds, as the ``@connections`` API writes timestamps."""
    t = _dt.datetime.fromtimestamp(epoch, tz=_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class ManagementService(Service):
    """Wire adapter for ``@connections``: parses the request, asks ``WebSocketApis``, answers as AWS."""

    name = "apigatewaymanagementapi"

    def __init__(self, apis: WebSocketApis) -> None:
        super().__init__()
        self.apis = apis
        for path in _PATHS:
            self.route("POST", path, self.post_to_connection)
            self.route("GET", path, self.get_connection)
            self.route("DELETE", path, self.delete_connection)

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

    def error_response(self, err: AwsError) -> Response:
        """410 has an empty body on AWS; the others carry ``{"message": …}``."""
        headers = {"x-amzn-ErrorType": err.code, "Content-Type": "application/json"}
        body = b"" if err.status == 410 else json.dumps({"message": err.message}).encode()
        return Response(err.status, headers, body)

    def close(self) -> None:
        self.apis.close()


def install(cloud: Any) -> WebSocketApis:
    """Give *cloud* WebSocket APIs and ``@connections`` (idempotent); returns its ``WebSocketApis``.

    Registers the service as ``apigatewaymanagementapi`` (in-process clients) and, unless taken,
    as ``execute-api`` (its SigV4 name, how the Gateway tells handlers' calls apart), and sets
    ``cloud.websocket_apis`` (``.endpoint(api_id)`` is ``ApiEndpoint``; ``.url(api_id, stage)`` is what
    ``cloud.api_url`` returns for a WebSocket API).
    """
    try:
        return cloud.service("apigatewaymanagementapi").apis
    except UnknownServiceError:
        pass
    service = ManagementService(WebSocketApis(cloud))
    cloud.add_service("apigatewaymanagementapi", service)
    cloud.websocket_apis = service.apis  # what the control plane asks for a WebSocket API's ApiEndpoint
    try:
        cloud.service("execute-api")
    except UnknownServiceError:
        cloud.add_service("execute-api", service)
    return service.apis


def websocket_url(cloud: Any, api_id: str, stage: str) -> str:
    """``ws://127.0.0.1:PORT/{stage}``: a WebSocket API stage's working URL (what ``cloud.api_url`` returns)."""
    return install(cloud).url(api_id, stage)


def management_url(cloud: Any, api_id: str, stage: str) -> str:
    """The ``endpoint_url`` for ``cloud.client("apigatewaymanagementapi", endpoint_url=…)``."""
    return install(cloud).management_url(api_id, stage)
