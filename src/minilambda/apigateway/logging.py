"""Access logs: a stage's ``accessLogSettings`` format with ``$context`` variables, written to the
CloudWatch Logs group its ``destinationArn`` names (``arn:aws:logs:{region}:{account}:log-group:{name}``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .events import request_time

if TYPE_CHECKING:
    from .exchange import DataPlane as ApiGateway, Exchange  # not dataplane.py: it imports this module
    from .records import ApiRequest

_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)|\$\{context\.([A-Za-z0-9_.]+)\}")


def context_values(exchange: "Exchange", record: "ApiRequest") -> dict[str, Any]:
    """The ``$context`` variables AWS documents for access logs, for one request."""
    request = exchange.request
    http_like = exchange.api_type != "REST"  # HTTP APIs' request id is the apigw-requestid value
    values: dict[str, Any] = {
        "requestId": exchange.extended_id if http_like else exchange.request_id, "extendedRequestId": exchange.extended_id, "apiId": exchange.api_id,
        "stage": exchange.stage or "", "httpMethod": request.method, "path": request.raw_path,
        "protocol": request.protocol, "status": record.status, "responseLength": record.response_bytes,
        "requestTime": request_time(exchange.start), "requestTimeEpoch": int(exchange.start * 1000),
        "identity.sourceIp": request.source_ip, "identity.userAgent": request.header("user-agent") or "",
        "integrationLatency": "-" if record.integration_latency_ms is None else int(record.integration_latency_ms),
        "responseLatency": int(record.latency_ms), "domainName": request.header("host") or "",
        "error.responseType": record.error_type or "-", "error.message": record.error or "-",
        "routeKey": exchange.route or "-", "resourcePath": exchange.context.get("resourcePath", "-"),
        "integrationErrorMessage": record.error or "-"}
    for key, value in exchange.context.items():
        values.setdefault(key, value)
    return values


def render_access_log(fmt: str, values: dict[str, Any]) -> str:
    """Substitute ``$context.x`` variables (missing ones print ``-``, as AWS does)."""
    def value(m: re.Match[str]) -> str:
        found = values.get(m.group(1) or m.group(2))
        return "-" if found is None else str(found)

    return _VARIABLE.sub(value, fmt)


def _log_group(destination_arn: str) -> str | None:
    marker = ":log-group:"
    if marker not in destination_arn:
        return None
    name = destination_arn.split(marker, 1)[1]
    return name[:-2] if name.endswith(":*") else name


def write_access_log(gw: "ApiGateway", exchange: "Exchange", record: "ApiRequest") -> None:
    """Write the stage's access log line, when the stage has access logging configured."""
    if exchange.stage is None:
        return
    view = gw.config.api(exchange.api_id)
    stages = getattr(view, "stages", {}) or {}
    stage = stages.get(exchange.stage) or {}
    settings = stage.get("accessLogSettings") or stage.get("AccessLogSettings") or {}
    fmt = settings.get("format") or settings.get("Format")
    destination = settings.get("destinationArn") or settings.get("DestinationArn")
    group = _log_group(destination or "")
    if not fmt or not group:
        return
    line = render_access_log(fmt, context_values(exchange, record))
    timestamp = exchange.start if gw.cloud.clock.virtual else None
    gw.cloud.logs.write(group, f"{exchange.api_id}-{exchange.stage}", [line], timestamp=timestamp)


# -- execution logs (REST APIs only; HTTP APIs have access logs only) ---------------------------

MAX_EVENT_BYTES = 1024  # "Log events are truncated at 1 KB" [AGDG rest-api-execution-logging.md]


def method_log_settings(method_settings: dict[str, Any] | None, resource_path: str | None,
                        http_method: str | None) -> tuple[str, bool]:
    """``(loggingLevel, dataTraceEnabled)`` for one method of a REST stage: the method's own entry
    (``~1pets~1{id}/GET``) wins over ``*/*``; nothing set is ``("OFF", False)`` as on AWS."""
    settings = method_settings or {}
    wanted = ("/" + (resource_path or "").strip("/"), (http_method or "").upper())
    chosen = dict(settings.get("*/*") or {})
    for key, entry in settings.items():
        path, _, method = key.replace("~1", "/").rpartition("/")
        if key != "*/*" and ("/" + path.strip("/"), method.upper()) == wanted:
            chosen.update({k: v for k, v in (entry or {}).items() if k in ("loggingLevel", "dataTraceEnabled")})
    level = str(chosen.get("loggingLevel") or "OFF").upper()
    return level, bool(chosen.get("dataTraceEnabled", False))


def execution_log_lines(lines: list[str], levels: list[str], logging_level: str, data_trace: bool) -> list[str]:
    """The lines AWS writes at this logging level: none when ``OFF``; only errors at ``ERROR``;
    everything at ``INFO``, request and response bodies only with ``dataTraceEnabled``."""
    if logging_level not in ("INFO", "ERROR"):
        return []
    wanted = {"ERROR"} if logging_level == "ERROR" else ({"INFO", "ERROR", "DATA"} if data_trace else {"INFO", "ERROR"})
    kept = [line for line, level in zip(lines, levels) if level in wanted]
    return [_truncate(line) for line in kept]


def _truncate(line: str) -> str:
    data = line.encode()
    return line if len(data) <= MAX_EVENT_BYTES else data[:MAX_EVENT_BYTES].decode("utf-8", "ignore")


def write_execution_log(gw: "ApiGateway", exchange: "Exchange") -> None:
    """Write a REST request's execution log to ``API-Gateway-Execution-Logs_{api}/{stage}``, only
    when the stage's method settings set ``loggingLevel`` (``*/*/logging/loglevel``)."""
    if exchange.stage is None or exchange.api_type != "REST":
        return
    view = gw.config.api(exchange.api_id)
    stage = (getattr(view, "stages", {}) or {}).get(exchange.stage) or {}
    level, data_trace = method_log_settings(stage.get("methodSettings"), exchange.context.get("resourcePath"),
                                            exchange.context.get("httpMethod"))
    lines = execution_log_lines(exchange.log, exchange.log_levels, level, data_trace)
    if not lines:
        return
    group = f"API-Gateway-Execution-Logs_{exchange.api_id}/{exchange.stage}"
    if exchange.canary:
        group += "/Canary"
    gw.cloud.logs.write(group, "execution", lines, timestamp=exchange.start if gw.cloud.clock.virtual else None)
