"""One request on its way through the data plane (``Exchange``), and what the REST and HTTP servers,
security checks, logs and front doors use of the data plane (``DataPlane``, which ``ApiGateway``
in ``dataplane.py`` meets). They import this module, not dataplane.py, which imports them: no cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .records import HttpRequest, HttpResponse

MAX_PAYLOAD = 10 * 1024 * 1024  # 10 MB request payload, REST and HTTP APIs [AGDG limits.md]


@dataclass
class Exchange:
    """One request on its way through the data plane: what is known so far, for records and logs."""

    api_id: str
    api_type: str
    request: HttpRequest
    request_id: str
    extended_id: str
    start: float
    wall_start: float
    stage: str | None = None
    route: str | None = None
    integration_latency_ms: float | None = None
    throttled: bool = False
    authorized: bool | None = None
    error_type: str | None = None
    error: str | None = None
    function_name: str | None = None
    canary: bool = False
    cache_hit: bool = False
    log: list[str] = field(default_factory=list)
    log_levels: list[str] = field(default_factory=list)  # per line: "INFO", "ERROR" or "DATA" (data trace)
    context: dict[str, Any] = field(default_factory=dict)  # $context variables for access logs

    def note(self, line: str, level: str = "INFO") -> None:
        """Add one execution-log line (prefixed with the request id, as AWS writes them); *level* is
        ``INFO``, ``ERROR`` (kept at logging level ERROR) or ``DATA`` (only with ``dataTraceEnabled``)."""
        self.log.append(f"({self.request_id}) {line}")
        self.log_levels.append(level)


class DataPlane(Protocol):
    """The members of ``dataplane.ApiGateway`` that its servers, checks, logs and front doors use."""

    cloud: Any
    config: Any
    snapshots: Any
    http_deployments: Any
    throttler: Any
    auth_cache: Any
    credentials: dict[str, Any]
    lock: Any
    _rng: Any

    def handle(self, api_id: str, request: HttpRequest) -> HttpResponse: ...

    def new_ids(self) -> tuple[str, str]: ...

    def rest_error(self, view: Any, exchange: Exchange, error: Any) -> HttpResponse: ...

    def http_error(self, exchange: Exchange, status: int, body: str, *, error_type: str, log: str = "",
                   extra: tuple[tuple[str, str], ...] = ()) -> HttpResponse: ...

    def rest_headers(self, exchange: Exchange) -> tuple[tuple[str, str], ...]: ...

    def http_headers(self, exchange: Exchange) -> tuple[tuple[str, str], ...]: ...

    def usage_plan_key(self, api_id: str, stage: str, value: str | None, method_key: str) -> Any: ...

    def stage_cache(self, api_id: str, stage: str, size_gb: str) -> Any: ...

    def fetch_jwks(self, issuer: str) -> dict[str, Any]: ...
