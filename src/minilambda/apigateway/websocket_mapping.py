"""Non-proxy WebSocket integrations (``AWS`` to Lambda, ``MOCK``): request templates, integration responses.

As on AWS [AGDG websocket-api-data-transformations.md, apigateway-websocket-api-selection-expressions.md,
apigateway-websocket-api-integration-responses.md]:

* ``Integration.TemplateSelectionExpression`` (``${request.body.jsonPath}`` or a static value such as
  ``\\$default``) picks the key of ``RequestTemplates``; ``$default`` is the catch-all. No template →
  ``PassthroughBehavior``: ``WHEN_NO_MATCH`` passes the message through, ``WHEN_NO_TEMPLATES`` only
  when there are no templates at all, ``NEVER`` refuses (``Unsupported Media Type``);
* a ``MOCK`` integration answers with the ``statusCode`` its request template renders (200 without one);
* the integration response is picked by key: for Lambda the key ``/regex/`` is matched against the
  error's ``errorMessage``, for ``MOCK`` against the status code (a plain key such as ``200`` must be
  equal); ``$default`` is the catch-all;
* ``IntegrationResponse.TemplateSelectionExpression`` (``${request.body.jsonPath}``,
  ``${integration.response.statuscode}``, ``${integration.response.header.Name}``, static) picks the
  key of ``ResponseTemplates`` (``$default`` the catch-all); no template sends the body as it came.

Templates run on the REST engine (``integrations.render_template``: ``vtl.py``, airspeed) with
``$context`` holding the WebSocket variables (``connectionId``, ``routeKey``, ``eventType``,
``messageId``, ``domainName``, ``stage``, ``requestId``, ``apiId``, …).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from . import websocket_events as ev
from .integrations import lambda_error_message, render_template
from .ports import IntegrationResult
from .vtl import TemplateError, UnsupportedMediaType, select_request_template

DEFAULT_KEY = "$default"
_NO_KEY = "\x00"  # a selection key no template has
NON_PROXY = ("AWS", "MOCK")
_VARIABLE = re.compile(r"\$\{([^}]*)\}|\$([A-Za-z][A-Za-z0-9_.\-]*)")


@dataclass(frozen=True)
class NonProxyOutcome:
    """What a non-proxy integration gave: the call (for records), the reply to send, or an error frame."""

    result: IntegrationResult
    reply: str | None = None
    error: str | None = None  # the message of an error frame ("Internal server error", …)
    status: int = 200


def evaluate(expression: str | None, message: str | bytes, *, status: int | None = None,
             headers: Mapping[str, str] | None = None) -> str | None:
    """A template selection expression's value (None when there is no expression).

    ``request.body.<path>`` reads the message as JSON (a missing path, or a message that is not a
    JSON object, gives ``""``); ``\\$`` stands for a literal ``$``.
    """
    if expression is None:
        return None
    escaped = expression.replace("\\$", "\x00")

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return _variable(name, message, status, headers or {})

    return _VARIABLE.sub(value, escaped).replace("\x00", "$")


def _variable(name: str, message: str | bytes, status: int | None, headers: Mapping[str, str]) -> str:
    if name.startswith("request.body."):
        key = ev.select_route_key("${" + name + "}", message)
        return key or ""
    if name == "integration.response.statuscode":
        return "" if status is None else str(status)
    for prefix in ("integration.response.header.", "integration.response.multivalueheader."):
        if name.startswith(prefix):
            wanted = name[len(prefix):].lower()
            return next((v for k, v in headers.items() if k.lower() == wanted), "")
    return "$" + name  # not a variable of this expression: kept as text (unverified)


def request_payload(integration: Mapping[str, Any], message: str | bytes, context: Mapping[str, Any],
                    stage_variables: Mapping[str, str], params: Mapping[str, Any] | None = None) -> str:
    """The integration request body: the selected request template rendered, or the message itself.

    Raises ``UnsupportedMediaType`` (passthrough refused) or ``vtl.TemplateError`` (a broken template).
    Without a ``TemplateSelectionExpression`` the key tried is ``$default``, then ``application/json``
    (the key AWS's own CLI example uses; **unverified** which one AWS picks).
    """
    templates = dict(integration.get("RequestTemplates") or {})
    key = evaluate(integration.get("TemplateSelectionExpression"), message)
    if key is None:
        key = DEFAULT_KEY if DEFAULT_KEY in templates else "application/json"
    elif key not in templates and DEFAULT_KEY in templates:
        key = DEFAULT_KEY
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    # vtl.select_request_template matches keys as it matches media types (case-insensitively:
    # unverified for WebSocket keys); an empty key must not fall back to application/json.
    behavior = integration.get("PassthroughBehavior") or "WHEN_NO_MATCH"
    template = select_request_template(templates, key or _NO_KEY, behavior)
    if template is None:
        return text
    return render_template(template, {"body": text, "context": context, "stageVariables": stage_variables,
                                      "params": params or {}})


def mock_status(rendered: str) -> int:
    """The ``statusCode`` a ``MOCK`` request template rendered (200 without one, as REST's MOCK)."""
    try:
        found = json.loads(rendered) if rendered.strip() else {}
        return int(found.get("statusCode", 200)) if isinstance(found, dict) else 200
    except (ValueError, TypeError):
        return 200


def choose_response(responses: list[dict[str, Any]], subject: str) -> dict[str, Any] | None:
    """The integration response whose key matches *subject* (``/regex/`` or equal), else ``$default``."""
    for response in responses:
        key = str(response.get("IntegrationResponseKey") or "")
        if key == DEFAULT_KEY:
            continue
        if len(key) > 1 and key.startswith("/") and key.endswith("/"):
            if re.fullmatch(key[1:-1], subject, re.DOTALL):
                return response
        elif key == subject:
            return response
    return next((r for r in responses if r.get("IntegrationResponseKey") == DEFAULT_KEY), None)


def response_body(response: Mapping[str, Any], body: str, message: str | bytes, status: int,
                  context: Mapping[str, Any], stage_variables: Mapping[str, str]) -> str:
    """The route response: the selected response template rendered over *body*, or *body* unchanged."""
    templates = dict(response.get("ResponseTemplates") or {})
    key = evaluate(response.get("TemplateSelectionExpression"), message, status=status)
    template = templates.get(key) if key is not None else None
    if template is None:
        template = templates.get(DEFAULT_KEY)
    if template is None:
        return body
    return render_template(template, {"body": body, "context": context, "stageVariables": stage_variables})


def run(integration: Mapping[str, Any], responses: list[dict[str, Any]], message: str | bytes,
        context: Mapping[str, Any], stage_variables: Mapping[str, str],
        call_lambda: Callable[[bytes], IntegrationResult], params: Mapping[str, Any] | None = None) -> NonProxyOutcome:
    """Run one ``AWS`` (Lambda) or ``MOCK`` integration for one message, up to the route response."""
    try:
        payload = request_payload(integration, message, context, stage_variables, params)
    except UnsupportedMediaType as exc:
        return NonProxyOutcome(IntegrationResult("error", log=str(exc)), error="Unsupported Media Type", status=415)
    except TemplateError as exc:
        return _config_error(f"Execution failed due to configuration error: {exc}")
    if integration.get("IntegrationType") == "MOCK":
        status = mock_status(payload)
        result, body, subject = IntegrationResult("ok", b""), "", str(status)
    else:
        result = call_lambda((payload or "{}").encode())  # an empty body invokes with {} (as REST's AWS)
        if result.outcome not in ("ok", "function_error"):
            status = 504 if result.outcome == "timeout" else 500
            return NonProxyOutcome(result, error="Internal server error", status=status)
        status, body = 200, result.payload.decode("utf-8", "replace")
        subject = lambda_error_message(result.payload) if result.outcome == "function_error" else ""
    chosen = choose_response(responses, subject)
    if chosen is None:  # REST's rule for a missing output mapping; for WebSocket **unverified**
        return _config_error("Execution failed due to configuration error: No match for output mapping and no "
                             f"default output mapping configured. Endpoint Response Status Code: {status}", result)
    try:
        reply = response_body(chosen, body, message, status, context, stage_variables)
    except TemplateError as exc:
        return _config_error(f"Execution failed due to configuration error: {exc}", result)
    return NonProxyOutcome(IntegrationResult("ok", reply.encode(), result.integration_latency_ms,
                                             result.function_name, result.lambda_request_id), reply, status=status)


def _config_error(log: str, result: IntegrationResult | None = None) -> NonProxyOutcome:
    base = result or IntegrationResult("error")
    failed = IntegrationResult("error", base.payload, base.integration_latency_ms, base.function_name,
                               base.lambda_request_id, log)
    return NonProxyOutcome(failed, error="Internal server error", status=500)


def template_context(ctx: ev.EventContext, route_key: str, event_type: str, request_id: str, now: float,
                     message_id: str | None, user_agent: str) -> dict[str, Any]:
    """``$context`` of a WebSocket API [AGDG websocket-api-mapping-template-reference]."""
    out: dict[str, Any] = {
        "apiId": ctx.api_id, "connectedAt": ctx.connected_at_ms, "connectionId": ctx.connection_id,
        "domainName": ctx.domain_name, "eventType": event_type, "extendedRequestId": request_id,
        "identity": {"sourceIp": ctx.source_ip, "userAgent": user_agent}, "messageDirection": "IN",
        "requestId": request_id, "requestTime": ev.request_time(now), "requestTimeEpoch": int(now * 1000),
        "routeKey": route_key, "stage": ctx.stage}
    if message_id is not None:
        out["messageId"] = message_id
    if ctx.authorizer is not None:
        out["authorizer"] = dict(ctx.authorizer)
    return out
