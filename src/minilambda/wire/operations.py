"""Naming the operation of a wire request from botocore's own service model.

In-process clients name it for free (the ``before-send.<service>.<Operation>`` event); requests
over loopback HTTP are named here: ``X-Amz-Target`` (json), ``Action`` (query), or the method,
path and query keys of each operation's ``requestUri`` (rest-json, rest-xml). The same index also
extracts the URI labels (``{FunctionName}``, ``{Key+}``) a rest adapter reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from .messages import Request


@dataclass(frozen=True, slots=True)
class _Route:
    """One rest operation: its method, a path pattern, and what must be present to match it."""

    operation: str
    method: str
    path: re.Pattern[str]
    query: tuple[tuple[str, str | None], ...]  # keys (and values) fixed in the requestUri
    headers: tuple[str, ...]  # required members carried in headers (CopySource → x-amz-copy-source)
    specificity: tuple[int, int, int]


def _group(label: str) -> str:
    """A regex group name for a URI label (``resource-arn`` → ``resource_x2d_arn``: labels may hold dashes)."""
    return re.sub(r"[^A-Za-z0-9_]", lambda m: f"_x{ord(m.group()):02x}_", label)


def _label(group: str) -> str:
    """The URI label a group name stands for (the inverse of ``_group``)."""
    return re.sub(r"_x([0-9a-f]{2})_", lambda m: chr(int(m.group(1), 16)), group)


def _compile_uri(uri: str) -> tuple[re.Pattern[str], tuple[tuple[str, str | None], ...], int]:
    path, _, query = uri.partition("?")
    pattern = ""
    literal = 0
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            name = part[1:-1]
            greedy = name.endswith("+")
            name = _group(name.rstrip("+"))
            pattern += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
        else:
            pattern += re.escape(part)
            literal += len(part)
    fixed = tuple((k, v[0] if v else None) for k, v in
                  ((k, parse_qs(f"{k}={val}").get(k) if eq else None)
                   for k, eq, val in (item.partition("=") for item in query.split("&") if item)))
    return re.compile(f"^{pattern.rstrip('/') if pattern != '/' else pattern}/?$"), fixed, literal


def _query_members(operation: Any) -> tuple[tuple[str, None], ...]:
    """Required members carried in the query string (UploadPart's ``partNumber`` and ``uploadId``):
    their presence tells an operation from another on the same path (PutObject)."""
    shape = operation.input_shape
    if shape is None:
        return ()
    return tuple((shape.members[name].serialization["name"], None) for name in shape.required_members
                 if shape.members[name].serialization.get("location") == "querystring")


def _header_members(operation: Any) -> tuple[str, ...]:
    shape = operation.input_shape
    if shape is None:
        return ()
    out = []
    for name in shape.required_members:
        member = shape.members[name]
        if member.serialization.get("location") == "header":
            out.append(member.serialization["name"].lower())
    return tuple(out)


class OperationIndex:
    """Names the operations of one service model and extracts rest URI labels."""

    def __init__(self, service_model: Any) -> None:
        self.protocol: str = service_model.protocol
        self.model = service_model
        self.operation_names = frozenset(service_model.operation_names)
        self._routes: list[_Route] = []
        self._by_name: dict[str, _Route] = {}
        if self.protocol.startswith("rest"):
            for name in service_model.operation_names:
                op = service_model.operation_model(name)
                path, query, literal = _compile_uri(op.http["requestUri"])
                query = tuple(q for q in query if q[0] != "x-id") + _query_members(op)
                headers = _header_members(op)
                route = _Route(name, op.http["method"], path, query, headers, (len(query), len(headers), literal))
                self._routes.append(route)
                self._by_name[name] = route
            self._routes.sort(key=lambda r: r.specificity, reverse=True)

    def operation_model(self, name: str) -> Any:
        """botocore's model of operation *name* (its input shape, its HTTP binding)."""
        return self.model.operation_model(name)

    def name(self, request: Request) -> str | None:
        """The operation *request* calls, or None when the model knows no such request."""
        if self.protocol == "json":
            target = request.headers.get("x-amz-target", "")
            return target.rsplit(".", 1)[-1] or None
        if self.protocol == "query":
            return request.form().get("Action") or None
        for route in self._routes:
            if route.method == request.method and self._matches(route, request):
                return route.operation
        return None

    def labels(self, operation: str, request: Request) -> dict[str, str]:
        """The URI labels of a rest request (percent-decoded), ``{}`` for other protocols."""
        route = self._by_name.get(operation)
        if route is None:
            return {}
        m = route.path.match(request.raw_path or request.path)
        return {_label(k): unquote(v) for k, v in m.groupdict().items()} if m else {}

    @staticmethod
    def _matches(route: _Route, request: Request) -> bool:
        if not route.path.match(request.raw_path or request.path):
            return False
        for key, value in route.query:
            if key not in request.query or (value is not None and request.q(key) != value):
                return False
        return all(h in request.headers for h in route.headers)
