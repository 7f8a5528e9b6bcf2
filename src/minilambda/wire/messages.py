"""The wire types every adapter speaks: one ``Request`` in, one ``Response`` out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import parse_qs, unquote, urlsplit


class Headers(dict):
    """A case-insensitive header map (keys stored lower-case)."""

    def __init__(self, items: Iterable[tuple[str, str]] | dict | None = None) -> None:
        super().__init__()
        if items:
            for k, v in (items.items() if isinstance(items, dict) else items):
                self[k] = v

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


@dataclass(slots=True)
class Request:
    """One HTTP request to a service, already split into parts."""

    method: str
    path: str  # percent-decoded path, without the query
    query: dict[str, list[str]]
    headers: Headers
    body: bytes = b""
    raw_path: str = ""  # the path as sent (still percent-encoded)
    context: dict[str, Any] = field(default_factory=dict)  # e.g. {"caller": "handler"}
    operation: str | None = None  # botocore's operation name, once the wire layer knows it
    labels: dict[str, str] = field(default_factory=dict)  # rest URI labels: {"FunctionName": "f"}

    def q(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter *name*."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body parsed as JSON ({} when empty)."""
        if not self.body:
            return {}
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """Query-protocol parameters: the form-encoded body, else the query string (first values)."""
        params = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True) if self.body else {}
        return {k: v[0] for k, v in (params or self.query).items()}

    @classmethod
    def from_url(cls, method: str, url: str, headers: Iterable[tuple[str, str]] | dict,
                 body: bytes | None) -> "Request":
        parts = urlsplit(url)
        items = headers.items() if isinstance(headers, dict) else headers
        decoded = [(k, v.decode("latin-1") if isinstance(v, bytes) else str(v)) for k, v in items]
        return cls(method=method.upper(), path=unquote(parts.path), raw_path=parts.path,
                   query=parse_qs(parts.query, keep_blank_values=True), headers=Headers(decoded),
                   body=body or b"")


@dataclass(slots=True)
class Response:
    """One HTTP response from a service."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> "Response":
        h = {"Content-Type": "application/json"}
        if headers:
            h.update(headers)
        return cls(status, h, b"" if data is None else json.dumps(data).encode())
