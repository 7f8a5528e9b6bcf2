"""What API Gateway's data plane takes in, gives back and remembers: requests, responses, records."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable
from urllib.parse import urlsplit


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request as the client sent it: raw target (path?query), headers in order, body."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    scheme: str = "http"

    @property
    def raw_path(self) -> str:
        """The path as sent (still percent-encoded)."""
        return self.target.split("?", 1)[0].split("#", 1)[0] or "/"

    @property
    def raw_query(self) -> str:
        """The query string as sent (without ``?``; fragments dropped)."""
        return self.target.split("?", 1)[1].split("#", 1)[0] if "?" in self.target else ""

    def header(self, name: str, default: str | None = None) -> str | None:
        """The last value of header *name* (case-insensitive)."""
        lowered = name.lower()
        found = default
        for key, value in self.headers:
            if key.lower() == lowered:
                found = value
        return found

    @classmethod
    def from_url(cls, method: str, url: str, headers: dict[str, str] | Iterable[tuple[str, str]] | None = None,
                 body: bytes | str | None = None) -> "HttpRequest":
        """Build a request from a full URL (the host goes into ``Host`` unless given)."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        items = list(headers.items() if isinstance(headers, dict) else headers or [])
        if not any(k.lower() == "host" for k, _ in items):
            items.insert(0, ("Host", parts.netloc))
        data = body.encode() if isinstance(body, str) else (body or b"")
        return cls(method.upper(), target, tuple((str(k), str(v)) for k, v in items), data)


@dataclass(frozen=True)
class HttpResponse:
    """One HTTP response: status, headers (repeatable, in order) and body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str, default: str | None = None) -> str | None:
        """The first value of header *name* (case-insensitive)."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), default)

    def json(self) -> Any:
        import json

        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class ApiRequest:
    """The record of one API Gateway request (REST, HTTP or WebSocket message), whatever its end."""

    request_id: str  # REST: x-amzn-RequestId; HTTP APIs: apigw-requestid
    api_id: str
    api_type: str  # "REST" | "HTTP" | "WEBSOCKET"
    stage: str | None
    route: str | None  # REST "/items/{id} GET" (resource path + method); HTTP route key
    method: str
    path: str
    status: int
    start: float
    latency_ms: float
    integration_latency_ms: float | None = None
    throttled: bool = False
    authorized: bool | None = None  # None: the route has no authorizer
    error_type: str | None = None  # the gateway response type (e.g. "MISSING_AUTHENTICATION_TOKEN")
    error: str | None = None  # why, as the execution log says it
    function_name: str | None = None
    request_bytes: int = 0
    response_bytes: int = 0
    cache_hit: bool = False
    canary: bool = False
    extras: dict[str, Any] = field(default_factory=dict, compare=False)

    def metered_units(self, unit_kb: int | None) -> int:
        """Requests billed for this one: 1, or one per *unit_kb* of request (HTTP APIs: 512 KB)."""
        if not unit_kb:
            return 1
        return max(1, math.ceil(self.request_bytes / (unit_kb * 1024)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
