"""AWS's platform log lines (INIT_START, START, END, REPORT) and the ``LogType=Tail`` tail."""

from __future__ import annotations

import base64
import platform


def init_start_line(runtime: str, python_version: str | None = None, region: str = "us-east-1") -> str:
    """``INIT_START Runtime Version: python:3.12.v(local-3.11.7)\\tRuntime Version ARN: ...``.

    The version names the LOCAL interpreter that really runs the handler.
    """
    local = python_version or platform.python_version()
    family, _, version = runtime.partition("python")
    name = f"python:{version}" if not family and version else runtime
    return (f"INIT_START Runtime Version: {name}.v(local-{local})\t"
            f"Runtime Version ARN: arn:aws:lambda:{region}::runtime:local")


def start_line(request_id: str, version: str) -> str:
    """``START RequestId: <id> Version: $LATEST``."""
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    """``END RequestId: <id>``."""
    return f"END RequestId: {request_id}"


def report_line(request_id: str, duration_ms: float, billed_ms: int, memory_size: int, max_memory_used: int,
                init_ms: float | None = None) -> str:
    """The tab-separated REPORT line with its trailing tab; ``Init Duration`` only on a cold start."""
    line = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed_ms} ms\t"
            f"Memory Size: {memory_size} MB\tMax Memory Used: {max_memory_used} MB\t")
    if init_ms is not None:
        line += f"Init Duration: {init_ms:.2f} ms\t"
    return line


def tail(lines: list[str], limit: int = 4096) -> str:
    """Base64 of the last *limit* bytes of the log (lines joined with newlines), as X-Amz-Log-Result."""
    data = "".join(line if line.endswith("\n") else line + "\n" for line in lines).encode("utf-8")
    return base64.b64encode(data[-limit:]).decode("ascii")
