"""Which resource and method (REST) or route (HTTP API) answers a path, as API Gateway chooses.

REST: the most specific resource wins (literal segment > ``{param}`` > ``{proxy+}``), then the
method (its own > ``ANY``); no resource or no method → 403 Missing Authentication Token.
HTTP APIs: literal > parameter > greedy path, then the exact method > ``ANY``, then ``$default``;
nothing → 404 Not Found [AGDG http-api-develop-routes.md].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class RestMatch:
    """A REST resource and method chosen for a path."""

    resource: dict[str, Any]
    method: dict[str, Any]
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class HttpMatch:
    """An HTTP API route chosen for a method and path."""

    route: dict[str, Any]
    route_key: str
    path_parameters: dict[str, str]


def split_path(path: str) -> list[str]:
    """Segments of a path after one leading slash, ignoring a single trailing slash."""
    trimmed = path[1:] if path.startswith("/") else path
    if trimmed.endswith("/"):
        trimmed = trimmed[:-1]
    return trimmed.split("/") if trimmed else []


def _part_kind(part: str) -> tuple[int, str | None]:
    """2 literal, 1 ``{param}``, 0 ``{proxy+}``; with the parameter name."""
    if part.startswith("{") and part.endswith("+}"):
        return 0, part[1:-2]
    if part.startswith("{") and part.endswith("}"):
        return 1, part[1:-1]
    return 2, None


def _match_parts(parts: list[str], segments: list[str]) -> tuple[list[int], dict[str, str]] | None:
    """Match template *parts* to raw *segments*; returns per-part ranks and parameters."""
    ranks: list[int] = []
    params: dict[str, str] = {}
    for i, part in enumerate(parts):
        kind, name = _part_kind(part)
        if kind == 0:
            rest = segments[i:]
            if not rest or not "/".join(rest):
                return None
            params[name or "proxy"] = "/".join(rest)
            ranks.append(0)
            return ranks, params
        if i >= len(segments):
            return None
        if kind == 1:
            if segments[i] == "":
                return None
            params[name or ""] = segments[i]
        elif unquote(segments[i]) != part:
            return None
        ranks.append(kind)
    if len(segments) != len(parts):
        return None
    return ranks, params


def match_rest(resources: list[dict[str, Any]], method: str, path: str) -> RestMatch | None:
    """The resource + method for *path* (without the stage) among ``GetResources`` items."""
    segments = split_path(path)
    best: tuple[list[int], dict[str, Any], dict[str, str]] | None = None
    for resource in resources:
        parts = split_path(resource.get("path", "/"))
        found = _match_parts(parts, segments)
        if found is None:
            continue
        ranks, params = found
        if best is None or ranks > best[0]:
            best = (ranks, resource, params)
    if best is None:
        return None
    _, resource, params = best
    methods = resource.get("resourceMethods") or {}
    chosen = methods.get(method) or methods.get("ANY")
    if chosen is None:
        return None
    return RestMatch(resource, chosen, params)


def match_http(routes: list[dict[str, Any]], method: str, path: str) -> HttpMatch | None:
    """The HTTP API route for *method* and *path* (without the stage), ``$default`` last."""
    segments = split_path(path)
    best: tuple[tuple[list[int], int], dict[str, Any], dict[str, str]] | None = None
    default = None
    for route in routes:
        key = route.get("RouteKey", "")
        if key == "$default":
            default = route
            continue
        route_method, _, route_path = key.partition(" ")
        if route_method not in (method, "ANY"):
            continue
        found = _match_parts(split_path(route_path), segments)
        if found is None:
            continue
        score = (found[0], 1 if route_method == method else 0)
        if best is None or score > best[0]:
            best = (score, route, found[1])
    if best is not None:
        return HttpMatch(best[1], best[1]["RouteKey"], best[2])
    if default is not None:
        return HttpMatch(default, "$default", {})
    return None
