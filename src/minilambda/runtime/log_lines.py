"""AWS's platform log lines and records (``aws-facts-2.md`` §1): INIT_START, INIT_REPORT, START,
END, REPORT, the runtime-exit and old timeout lines, their JSON-format twins (``platform.*``),
and the ``LogType=Tail`` tail."""

from __future__ import annotations

import base64
import datetime as _dt
import json
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
                init_ms: float | None = None, status: str | None = None, error_type: str | None = None) -> str:
    """The tab-separated REPORT line: a trailing tab after the memory/init fields, then
    ``Status: timeout`` or ``Status: error\tError Type: Runtime.OutOfMemory`` when it did not succeed."""
    line = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed_ms} ms\t"
            f"Memory Size: {memory_size} MB\tMax Memory Used: {max_memory_used} MB\t")
    if init_ms is not None:
        line += f"Init Duration: {init_ms:.2f} ms\t"
    if status:
        line += f"Status: {status}"
        if error_type:
            line += f"\tError Type: {error_type}"
    return line


def init_report_line(init_ms: float, phase: str, status: str, error_type: str | None = None) -> str:
    """``INIT_REPORT Init Duration: 9999.79 ms\tPhase: init\tStatus: timeout`` (failed or timed-out INIT)."""
    line = f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: {phase}\tStatus: {status}"
    if error_type:
        line += f"\tError Type: {error_type}"
    return line


def runtime_exit_line(request_id: str, message: str, error_type: str = "Runtime.ExitError") -> str:
    """``RequestId: <id> Error: Runtime exited with error: signal: killed\nRuntime.ExitError`` (one event)."""
    return f"RequestId: {request_id} Error: {message}\n{error_type}"


def timed_out_line(when: float, request_id: str, seconds: float) -> str:
    """The older separate timeout line: ``<ISO time> <id> Task timed out after 3.01 seconds``."""
    return f"{iso_ms(when)} {request_id} Task timed out after {seconds:.2f} seconds"


def iso_ms(when: float) -> str:
    """``2024-05-20T16:29:44.833Z``."""
    stamp = _dt.datetime.fromtimestamp(when, tz=_dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def platform_record(when: float, kind: str, record: dict) -> str:
    """One JSON-format system log event: ``{"time", "type": "platform.<kind>", "record"}``."""
    return json.dumps({"time": iso_ms(when), "type": f"platform.{kind}", "record": record}, separators=(",", ":"))


def json_init_records(when: float, init_type: str, phase: str, status: str, init_ms: float,
                      runtime: str, function_name: str, version: str, error_type: str | None = None,
                      region: str = "us-east-1") -> list[str]:
    """platform.initStart, platform.initRuntimeDone and platform.initReport for one INIT."""
    version_name = init_start_line(runtime, region=region).split("Runtime Version: ", 1)[1].split("\t", 1)[0]
    start = {"initializationType": init_type, "phase": phase, "runtimeVersion": version_name,
             "runtimeVersionArn": f"arn:aws:lambda:{region}::runtime:local", "functionName": function_name,
             "functionVersion": version}
    done: dict = {"initializationType": init_type, "phase": phase, "status": status}
    if error_type:
        done["errorType"] = error_type
    report = dict(done, metrics={"durationMs": round(init_ms, 3)})
    end = when + init_ms / 1000.0
    return [platform_record(when, "initStart", start), platform_record(end, "initRuntimeDone", done),
            platform_record(end, "initReport", report)]


def json_start_record(when: float, request_id: str, version: str) -> str:
    """platform.start."""
    return platform_record(when, "start", {"requestId": request_id, "version": version})


def json_end_records(when: float, request_id: str, status: str, duration_ms: float, billed_ms: int,
                     memory_size: int, max_memory_used: int, init_ms: float | None = None,
                     error_type: str | None = None, produced_bytes: int = 0) -> list[str]:
    """platform.runtimeDone and platform.report (``status``: success|error|failure|timeout)."""
    done: dict = {"requestId": request_id, "status": status}
    if error_type:
        done["errorType"] = error_type
    done["metrics"] = {"durationMs": round(duration_ms, 3), "producedBytes": produced_bytes}
    metrics: dict = {"durationMs": round(duration_ms, 3), "billedDurationMs": billed_ms,
                     "memorySizeMB": memory_size, "maxMemoryUsedMB": max_memory_used}
    if init_ms is not None:
        metrics["initDurationMs"] = round(init_ms, 3)
    report: dict = {"requestId": request_id, "status": status}
    if error_type:
        report["errorType"] = error_type
    report["metrics"] = metrics
    return [platform_record(when, "runtimeDone", done), platform_record(when, "report", report)]


def tail(lines: list[str], limit: int = 4096) -> str:
    """Base64 of the last *limit* bytes of the log (lines joined with newlines), as X-Amz-Log-Result."""
    data = "".join(line if line.endswith("\n") else line + "\n" for line in lines).encode("utf-8")
    return base64.b64encode(data[-limit:]).decode("ascii")
