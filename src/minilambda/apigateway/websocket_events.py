"""WebSocket API pieces that need no socket: ids, route selection, Lambda events, error frames.

Shapes follow real events recorded from AWS in Nov 2024 / Jan 2025 (aws-facts-2 §5, powertools
``tests/events/apiGatewayWebSocketApi*.json``): ``requestContext`` keys in AWS's order, epochs in
milliseconds, ids of 16 base64 characters ending in ``=``.
"""

from __future__ import annotations

import base64
import json
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

CONNECT, MESSAGE, DISCONNECT = "CONNECT", "MESSAGE", "DISCONNECT"
NO_STATUS_REASON = "Client-side close frame status not set"
NORMAL_CLOSURE_REASON = "Connection Closed Normally"  # 1000, e.g. after DeleteConnection (boto/boto3#3789)

_TERM = re.compile(r"\$\{request\.body\.([^}]*)\}")
_BARE = re.compile(r"^\$request\.body\.(.+)$")


def new_id(rng: random.Random) -> str:
    """A connection, message or request id as AWS writes them: 16 base64 characters ending in ``=``."""
    return base64.urlsafe_b64encode(rng.getrandbits(88).to_bytes(11, "big")).decode()


def request_time(epoch: float) -> str:
    """``requestTime`` as AWS formats it: ``11/Nov/2024:11:35:24 +0000``."""
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch))


def _lookup(document: Any, path: str) -> str:
    """The value at a dotted JSON path as text; a missing path gives ``""`` (AWS's rule)."""
    value = document
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return ""
        value = value[part]
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def select_route_key(expression: str, message: str | bytes) -> str | None:
    """The route key *message* selects under a ``RouteSelectionExpression``.

    Supports ``$request.body.<path>``, interpolations such as
    ``${request.body.service}/${request.body.action}`` and static keys (``\\$default``).
    Returns None when the message is not a JSON object: such messages go to ``$default``.
    """
    static = expression.replace("\\$", "$")
    if "request.body" not in expression:
        return static
    if isinstance(message, bytes):
        return None
    try:
        document = json.loads(message)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    bare = _BARE.match(expression)
    if bare:
        return _lookup(document, bare.group(1))
    return _TERM.sub(lambda m: _lookup(document, m.group(1)), expression).replace("\\$", "$")


@dataclass(frozen=True, slots=True)
class EventContext:
    """What every event of one connection shares (the ``requestContext`` constants)."""

    api_id: str
    stage: str
    connection_id: str
    connected_at_ms: int
    domain_name: str
    source_ip: str
    authorizer: dict[str, Any] | None = None
    stage_variables: dict[str, str] = field(default_factory=dict)


def _request_context(ctx: EventContext, route_key: str, event_type: str, request_id: str, now: float,
                     extra_head: dict[str, Any], extra_mid: dict[str, Any]) -> dict[str, Any]:
    """``requestContext`` with AWS's key order; *extra_head* goes after routeKey (``messageId``,
    ``disconnectStatusCode``), then ``authorizer`` if any (as in a 2023 execution log quoted in
    boto/boto3#3789), *extra_mid* after messageDirection (``disconnectReason``)."""
    auth = {} if ctx.authorizer is None else {"authorizer": dict(ctx.authorizer)}
    rc: dict[str, Any] = {"routeKey": route_key, **extra_head, **auth, "eventType": event_type,
                          "extendedRequestId": request_id, "requestTime": request_time(now),
                          "messageDirection": "IN", **extra_mid, "stage": ctx.stage,
                          "connectedAt": ctx.connected_at_ms, "requestTimeEpoch": int(now * 1000),
                          "identity": {"sourceIp": ctx.source_ip}, "requestId": request_id,
                          "domainName": ctx.domain_name, "connectionId": ctx.connection_id, "apiId": ctx.api_id}
    return rc


def _header_maps(headers: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``headers`` (last value wins, as AWS) and ``multiValueHeaders``."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def connect_event(ctx: EventContext, request_id: str, now: float, headers: Iterable[tuple[str, str]],
                  query: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The ``$connect`` event: request headers, the query string if one was sent, no body."""
    single, multi = _header_maps(headers)
    event: dict[str, Any] = {"headers": single, "multiValueHeaders": multi}
    qs, mqs = _header_maps(query)
    if qs:
        event["queryStringParameters"] = qs
        event["multiValueQueryStringParameters"] = mqs
    event["requestContext"] = _request_context(ctx, "$connect", CONNECT, request_id, now, {}, {})
    event["isBase64Encoded"] = False
    return event


def message_event(ctx: EventContext, route_key: str, message_id: str, request_id: str, now: float,
                  message: str | bytes) -> dict[str, Any]:
    """A message event: no headers; ``messageId`` right after ``routeKey``; binary frames base64."""
    binary = isinstance(message, bytes)
    body = base64.b64encode(message).decode() if binary else message
    return {"requestContext": _request_context(ctx, route_key, MESSAGE, request_id, now,
                                               {"messageId": message_id}, {}),
            "body": body, "isBase64Encoded": binary}


def disconnect_event(ctx: EventContext, request_id: str, now: float, status_code: int,
                     reason: str) -> dict[str, Any]:
    """The ``$disconnect`` event with the fixed header set AWS sends and the close status."""
    single, multi = _header_maps([("Host", ctx.domain_name), ("x-api-key", ""), ("X-Forwarded-For", ""),
                                  ("x-restapi", "")])
    rc = _request_context(ctx, "$disconnect", DISCONNECT, request_id, now, {"disconnectStatusCode": status_code},
                          {"disconnectReason": reason})
    return {"headers": single, "multiValueHeaders": multi, "requestContext": rc, "isBase64Encoded": False}


def authorizer_event(ctx: EventContext, method_arn: str, request_id: str, now: float,
                     headers: Iterable[tuple[str, str]], query: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The REQUEST authorizer event of ``$connect`` (empty maps present as ``{}``)."""
    single, multi = _header_maps(headers)
    qs, mqs = _header_maps(query)
    return {"type": "REQUEST", "methodArn": method_arn, "headers": single, "multiValueHeaders": multi,
            "queryStringParameters": qs, "multiValueQueryStringParameters": mqs,
            "stageVariables": dict(ctx.stage_variables),
            "requestContext": _request_context(ctx, "$connect", CONNECT, request_id, now, {}, {})}


def error_frame(message: str, connection_id: str, request_id: str) -> str:
    """AWS's error frame, spacing included: a space only after ``"message":``."""
    return (f'{{"message": {json.dumps(message)}, "connectionId":{json.dumps(connection_id)}, '
            f'"requestId":{json.dumps(request_id)}}}')
