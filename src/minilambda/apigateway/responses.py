"""From a Lambda proxy result to the client's HTTP response, and API Gateway's own error answers.

Rules from aws-facts §8.4 and the recordings ``proxy_response_valid_shapes`` /
``proxy_response_malformed_502``: format 1.0 accepts only ``statusCode``, ``headers``,
``multiValueHeaders``, ``body`` and ``isBase64Encoded``; anything else (an unknown key, ``{}``, a
non-numeric status, a non-list multi-value header, a bare string) is malformed → 502. Format 2.0
infers a 200 JSON answer from a result without ``statusCode``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from .events import is_binary

V1_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}

# REST gateway response types: default status and the message AWS puts in $context.error.messageString.
GATEWAY_RESPONSES: dict[str, str | None] = {
    "ACCESS_DENIED": "403", "API_CONFIGURATION_ERROR": "500", "AUTHORIZER_CONFIGURATION_ERROR": "500",
    "AUTHORIZER_FAILURE": "500", "BAD_REQUEST_BODY": "400", "BAD_REQUEST_PARAMETERS": "400",
    "DEFAULT_4XX": None, "DEFAULT_5XX": None, "EXPIRED_TOKEN": "403", "INTEGRATION_FAILURE": "504",
    "INTEGRATION_TIMEOUT": "504", "INVALID_API_KEY": "403", "INVALID_SIGNATURE": "403",
    "MISSING_AUTHENTICATION_TOKEN": "403", "QUOTA_EXCEEDED": "429", "REQUEST_TOO_LARGE": "413",
    "RESOURCE_NOT_FOUND": "404", "THROTTLED": "429", "UNAUTHORIZED": "401", "UNSUPPORTED_MEDIA_TYPE": "415",
    "WAF_FILTERED": "403"}
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'

ERROR_TYPES = {
    "MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException", "INVALID_API_KEY": "ForbiddenException",
    "ACCESS_DENIED": "AccessDeniedException", "UNAUTHORIZED": "UnauthorizedException",
    "THROTTLED": "TooManyRequestsException", "QUOTA_EXCEEDED": "LimitExceededException",
    "BAD_REQUEST_PARAMETERS": "BadRequestException", "BAD_REQUEST_BODY": "BadRequestException",
    "REQUEST_TOO_LARGE": "RequestTooLargeException", "INTEGRATION_TIMEOUT": "InternalServerErrorException",
    "DEFAULT_5XX": "InternalServerErrorException", "AUTHORIZER_CONFIGURATION_ERROR": "AuthorizerConfigurationException",
    "AUTHORIZER_FAILURE": "AuthorizerConfigurationException", "INVALID_SIGNATURE": "InvalidSignatureException",
    "EXPIRED_TOKEN": "ExpiredTokenException", "RESOURCE_NOT_FOUND": "NotFoundException",
    "API_CONFIGURATION_ERROR": "InternalServerErrorException", "UNSUPPORTED_MEDIA_TYPE": "UnsupportedMediaTypeException"}


@dataclass(frozen=True)
class GatewayError:
    """An answer API Gateway gives itself: gateway response type, status, message and exact body.

    ``body`` is what AWS sends with the default gateway response; a customised gateway response
    renders its own template with ``message`` as ``$context.error.messageString``.
    """

    response_type: str
    status: int
    message: str | None
    body: str
    log: str = ""


def gateway_error(response_type: str, message: str | None, *, status: int | None = None, body: str | None = None,
                  log: str = "") -> GatewayError:
    """An error with AWS's default body ``{"message":"…"}`` (no space) unless *body* is given."""
    code = status if status is not None else int(GATEWAY_RESPONSES.get(response_type) or 500)
    text = body if body is not None else json.dumps({"message": message}, separators=(",", ":"))
    return GatewayError(response_type, code, message, text, log)


@dataclass(frozen=True)
class ProxyAnswer:
    """A parsed proxy result: status, header lines (in order), body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class MalformedResponse(ValueError):
    """The function's result is not a valid proxy response."""


def _status(value: Any) -> int:
    if isinstance(value, bool):
        raise MalformedResponse("statusCode must be a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise MalformedResponse(f"statusCode {value!r} is not a number")


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def parse_v1(payload: bytes, *, binary_media_types: list[str], accept: str | None) -> ProxyAnswer:
    """A format-1.0 (REST / HTTP "1.0") proxy result; raises MalformedResponse like AWS's 502."""
    try:
        result = json.loads(payload or b"null")
    except ValueError as exc:
        raise MalformedResponse("not JSON") from exc
    if not isinstance(result, dict) or not result or set(result) - V1_KEYS:
        raise MalformedResponse("the result must be an object of statusCode, headers, multiValueHeaders, body, "
                                "isBase64Encoded")
    status = _status(result.get("statusCode", 200))
    lines: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        raise MalformedResponse("headers must be objects")
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponse(f"multiValueHeaders[{name!r}] must be a list")
        lines.extend((name, _stringify(v)) for v in values)
    for name, value in single.items():
        known = next((k for k, _ in lines if k.lower() == name.lower()), name)
        lines.append((known, _stringify(value)))
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedResponse("body must be a string")
    data = (body or "").encode()
    content_type = next((v for k, v in lines if k.lower() == "content-type"), None)
    if result.get("isBase64Encoded") and body and (is_binary(accept, binary_media_types)
                                                   or is_binary(content_type, binary_media_types)):
        try:
            data = base64.b64decode(body)
        except ValueError as exc:
            raise MalformedResponse("body is not base64") from exc
    return ProxyAnswer(status, tuple(lines), data)


def parse_v2(payload: bytes) -> ProxyAnswer:
    """A format-2.0 (HTTP API) result: structured when it has ``statusCode``, else inferred (200 JSON)."""
    try:
        result = json.loads(payload or b"null")
    except ValueError as exc:
        raise MalformedResponse("not JSON") from exc
    if not isinstance(result, dict) or "statusCode" not in result:
        text = result if isinstance(result, str) else json.dumps(result)
        return ProxyAnswer(200, (("Content-Type", "application/json"),), text.encode())
    status = _status(result["statusCode"])
    lines: list[tuple[str, str]] = []
    headers = result.get("headers") or {}
    if not isinstance(headers, dict):
        raise MalformedResponse("headers must be an object")
    for name, value in headers.items():
        lines.append((name, _stringify(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        lines.extend((name, _stringify(v)) for v in (values if isinstance(values, list) else [values]))
    for cookie in result.get("cookies") or []:
        lines.append(("Set-Cookie", str(cookie)))
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    data = (body or "").encode()
    if result.get("isBase64Encoded") and body:
        try:
            data = base64.b64decode(body)
        except ValueError as exc:
            raise MalformedResponse("body is not base64") from exc
    return ProxyAnswer(status, tuple(lines), data)
