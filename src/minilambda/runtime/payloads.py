"""AWS's error payloads for what happens to a runtime: timeouts, exits, oversized responses."""

from __future__ import annotations

import json
from typing import Any

MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100  # 6,291,556: the Runtime API's limit
_SIGNAL_NAMES = {  # Go's names, as Lambda's Runtime.ExitError messages print them
    1: "hangup", 2: "interrupt", 3: "quit", 4: "illegal instruction", 5: "trace/breakpoint trap",
    6: "aborted", 7: "bus error", 8: "floating point exception", 9: "killed", 10: "user defined signal 1",
    11: "segmentation fault", 12: "user defined signal 2", 13: "broken pipe", 14: "alarm clock",
    15: "terminated",
}


def compact(obj: Any) -> bytes:
    """Compact JSON, as the Lambda service writes its own error payloads."""
    return json.dumps(obj, separators=(",", ":")).encode()


def exit_message(returncode: int) -> str:
    """Lambda's text for a runtime that exited with *returncode* (negative: killed by a signal)."""
    if returncode == 0:
        return "Runtime exited without providing a reason"
    if returncode > 0:
        return f"Runtime exited with error: exit status {returncode}"
    name = _SIGNAL_NAMES.get(-returncode, f"signal {-returncode}")
    return f"Runtime exited with error: signal: {name}"


def timeout_payload(request_id: str, timeout: float) -> bytes:
    """AWS's ``Sandbox.Timedout`` payload (errorType first)."""
    return compact({"errorType": "Sandbox.Timedout",
                     "errorMessage": f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"})


def exit_payload(request_id: str, returncode: int) -> bytes:
    """AWS's ``Runtime.ExitError`` payload for a runtime that exited (or was killed)."""
    return compact({"errorType": "Runtime.ExitError",
                     "errorMessage": f"RequestId: {request_id} Error: {exit_message(returncode)}"})


TOO_LARGE_PAYLOAD = compact({
    "errorMessage": f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
    "errorType": "Function.ResponseSizeTooLarge"})




def error_type_of(body: bytes) -> str:
    """The errorType inside a posted error body (awslambdaric sends no error-type header)."""
    try:
        value = json.loads(body).get("errorType")
    except (ValueError, AttributeError):
        return "Unhandled"
    return value if isinstance(value, str) and value else "Unhandled"
