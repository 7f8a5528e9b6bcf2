"""One WebSocket API's loopback server (``websockets``): ``$connect``, routes, ``$disconnect``.

As on AWS (aws-facts-2 §5):

* the upgrade request waits for ``$connect``: its authorization (a Lambda REQUEST authorizer with
  identity sources from headers, query string or stage variables — missing → 401 without invoking
  it, deny → 403, invoked on every connect: AWS caches authorizer results for HTTP APIs only —
  or ``AWS_IAM``, a SigV4-signed upgrade), its API key if required (usage plans:
  403, 429), then its integration, whose non-2xx ``statusCode`` refuses the connection with that
  status; the account's 500 new connections per second (429);
* each message is routed by the API's ``RouteSelectionExpression`` (``$default`` takes non-JSON
  messages and unmatched keys); no route → a ``Forbidden`` frame, an integration failure → an
  ``Internal server error`` frame, stage throttling → ``Too Many Requests``; the socket stays open;
  on a two-way route (one with a route response) the integration's ``body`` is sent back;
  non-proxy ``AWS`` (Lambda) and ``MOCK`` integrations go through request templates and integration
  responses (``websocket_mapping.py``); a one-way route never answers;
* ``$disconnect`` runs after the close, best effort, with the close status and reason;
* 128 KB messages and 32 KB frames at most (bigger → close 1009, by ``websockets``' own limits).

The API's configuration comes from the data plane's cached view of the control plane
(``cloud.apigateway.config``), so whatever ``apigatewayv2`` stores is what is served; Lambda runs
through ``ports.invoke_lambda_integration``; every ``$connect``, message and ``$disconnect`` leaves an
``ApiRequest`` record (``api_type="WEBSOCKET"``) in ``cloud.api_requests`` and, when the stage has
``AccessLogSettings``, an access log line in CloudWatch Logs.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, unquote

from websockets.datastructures import Headers as WsHeaders
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.http11 import Response as WsResponse
from websockets.sync.server import Server, ServerConnection, serve

from ..errors import AwsError
from . import websocket_events as ev
from . import websocket_mapping as mapping
from .policy import AuthorizerConfig, AuthorizerUnavailable, AuthRequest, authorize
from .throttling import THROTTLED_BODY, ThrottleSettings
from .websocket import DEFAULT_TIMEOUT_MS, FRAME_LIMIT, MESSAGE_LIMIT, ApiView, Connection, WebSocketApis

_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def _json_response(status: int, body: bytes) -> WsResponse:
    headers = WsHeaders([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return WsResponse(status, _REASONS.get(status, "Error"), headers, body)


def _message_body(payload: bytes) -> str | None:
    """What a two-way route sends back: the proxy result's ``body`` (or the raw result)."""
    try:
        result = json.loads(payload) if payload else None
    except ValueError:
        return payload.decode("utf-8", "replace")
    if isinstance(result, dict) and "statusCode" in result:
        body = result.get("body")
        return None if body is None else str(body)
    if result is None:
        return None
    return result if isinstance(result, str) else json.dumps(result)


_SERVER_ERROR = b'{"message": "Internal server error"}'
_FAILED = {"function_error": (502, _SERVER_ERROR), "timeout": (504, b'{"message": "Endpoint request timed out"}'),
           "throttled": (429, THROTTLED_BODY.encode())}


def connect_status(result: Any) -> tuple[int, bytes]:
    """The handshake status a ``$connect`` integration result gives, and the refusal body.

    Failures map as on REST proxy integrations (aws-facts-2 §7.3; **unverified** for WebSocket):
    function error or malformed result 502, timeout 504, throttled 429, configuration errors
    (permission, missing function) 500. A result without ``statusCode`` (e.g. ``None``) accepts.
    """
    if not result.ok:
        return _FAILED.get(result.outcome, (500, _SERVER_ERROR))
    try:
        out = json.loads(result.payload) if result.payload else None
    except ValueError:
        return 502, _SERVER_ERROR
    if not isinstance(out, dict) or "statusCode" not in out:
        return 200, b""
    try:
        status = int(out["statusCode"])
    except (TypeError, ValueError):
        return 502, _SERVER_ERROR
    body = out.get("body")
    return status, (body if isinstance(body, str) else json.dumps(body) if body is not None else "").encode()


def chosen_subprotocol(result: Any) -> str | None:
    """The ``Sec-WebSocket-Protocol`` header a ``$connect`` proxy result returns (how AWS lets the
    backend pick one of the client's subprotocols), or None."""
    try:
        out = json.loads(result.payload) if result is not None and result.ok and result.payload else None
    except ValueError:
        return None
    headers = out.get("headers") if isinstance(out, dict) else None
    if not isinstance(headers, dict):
        return None
    return next((str(v) for k, v in headers.items() if k.lower() == "sec-websocket-protocol"), None)


class ApiServer:
    """One WebSocket API's loopback server: handshakes run ``$connect``, messages run routes."""

    def __init__(self, apis: WebSocketApis, api_id: str) -> None:
        self.apis = apis
        self.cloud = apis.cloud
        self.api_id = api_id
        self._pending: dict[ServerConnection, Connection] = {}
        self._server: Server = serve(self._serve, "127.0.0.1", 0, process_request=self._handshake,
                                     process_response=self._answer, compression=None, ping_interval=None,
                                     server_header=None,
                                     max_size=(MESSAGE_LIMIT, FRAME_LIMIT), open_timeout=60)
        host, port = self._server.socket.getsockname()[:2]
        self.base_url = f"ws://{host}:{port}"  # the API's ApiEndpoint
        # Connection threads inherit this thread's daemon flag: an open socket never holds up exit.
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"apigw-ws-{api_id}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()

    # -- $connect ---------------------------------------------------------------------------

    def _handshake(self, ws: ServerConnection, request: Any) -> WsResponse | None:
        """Run ``$connect`` while the upgrade waits; a response refuses the connection."""
        try:
            ws.protocol.process_request(request)  # websockets' own checks of the upgrade, no side effects
        except InvalidHandshake:
            return None  # not a WebSocket upgrade: websockets answers it (400, 405, 426); no $connect
        path, _, raw_query = request.path.partition("?")
        stage = unquote(path.strip("/"))
        view = self.apis.view(self.api_id)
        stage_config = view.stage(stage) if stage and "/" not in stage else None
        if stage_config is None:
            return _json_response(403, b'{"message":"Forbidden"}')
        start = self.cloud.clock.now()
        context = ev.EventContext(self.api_id, stage, ev.new_id(self.cloud.rng), int(start * 1000),
                                  self.apis.domain_name(), str(ws.remote_address[0]),
                                  stage_variables=dict(stage_config.get("StageVariables") or {}))
        conn = Connection(context, request.headers.get("User-Agent", ""), start, start)
        if not self.apis.admit_connection():
            self._log(conn, "$connect", ev.CONNECT, 429, start, throttled=True)
            return _json_response(429, THROTTLED_BODY.encode())
        headers = [(k, v) for k, v in request.headers.raw_items()]
        status, body, result, authorized = self._connect(view, ws, conn, headers, request.path)
        self._log(conn, "$connect", ev.CONNECT, status, start, result, authorized=authorized)
        if not 200 <= status < 300:
            return _json_response(status, body)
        self._pending[ws] = conn
        return None

    def _connect(self, view: ApiView, ws: ServerConnection, conn: Connection, headers: list[tuple[str, str]],
                 target: str) -> tuple[int, bytes, Any, bool | None]:
        """``$connect``'s authorization, then its integration: ``(status, refusal body, result, authorized)``."""
        route = view.routes.get("$connect")
        if route is None:
            return 200, b"", None, None
        query = parse_qsl(target.partition("?")[2], keep_blank_values=True)
        authorized = None
        kind = route.get("AuthorizationType")
        if kind in ("CUSTOM", "AWS_IAM"):
            refusal = (self._authorize(view, conn, route.get("AuthorizerId", ""), headers, query) if kind == "CUSTOM"
                       else self._iam(ws, headers, target))
            if refusal is not None:
                return refusal.status_code, refusal.body.encode(), None, False
            authorized = True
        refused = self._api_key_refusal(conn, headers) if route.get("ApiKeyRequired") else None
        if refused is not None:
            return refused[0], refused[1], None, authorized
        now = self.cloud.clock.now()
        event = ev.connect_event(conn.context, ev.new_id(self.cloud.rng), now,
                                 _connect_headers(headers, ws, now, self.cloud.rng), query)
        result = self._integrate(view, conn, route, event)
        if isinstance(result, mapping.NonProxyOutcome):  # MOCK's statusCode, or a failure (unverified)
            refusal = b'{"message": "Internal server error"}' if result.error else b""
            return result.status, refusal, result.result, authorized
        status, body = connect_status(result)
        conn.subprotocol = chosen_subprotocol(result)
        return status, body, result, authorized

    def _answer(self, ws: ServerConnection, request: Any, response: WsResponse) -> WsResponse | None:
        """The 101 carries the subprotocol ``$connect`` chose; a failed handshake forgets its connection."""
        conn = self._pending.get(ws)
        if response.status_code != 101:
            self._pending.pop(ws, None)
        elif conn is not None and conn.subprotocol:
            response.headers["Sec-WebSocket-Protocol"] = conn.subprotocol
        return None

    def _authorize(self, view: ApiView, conn: Connection, authorizer_id: str, headers: list[tuple[str, str]],
                   query: list[tuple[str, str]]) -> Any:
        """The route's REQUEST authorizer (``policy.authorize``): None to go on, or the refusing ``AuthResult``."""
        raw = view.authorizer(authorizer_id)
        ctx = conn.context
        arn = f"arn:aws:execute-api:{self.cloud.region}:{self.cloud.account_id}:{ctx.api_id}/{ctx.stage}/$connect"
        proxy_event = ev.authorizer_event(ctx, arn, ev.new_id(self.cloud.rng), self.cloud.clock.now(),
                                          list(headers) + [("content-length", "0")], query)

        def invoke(event: dict[str, Any]) -> tuple[Any, str | None]:
            from .ports import invoke_lambda_integration

            result = invoke_lambda_integration(self.cloud, raw.get("AuthorizerUri", ""), event, source_arn=arn,
                                               timeout_ms=10_000,
                                               check_permission=not raw.get("AuthorizerCredentialsArn"))
            if result.outcome not in ("ok", "function_error"):
                raise AuthorizerUnavailable(result.log)
            payload = json.loads(result.payload) if result.payload else None
            return payload, None if result.ok else "Unhandled"

        verdict = authorize(AuthorizerConfig.from_websocket(raw), AuthRequest(arn, proxy_event), invoke,
                            self.apis.authorizer_cache, self.cloud.clock.now())
        if not verdict.allowed:
            return verdict
        conn.context = replace(ctx, authorizer=dict(verdict.context))
        return None

    def _api_key_refusal(self, conn: Connection, headers: list[tuple[str, str]]) -> tuple[int, bytes] | None:
        """``ApiKeyRequired`` on ``$connect``: an enabled ``x-api-key`` in a usage plan of this stage (else
        403), within the plan's throttle and quota (else 429), via the data plane's ``usage_plan_key``
        and ``Throttler``; None admits."""
        from .throttling import ThrottleRequest

        gateway = self.cloud.apigateway
        value = next((v for k, v in headers if k.lower() == "x-api-key"), None)
        usage = gateway.usage_plan_key(self.api_id, conn.context.stage, value, "$connect") if gateway else None
        if usage is None:
            return 403, b'{"message":"Forbidden"}'
        with gateway.lock:
            decision = gateway.throttler.decide(ThrottleRequest(self.api_id, conn.context.stage, "$connect", None,
                                                                usage), self.cloud.clock.now())
        return None if decision.allowed else (decision.status_code, decision.body.encode())

    def _iam(self, ws: ServerConnection, headers: list[tuple[str, str]], target: str) -> Any:
        """``AWS_IAM`` on ``$connect``: the upgrade request's SigV4 signature verified (``sigv4_auth``)."""
        from .sigv4_auth import SignedRequest, verify_sigv4

        gateway = self.cloud.apigateway
        lookup = gateway.credentials.get if gateway is not None else (lambda key: None)
        host = next((v for k, v in headers if k.lower() == "host"), "127.0.0.1")
        result = verify_sigv4(SignedRequest("GET", f"http://{host}{target}", headers, b""), lookup,
                              self.cloud.clock.now(), region=self.cloud.region)
        return None if result.allowed else result

    def _integrate(self, view: ApiView, conn: Connection, route: dict[str, Any], event: dict[str, Any]) -> Any:
        """Run a route's integration and return its ``IntegrationResult`` (Lambda proxy) or, for the
        non-proxy ``AWS`` and ``MOCK`` integrations, a ``websocket_mapping.NonProxyOutcome``."""
        from .ports import IntegrationResult

        integration = view.integration(route)
        if self.apis.closing:
            return IntegrationResult("error", log="the Cloud is closing")
        if integration is None:
            return IntegrationResult("error", log="route has no integration")
        kind = integration.get("IntegrationType")
        if kind in mapping.NON_PROXY:
            return self._non_proxy(view, conn, route, integration, event)
        if kind != "AWS_PROXY":
            return IntegrationResult("error", log=f"{kind} integrations are not simulated for WebSocket APIs")
        return self._call_lambda(conn, route, integration, event)

    def _call_lambda(self, conn: Connection, route: dict[str, Any], integration: dict[str, Any],
                     event: dict[str, Any] | bytes) -> Any:
        """Invoke the integration's function (``ports.invoke_lambda_integration``) for this route."""
        from .ports import invoke_lambda_integration

        ctx = conn.context
        source_arn = (f"arn:aws:execute-api:{self.cloud.region}:{self.cloud.account_id}:"
                      f"{ctx.api_id}/{ctx.stage}/{route['RouteKey']}")
        timeout = float(integration.get("TimeoutInMillis") or DEFAULT_TIMEOUT_MS)
        uri = _with_stage_variables(integration.get("IntegrationUri", ""), ctx.stage_variables)
        return invoke_lambda_integration(self.cloud, uri, event,
                                         source_arn=source_arn, timeout_ms=timeout,
                                         check_permission=not integration.get("CredentialsArn"))

    def _non_proxy(self, view: ApiView, conn: Connection, route: dict[str, Any], integration: dict[str, Any],
                   event: dict[str, Any]) -> "mapping.NonProxyOutcome":
        """An ``AWS`` (Lambda) or ``MOCK`` integration: the message through the request template, the
        answer through the integration response (``websocket_mapping``)."""
        rc = event["requestContext"]
        message = event.get("body") or ""
        if event.get("isBase64Encoded"):
            message = base64.b64decode(message)
        context = mapping.template_context(conn.context, rc["routeKey"], rc["eventType"], rc["requestId"],
                                           self.cloud.clock.now(), rc.get("messageId"), conn.user_agent)
        params = {"header": event.get("headers") or {}, "querystring": event.get("queryStringParameters") or {}}
        responses = view.integration_responses.get(integration.get("IntegrationId", ""), [])
        return mapping.run(integration, responses, message, context, conn.context.stage_variables,
                           lambda payload: self._call_lambda(conn, route, integration, payload), params)

    # -- messages and $disconnect ----------------------------------------------------------------

    def _serve(self, ws: ServerConnection) -> None:
        """One open connection: route each message until the close, then ``$disconnect``."""
        conn = self._pending.pop(ws)
        conn.ws = ws
        self.apis.opened(conn)
        try:
            for message in ws:
                try:
                    self._on_message(conn, message)
                except ConnectionClosed:
                    raise
                except Exception as exc:  # noqa: BLE001 - never a traceback to the client, never silent
                    self._unexpected(conn, exc)
        except ConnectionClosed:
            pass
        code, reason = _close_status(ws)
        if self.apis.closed(conn, code, reason) is not None:
            self._disconnect(conn, code, reason)

    def _on_message(self, conn: Connection, message: str | bytes) -> None:
        """Route one message; answer with an error frame or, on two-way routes, the result."""
        size = len(message.encode() if isinstance(message, str) else message)
        self.apis.record(conn, "IN", size, None)
        self.apis.touch(conn)
        start = self.cloud.clock.now()
        view = self.apis.view(self.api_id)
        routes = view.routes
        expression = view.api.get("RouteSelectionExpression") or "$request.body.action"
        key = ev.select_route_key(expression, message)
        route = routes.get(key) if key and key not in ("$connect", "$disconnect") else None
        route = route or routes.get("$default")
        request_id = ev.new_id(self.cloud.rng)
        if route is None:
            self._log(conn, key, ev.MESSAGE, 403, start, request_id=request_id, size=size)
            self._reply(conn, ev.error_frame("Forbidden", conn.connection_id, request_id), None)
            return
        if not self._admit(view, conn, route["RouteKey"]):
            self._log(conn, route["RouteKey"], ev.MESSAGE, 429, start, request_id=request_id, size=size,
                      throttled=True)
            self._reply(conn, ev.error_frame("Too Many Requests", conn.connection_id, request_id), None)
            return
        message_id = ev.new_id(self.cloud.rng)
        event = ev.message_event(conn.context, route["RouteKey"], message_id, request_id, start, message)
        outcome = self._integrate(view, conn, route, event)
        if isinstance(outcome, mapping.NonProxyOutcome):
            self._log(conn, route["RouteKey"], ev.MESSAGE, outcome.status if outcome.error else 200, start,
                      outcome.result, request_id=request_id, size=size, message_id=message_id)
            if outcome.error is not None:
                self._reply(conn, ev.error_frame(outcome.error, conn.connection_id, request_id), None)
            elif route.get("RouteResponseSelectionExpression") and outcome.reply:  # empty: nothing (unverified)
                self._reply(conn, outcome.reply, route["RouteKey"])
            return
        result = outcome
        self._log(conn, route["RouteKey"], ev.MESSAGE, 200 if result.ok else 500, start, result,
                  request_id=request_id, size=size, message_id=message_id)
        if not result.ok:
            self._reply(conn, ev.error_frame("Internal server error", conn.connection_id, request_id), None)
        elif route.get("RouteResponseSelectionExpression"):
            body = _message_body(result.payload)
            if body is not None:
                self._reply(conn, body, route["RouteKey"])

    def _admit(self, view: ApiView, conn: Connection, route_key: str) -> bool:
        """Stage route throttling (``RouteSettings``, else ``DefaultRouteSettings``) and the account's
        10,000 rps shared with REST and HTTP APIs, through the data plane's ``Throttler``."""
        gateway = self.cloud.apigateway
        if gateway is None:
            return True
        from .throttling import ThrottleRequest

        stage = view.stage(conn.context.stage) or {}
        settings = (stage.get("RouteSettings") or {}).get(route_key) or stage.get("DefaultRouteSettings")
        request = ThrottleRequest(self.api_id, conn.context.stage, route_key, ThrottleSettings.from_aws(settings))
        with gateway.lock:
            return gateway.throttler.decide(request, self.cloud.clock.now()).allowed

    def _unexpected(self, conn: Connection, exc: Exception) -> None:
        """A failure of the simulator itself while routing: an error frame and a 500 record saying why."""
        request_id = ev.new_id(self.cloud.rng)
        self._log(conn, None, ev.MESSAGE, 500, self.cloud.clock.now(), request_id=request_id,
                  error=f"minilambda could not route the message: {exc!r}")
        self._reply(conn, ev.error_frame("Internal server error", conn.connection_id, request_id), None)

    def _log(self, conn: Connection, route_key: str | None, event_type: str, status: int, start: float,
             result: Any = None, *, request_id: str | None = None, size: int = 0, throttled: bool = False,
             authorized: bool | None = None, message_id: str | None = None, error: str | None = None) -> None:
        """Leave an ``ApiRequest`` record (``api_type="WEBSOCKET"``) in the Cloud's API Gateway records,
        and the stage's access log line if it has ``AccessLogSettings``."""
        gateway = self.cloud.apigateway
        if gateway is None:
            return
        from .records import ApiRequest

        ctx = conn.context
        if error is None and result is not None and not result.ok:
            error = result.log
        record = ApiRequest(
            request_id or ev.new_id(self.cloud.rng), ctx.api_id, "WEBSOCKET", ctx.stage, route_key, event_type,
            f"/{ctx.stage}", status, start, (self.cloud.clock.now() - start) * 1000.0,
            result.integration_latency_ms if result is not None else None, throttled, authorized, error=error,
            function_name=result.function_name if result is not None else None, request_bytes=size,
            extras={"connectionId": ctx.connection_id, "messageId": message_id})
        with gateway.lock:
            gateway.requests.append(record)
        self._access_log(conn, record)

    def _access_log(self, conn: Connection, record: Any) -> None:
        """The stage's access log line (``$context`` variables of WebSocket APIs) into CloudWatch Logs."""
        from .logging import render_access_log

        ctx = conn.context
        try:
            settings = (self.apis.view(self.api_id).stage(ctx.stage) or {}).get("AccessLogSettings") or {}
        except Exception:  # noqa: BLE001 - no configuration, no access log (the record above keeps the request)
            return
        group = (settings.get("DestinationArn") or "").partition(":log-group:")[2].removesuffix(":*")
        if not settings.get("Format") or not group:
            return
        values = {"requestId": record.request_id, "extendedRequestId": record.request_id, "apiId": ctx.api_id,
                  "stage": ctx.stage, "connectionId": ctx.connection_id, "connectedAt": ctx.connected_at_ms,
                  "eventType": record.method, "routeKey": record.route or "-", "messageId": record.extras["messageId"],
                  "status": record.status, "requestTime": ev.request_time(record.start),
                  "requestTimeEpoch": int(record.start * 1000), "identity.sourceIp": ctx.source_ip,
                  "domainName": ctx.domain_name, "integrationLatency": "-" if record.integration_latency_ms is None
                  else int(record.integration_latency_ms), "error.message": record.error,
                  "integrationErrorMessage": record.error}
        timestamp = record.start if self.cloud.clock.virtual else None
        self.cloud.logs.write(group, f"{ctx.api_id}-{ctx.stage}", [render_access_log(settings["Format"], values)],
                              timestamp=timestamp)

    def _reply(self, conn: Connection, data: str, route_key: str | None) -> None:
        try:
            self.apis.send(conn, data, route_key=route_key)
        except AwsError:
            pass  # the client left meanwhile

    def _disconnect(self, conn: Connection, code: int, reason: str) -> None:
        """Best effort ``$disconnect``: its result and errors are ignored, as on AWS."""
        try:
            view = self.apis.view(self.api_id)
            route = view.routes.get("$disconnect")
            if route is not None:
                start = self.cloud.clock.now()
                request_id = ev.new_id(self.cloud.rng)
                event = ev.disconnect_event(conn.context, request_id, start, code, reason)
                result = self._integrate(view, conn, route, event)
                result = getattr(result, "result", result)  # a NonProxyOutcome's call
                self._log(conn, "$disconnect", ev.DISCONNECT, 200 if result.ok else 500, start, result,
                          request_id=request_id)
        except Exception:  # noqa: BLE001 - best effort, like AWS (a closed Cloud, a deleted API)
            pass


def _with_stage_variables(uri: str, variables: dict[str, str]) -> str:
    """``${stageVariables.name}`` in an integration URI replaced by the stage's value."""
    return re.sub(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}", lambda m: variables.get(m.group(1), ""), uri)


def _close_status(ws: ServerConnection) -> tuple[int, str]:
    """The close code and reason AWS reports to ``$disconnect`` (1005 when the client sent none)."""
    code = ws.close_code
    if code is None or code == 1005:
        return 1005, ev.NO_STATUS_REASON
    if code == 1000 and not ws.close_reason:
        return 1000, ev.NORMAL_CLOSURE_REASON
    return code, ws.close_reason or ""


def _connect_headers(headers: list[tuple[str, str]], ws: ServerConnection, now: float,
                     rng: Any) -> list[tuple[str, str]]:
    """The ``$connect`` event's headers: the client's, without hop-by-hop ones, plus AWS's forwarding headers."""
    drop = {"connection", "upgrade"}
    out = [(k, v) for k, v in headers if k.lower() not in drop]
    port = ws.local_address[1]
    out += [("X-Amzn-Trace-Id", f"Root=1-{int(now):08x}-{rng.getrandbits(96):024x}"),
            ("X-Forwarded-For", str(ws.remote_address[0])), ("X-Forwarded-Port", str(port)),
            ("X-Forwarded-Proto", "http")]
    return out
