"""The narrow ports between API Gateway and the rest of the Cloud (``LambdaBackend``, the clock).

``invoke_lambda_integration`` is what every API Gateway integration (REST, HTTP, WebSocket routes,
Lambda authorizers) calls to run a Lambda function. It is the only place that touches the Lambda
backend, so a new Lambda layout changes this file alone.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import AwsError

Outcome = Literal["ok", "function_error", "timeout", "throttled", "permission_denied", "not_found",
                  "too_large", "error"]

INIT_LIMIT_S = 10.0  # AWS caps INIT at 10 s
_URI = re.compile(r"^arn:aws[\w-]*:apigateway:[^:]+:lambda:path/2015-03-31/functions/(?P<fn>.+?)/invocations/?$")
_FUNCTION_ARN = re.compile(r"^arn:aws[\w-]*:lambda:(?P<region>[^:]+):(?P<account>\d{12}):function:"
                           r"(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?$")


@dataclass(frozen=True)
class IntegrationResult:
    """How one Lambda integration call ended, as API Gateway sees it.

    ``outcome``: ``ok`` (payload is the function's result), ``function_error`` (the function raised:
    payload is Lambda's error JSON), ``timeout`` (the integration timeout passed first),
    ``throttled`` (Lambda answered 429), ``permission_denied`` (no resource-policy statement lets
    API Gateway invoke it), ``not_found``, ``too_large`` (request over Lambda's 6 MB) or ``error``.
    ``log`` is the execution-log reason for anything but ``ok``.
    """

    outcome: Outcome
    payload: bytes = b""
    integration_latency_ms: float = 0.0
    function_name: str = ""
    lambda_request_id: str | None = None
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def function_of_uri(uri: str) -> str:
    """The function ARN or name behind an integration URI (Lambda invocation URI or a function ARN)."""
    m = _URI.match(uri or "")
    return m.group("fn") if m else uri


def split_function(ref: str) -> tuple[str, str | None]:
    """``(name, qualifier)`` from a function ARN (qualified or not) or a bare name."""
    m = _FUNCTION_ARN.match(ref)
    if m:
        return m.group("name"), m.group("qualifier")
    name, _, qualifier = ref.partition(":")
    return name, qualifier or None


def invoke_lambda_integration(cloud: Any, integration_uri: str, event: dict[str, Any] | bytes, *,
                              source_arn: str, timeout_ms: float, check_permission: bool = True,
                              advance_clock: bool = True) -> IntegrationResult:
    """Invoke the function behind *integration_uri* with *event* as API Gateway does.

    Args:
        cloud: the Cloud whose Lambda backend runs the function.
        integration_uri: ``arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations``
            or a function ARN (HTTP/WebSocket APIs accept both); stage variables already substituted.
        event: the event (dict, serialised as JSON) or raw bytes.
        source_arn: ``arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}/{path}`` (REST,
            HTTP) or ``…/{stage}/{route-key}`` (WebSocket): checked against the function's resource
            policy (``lam.add_permission``) unless *check_permission* is False (an integration role).
        timeout_ms: the integration timeout; a longer invocation ends as ``timeout`` after exactly
            this long on the Cloud's clock (the function itself runs on, as on AWS).
        advance_clock: on a virtual clock, move it to the end of the call (False: leave it).
    """
    payload = event if isinstance(event, bytes) else json.dumps(event).encode()
    function_ref = function_of_uri(integration_uri)
    name, qualifier = split_function(function_ref)
    lambda_ = cloud.lambda_
    try:
        fn, fv, q = lambda_.resolve(name, qualifier)
    except AwsError as err:
        return IntegrationResult("not_found", function_name=name, log=f"Lambda function not found: {err.message}")
    if check_permission and not lambda_.permissions.allows(fn.name, q, source_arn):
        return IntegrationResult("permission_denied", function_name=fn.name,
                                 log="Execution failed due to configuration error: Invalid permissions on Lambda "
                                     f"function (no resource-based policy statement allows "
                                     f"apigateway.amazonaws.com to invoke it from {source_arn})")
    if len(payload) > 6_291_456:
        return IntegrationResult("too_large", function_name=fn.name,
                                 log="Lambda rejected the request: payload over 6291456 bytes")
    return _run(cloud, fn, fv, q, payload, timeout_ms, advance_clock)


def _run(cloud: Any, fn: Any, fv: Any, qualifier: str | None, payload: bytes, timeout_ms: float,
         advance_clock: bool) -> IntegrationResult:
    """Run the invocation through the Lambda backend and judge it against the integration timeout."""
    clock = cloud.clock
    start = clock.now()
    fv = cloud.lambda_.target_version(fn, qualifier)
    if clock.virtual or (fv.timeout + INIT_LIMIT_S) * 1000.0 <= timeout_ms:
        # Virtual clock: judged from the record. Wall clock: the function's own timeout (plus at
        # most 10 s of INIT) ends it before the integration timeout, so no watchdog thread is needed.
        outcome = _execute(cloud, fn, fv, qualifier, payload)
    else:
        outcome = _execute_with_deadline(cloud, fn, fv, qualifier, payload, timeout_ms / 1000.0)
    if isinstance(outcome, IntegrationResult):
        return outcome
    record, out = outcome
    elapsed_ms = (record.end - start) * 1000.0 if clock.virtual else (clock.now() - start) * 1000.0
    timed_out = elapsed_ms > timeout_ms
    if clock.virtual and advance_clock:
        clock.advance_to(start + min(elapsed_ms, timeout_ms) / 1000.0)
    if timed_out or out is None:
        return IntegrationResult("timeout", integration_latency_ms=timeout_ms, function_name=fn.name,
                                 lambda_request_id=record.request_id if record else None,
                                 log=f"Execution failed due to a timeout error (integration timeout {timeout_ms:.0f} ms)")
    kind = "function_error" if out.function_error else "ok"
    log = f"Lambda execution failed with status 200 due to customer function error: {out.function_error}" \
        if out.function_error else ""
    return IntegrationResult(kind, out.payload, round(elapsed_ms, 3), fn.name, record.request_id, log)


def _execute(cloud: Any, fn: Any, fv: Any, qualifier: str | None, payload: bytes) -> Any:
    try:
        out = cloud.lambda_.invoke(fn, qualifier, payload, advance_clock=False, trigger="apigateway",
                                   version=fv)
    except AwsError as err:
        return _refused(fn.name, err)
    return out.record, out


def _execute_with_deadline(cloud: Any, fn: Any, fv: Any, qualifier: str | None, payload: bytes,
                           timeout_s: float) -> Any:
    """Wall clock: wait at most *timeout_s* for the invocation (it goes on in its thread after)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["out"] = cloud.lambda_.invoke(fn, qualifier, payload, trigger="apigateway", version=fv)
        except AwsError as err:
            box["err"] = err
        except BaseException as exc:  # noqa: BLE001 - reported as an integration error below
            box["exc"] = exc

    worker = threading.Thread(target=run, name="apigw-integration", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        return _TimedOut(), None
    if "err" in box:
        return _refused(fn.name, box["err"])
    if "exc" in box:
        return IntegrationResult("error", function_name=fn.name, log=f"Lambda invocation failed: {box['exc']!r}")
    return box["out"].record, box["out"]


class _TimedOut:
    """Stands for the record of an invocation still running when the integration timed out."""

    request_id = None
    end = float("inf")


def _refused(function_name: str, err: AwsError) -> IntegrationResult:
    if err.status == 429:
        return IntegrationResult("throttled", function_name=function_name,
                                 log=f"Lambda invocation failed with status: 429. Lambda request id: n/a "
                                     f"({err.code}: {err.message})")
    return IntegrationResult("error", function_name=function_name,
                             log=f"Lambda invocation failed with status: {err.status} ({err.code}: {err.message})")
