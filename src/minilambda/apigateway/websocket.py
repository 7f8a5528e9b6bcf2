"""API Gateway WebSocket APIs: connections, limits and records of one Cloud (``WebSocketApis``).

``ws://127.0.0.1:PORT/{stage}`` stands for AWS's ``wss://{id}.execute-api.{region}.amazonaws.com/{stage}``;
``websocket_server.py`` runs one loopback server per API (``$connect``, routes, ``$disconnect``) and
``management.py`` serves ``@connections``. This module holds what they share, as on AWS (aws-facts-2 §5):

* open connections by id (reachable by ``@connections`` only once the handshake is done);
* limits on the Cloud's clock: 10 minutes idle (data messages in either direction, not pings) and
  2 hours per connection, both closing with 1001 "Going away" (on the virtual clock when the clock
  advances past them, without waiting); 500 new connections per second per account; outgoing
  messages in frames of at most 32 KB;
* records for billing: every data message (``WebSocketMessage``, in 32 KB units) and every
  connection (``WebSocketConnectionRecord``, in minutes); ``usage()`` sums them, ``cost()`` prices
  them from ``billing/prices.json``.

On the virtual clock each Lambda call advances the Cloud's clock from the connection's own thread:
drive one client at a time (as the tests do) when exact virtual timings matter.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection

from ..errors import AwsError
from . import websocket_events as ev
from .policy import AuthorizerCache
from .throttling import ThrottleSettings, TokenBucket

if TYPE_CHECKING:  # pragma: no cover
    from ..clock import Timer

MESSAGE_LIMIT = 131_072        # 128 KB per message (AWS limits.md)
FRAME_LIMIT = 32_768           # 32 KB per frame
IDLE_TIMEOUT_S = 600.0         # 10 minutes without a message in either direction
MAX_DURATION_S = 7_200.0       # 2 hours per connection
DEFAULT_TIMEOUT_MS = 29_000    # WebSocket integration timeout: 50 ms – 29 s
NEW_CONNECTIONS_PER_S = 500    # per account and Region (burst assumed equal: unverified)
GOING_AWAY = (1001, "Going away")


@dataclass(frozen=True, slots=True)
class WebSocketMessage:
    """One data message through a WebSocket API (``IN`` from a client, ``OUT`` to one)."""

    time: float
    api_id: str
    stage: str
    connection_id: str
    direction: str
    size: int
    route_key: str | None = None

    @property
    def units(self) -> int:
        """Billed messages: AWS meters messages in 32 KB increments."""
        return max(1, math.ceil(self.size / FRAME_LIMIT))


@dataclass(frozen=True, slots=True)
class WebSocketConnectionRecord:
    """One connection from its accepted ``$connect`` to its close."""

    api_id: str
    stage: str
    connection_id: str
    connected_at: float
    disconnected_at: float
    status_code: int
    reason: str

    @property
    def minutes(self) -> int:
        """Billed connection minutes (whole minutes, rounded up: **unverified** rounding)."""
        return _whole_minutes(self.disconnected_at - self.connected_at)


def fragments(data: str | bytes) -> list[str] | list[bytes]:
    """A message cut into frames of at most 32 KB (text cut between UTF-8 characters)."""
    if isinstance(data, bytes):
        return [data[i:i + FRAME_LIMIT] for i in range(0, len(data), FRAME_LIMIT)]
    raw, pieces, start = data.encode(), [], 0
    while start < len(raw):
        end = min(len(raw), start + FRAME_LIMIT)
        while end < len(raw) and raw[end] & 0xC0 == 0x80:  # a continuation byte: back to the character's start
            end -= 1
        pieces.append(raw[start:end].decode())
        start = end
    return pieces


def _whole_minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60.0 - 1e-9))


def websocket_cost(usage: dict[str, int], region: str = "us-east-1") -> dict[str, Decimal]:
    """Price WebSocket usage (``{"messages", "connection_minutes"}``) with the billing catalogue:
    messages on their tiered ladder ($1.00/M for the first billion), connection minutes at $0.25/M."""
    from ..billing.catalogue import load_prices

    raw = load_prices(region).raw["api_gateway_websocket"]
    left, done, messages_usd = Decimal(usage["messages"]), Decimal(0), Decimal(0)
    for tier in raw["messages"]["tiers"]:
        cap = left if tier["up_to_requests"] is None else min(left, Decimal(tier["up_to_requests"]) - done)
        messages_usd += max(cap, Decimal(0)) * Decimal(tier["usd"])
        left, done = left - max(cap, Decimal(0)), done + max(cap, Decimal(0))
    minutes_usd = Decimal(usage["connection_minutes"]) * Decimal(raw["connection_minutes"]["usd"])
    return {"messages_usd": messages_usd, "connection_minutes_usd": minutes_usd,
            "total_usd": messages_usd + minutes_usd}


@dataclass(eq=False)
class Connection:
    """A live connection's state (mutable: it changes with every message)."""

    context: ev.EventContext
    user_agent: str
    connected_at: float
    last_active_at: float
    ws: ServerConnection | None = None
    open: bool = False
    idle_timer: "Timer | None" = None
    max_timer: "Timer | None" = None
    subprotocol: str | None = None  # chosen by $connect (Sec-WebSocket-Protocol)
    send_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def connection_id(self) -> str:
        return self.context.connection_id


@dataclass(frozen=True)
class ApiView:
    """One WebSocket API's configuration in SDK shapes: routes by key, integrations, stages, authorizers."""

    api: dict[str, Any]
    routes: dict[str, dict[str, Any]]
    integrations: dict[str, dict[str, Any]]
    stages: dict[str, dict[str, Any]]
    authorizers: dict[str, dict[str, Any]]
    integration_responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, snapshot: Any) -> "ApiView":
        """From the data plane's cached ``HttpApiView`` (``cloud.apigateway.config``)."""
        return cls(snapshot.api, {r["RouteKey"]: r for r in snapshot.routes}, snapshot.integrations,
                   snapshot.stages, snapshot.authorizers, dict(getattr(snapshot, "integration_responses", {})))

    def stage(self, name: str) -> dict[str, Any] | None:
        return self.stages.get(name)

    def integration(self, route: dict[str, Any]) -> dict[str, Any] | None:
        target = route.get("Target") or ""
        if not target.startswith("integrations/"):
            return None
        return self.integrations.get(target.split("/", 1)[1])

    def authorizer(self, authorizer_id: str) -> dict[str, Any]:
        return self.authorizers.get(authorizer_id) or {}


_NO_API = ApiView({}, {}, {}, {}, {})


class WebSocketApis:
    """Every WebSocket API of one Cloud: servers (started on first use), live connections, records."""

    def __init__(self, cloud: Any, server: Callable[["WebSocketApis", str], Any]) -> None:
        self.cloud = cloud
        self._new_server = server  # websocket_server.ApiServer (passed in: it imports this module)
        self.messages: list[WebSocketMessage] = []
        self.connections: list[WebSocketConnectionRecord] = []
        self._servers: dict[str, Any] = {}  # api id -> websocket_server.ApiServer
        self._open: dict[str, Connection] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.authorizer_cache = AuthorizerCache()
        rate = ThrottleSettings(float(NEW_CONNECTIONS_PER_S), NEW_CONNECTIONS_PER_S)
        self._new_connections = TokenBucket(rate, cloud.clock.now())

    @property
    def closing(self) -> bool:
        """True once the Cloud or these APIs are closing: no new Lambda work may start."""
        return self._closed or self.cloud.closed

    def admit_connection(self) -> bool:
        """Take a token from the account's 500 new connections per second."""
        with self._lock:
            return self._new_connections.take(self.cloud.clock.now())

    # -- servers and URLs -------------------------------------------------------------------

    def view(self, api_id: str) -> ApiView:
        """An API's configuration as the ``apigatewayv2`` control plane has it now (the data plane's
        cached view, refreshed whenever the control plane changes); empty for an unknown API."""
        gateway = self.cloud.apigateway
        snapshot = gateway.config.api(api_id) if gateway is not None else None
        return ApiView.of(snapshot) if snapshot is not None and hasattr(snapshot, "routes") else _NO_API

    def server(self, api_id: str) -> Any:
        """The API's loopback server, started on first use."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this Cloud is closed; create a new one")
            if api_id not in self._servers:
                self._servers[api_id] = self._new_server(self, api_id)
            return self._servers[api_id]

    def url(self, api_id: str, stage: str) -> str:
        """``ws://127.0.0.1:PORT/{stage}``: the stage's working URL (AWS: ``wss://{id}.execute-api…/{stage}``)."""
        return f"{self.server(api_id).base_url}/{stage}"

    def endpoint(self, api_id: str) -> str:
        """The API's ``ApiEndpoint``: ``ws://127.0.0.1:PORT``."""
        return self.server(api_id).base_url

    def management_url(self, api_id: str, stage: str) -> str:
        """The ``@connections`` endpoint for in-process clients, shaped like AWS's."""
        return f"https://{api_id}.execute-api.{self.cloud.region}.amazonaws.com/{stage}"

    def domain_name(self) -> str:
        """``requestContext.domainName``: where handlers reach ``@connections`` (``http://{domainName}/{stage}``)."""
        return self.cloud.endpoint_url.split("://", 1)[1]

    # -- connections ------------------------------------------------------------------------

    def opened(self, conn: Connection) -> None:
        """A connection finished its handshake: reachable by ``@connections``, timers armed."""
        clock = self.cloud.clock
        with self._lock:
            self._open[conn.connection_id] = conn
            conn.open = True
        conn.max_timer = clock.call_at(conn.connected_at + MAX_DURATION_S, self._expire, conn)
        self._arm_idle(conn)

    def closed(self, conn: Connection, status: int, reason: str) -> WebSocketConnectionRecord | None:
        """Forget a connection and record it (once)."""
        with self._lock:
            if not conn.open:
                return None
            conn.open = False
            self._open.pop(conn.connection_id, None)
        for timer in (conn.idle_timer, conn.max_timer):
            if timer is not None:
                timer.cancel()
        rec = WebSocketConnectionRecord(conn.context.api_id, conn.context.stage, conn.connection_id,
                                        conn.connected_at, self.cloud.clock.now(), status, reason)
        self.connections.append(rec)
        return rec

    def open_connections(self, api_id: str | None = None) -> list[str]:
        """Ids of the open connections (of one API, or all), oldest first."""
        with self._lock:
            return [cid for cid, c in self._open.items() if api_id in (None, c.context.api_id)]

    def live(self, connection_id: str, api_id: str | None = None, stage: str | None = None) -> Connection:
        """The open connection *connection_id* (of *api_id*/*stage* when given), else ``GoneException``."""
        conn = self._open.get(connection_id)
        ctx = conn.context if conn is not None else None
        if ctx is None or (api_id and ctx.api_id != api_id) or (stage and ctx.stage != stage):
            raise AwsError("GoneException", "", 410, error_type=None)
        return conn  # type: ignore[return-value]

    def touch(self, conn: Connection) -> None:
        """Activity on a connection: ``LastActiveAt`` moves and the idle timeout restarts."""
        conn.last_active_at = self.cloud.clock.now()
        self._arm_idle(conn)

    def _arm_idle(self, conn: Connection) -> None:
        if conn.idle_timer is not None:
            conn.idle_timer.cancel()
        conn.idle_timer = self.cloud.clock.call_at(conn.last_active_at + IDLE_TIMEOUT_S, self._idle, conn)

    def _idle(self, conn: Connection) -> None:
        if conn.open and self.cloud.clock.now() - conn.last_active_at >= IDLE_TIMEOUT_S - 1e-9:
            self.close_connection(conn, *GOING_AWAY)

    def _expire(self, conn: Connection) -> None:
        if conn.open:
            self.close_connection(conn, *GOING_AWAY)

    def close_connection(self, conn: Connection, code: int, reason: str) -> None:
        """Close a connection from the server side (idle, duration, ``DeleteConnection``)."""
        ws = conn.ws
        if ws is not None:
            ws.close(code, reason)

    def send(self, conn: Connection, data: str | bytes, *, route_key: str | None = None) -> None:
        """Send one message to a client, in frames of at most 32 KB, and record it."""
        ws = conn.ws
        if ws is None:
            raise AwsError("GoneException", "", 410, error_type=None)
        size = len(data.encode() if isinstance(data, str) else data)
        self.touch(conn)  # activity at the sending instant: the client may move the clock once it has the frame
        with conn.send_lock:
            try:
                if size > FRAME_LIMIT:
                    ws.send(fragments(data))
                else:
                    ws.send(data)
            except ConnectionClosed:
                raise AwsError("GoneException", "", 410, error_type=None) from None
        self.record(conn, "OUT", size, route_key)

    def record(self, conn: Connection, direction: str, size: int, route_key: str | None) -> None:
        ctx = conn.context
        self.messages.append(WebSocketMessage(self.cloud.clock.now(), ctx.api_id, ctx.stage, ctx.connection_id,
                                              direction, size, route_key))

    def usage(self, api_id: str | None = None) -> dict[str, int]:
        """What the bill counts: ``{"messages": 32 KB units, "connection_minutes": …}``; open
        connections count up to now."""
        now = self.cloud.clock.now()
        msgs = sum(m.units for m in self.messages if api_id in (None, m.api_id))
        minutes = sum(c.minutes for c in self.connections if api_id in (None, c.api_id))
        with self._lock:
            still_open = [c for c in self._open.values() if api_id in (None, c.context.api_id)]
        minutes += sum(_whole_minutes(now - c.connected_at) for c in still_open)
        return {"messages": msgs, "connection_minutes": minutes}

    def cost(self, api_id: str | None = None) -> dict[str, Decimal]:
        """``usage()`` priced with the billing catalogue (USD, before any free tier)."""
        return websocket_cost(self.usage(api_id), self.cloud.region)

    def close(self) -> None:
        """Stop every server (clients see close code 1001)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            servers = list(self._servers.values())
        for server in servers:
            server.close()
