"""Integrations shared by REST and HTTP APIs: Lambda (via ``ports``), HTTP endpoints, mapping templates."""

from __future__ import annotations

import http.client
import json
import re
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

from .policy import AuthorizerUnavailable
from .ports import IntegrationResult, invoke_lambda_integration

AUTHORIZER_TIMEOUT_MS = 10_000
_STAGE_VAR = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
               "transfer-encoding", "upgrade", "content-length", "host"}


def substitute_stage_variables(text: str, variables: dict[str, str] | None) -> str:
    """Replace ``${stageVariables.name}`` (in URIs and templates) with the stage's values."""
    if not text or "${stageVariables." not in text:
        return text
    return _STAGE_VAR.sub(lambda m: (variables or {}).get(m.group(1), ""), text)


def source_arn(cloud: Any, api_id: str, stage: str, method: str, resource_path: str) -> str:
    """``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}``: what a permission names."""
    return f"arn:aws:execute-api:{cloud.region}:{cloud.account_id}:{api_id}/{stage}/{method}/{resource_path.lstrip('/')}"


def call_lambda(cloud: Any, uri: str, event: dict[str, Any] | bytes, *, arn: str, timeout_ms: float,
                credentials: str | None = None) -> IntegrationResult:
    """Invoke a Lambda integration; an integration role (``credentials``) stands in for a permission."""
    return invoke_lambda_integration(cloud, uri, event, source_arn=arn, timeout_ms=timeout_ms,
                                     check_permission=not credentials)


def authorizer_invoker(cloud: Any, uri: str, *, api_id: str, authorizer_id: str,
                       credentials: str | None) -> Callable[[dict[str, Any]], tuple[Any, str | None]]:
    """The ``invoke`` a Lambda authorizer check calls: the function's answer and ``"Unhandled"`` if it raised."""
    arn = f"arn:aws:execute-api:{cloud.region}:{cloud.account_id}:{api_id}/authorizers/{authorizer_id}"

    def invoke(auth_event: dict[str, Any]) -> tuple[Any, str | None]:
        result = call_lambda(cloud, uri, auth_event, arn=arn, timeout_ms=AUTHORIZER_TIMEOUT_MS,
                             credentials=credentials)
        if result.outcome not in ("ok", "function_error"):
            raise AuthorizerUnavailable(result.log)
        try:
            payload = json.loads(result.payload or b"null")
        except ValueError:
            payload = result.payload.decode("utf-8", "replace")
        return payload, ("Unhandled" if result.outcome == "function_error" else None)

    return invoke


@dataclass(frozen=True)
class HttpResult:
    """What an HTTP endpoint answered (or why it could not be reached)."""

    ok: bool
    status: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    timed_out: bool = False
    error: str = ""


def call_http(url: str, method: str, headers: list[tuple[str, str]], body: bytes, timeout_ms: float) -> HttpResult:
    """Forward a request to an HTTP endpoint (``HTTP_PROXY``): loopback or any URL the user names."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return HttpResult(False, error=f"Invalid endpoint address: {url}")
    conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_cls(parts.hostname, parts.port, timeout=timeout_ms / 1000.0)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return HttpResult(True, resp.status, tuple((k, v) for k, v in resp.getheaders()
                                                   if k.lower() not in _HOP_BY_HOP), data)
    except TimeoutError:
        return HttpResult(False, timed_out=True, error="Execution failed due to a timeout error")
    except OSError as exc:
        return HttpResult(False, error=f"Execution failed due to a network error: {exc}")
    finally:
        conn.close()


def render_template(template: str, context: dict[str, Any]) -> str:
    """Render a mapping template with Velocity (``vtl.py``, airspeed); raises ``vtl.TemplateError``."""
    if "$" not in template and "#" not in template:
        return template  # plain text renders to itself: skip parsing it
    from .vtl import TemplateInput, render

    params = context.get("params", {})
    data = TemplateInput(body=context.get("body", ""), path=params.get("path", {}),
                         querystring=params.get("querystring", {}), header=params.get("header", {}),
                         context=context.get("context", {}), stage_variables=context.get("stageVariables", {}))
    return render(template, data)


def lambda_error_message(payload: bytes) -> str:
    """The ``errorMessage`` of a Lambda error payload (what integration responses' patterns match)."""
    try:
        data = json.loads(payload or b"{}")
    except ValueError:
        return payload.decode("utf-8", "replace")
    return str(data.get("errorMessage", "")) if isinstance(data, dict) else str(data)
