"""Runtimes (module 09): a custom runtime in the standard library, awslambdaric as a layer, an extension,
and INIT vs warm duration measured per runtime.

AWS: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html ,
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html
"""

from __future__ import annotations

import importlib.util
import os
import statistics
from dataclasses import dataclass
from typing import Any, Iterable

# (method, path under http://$AWS_LAMBDA_RUNTIME_API/2018-06-01, when a runtime calls it)
RUNTIME_API: tuple[tuple[str, str, str], ...] = (
    ("GET", "/runtime/invocation/next", "wait for the next event (blocks); headers carry the request id, "
                                        "deadline and function ARN"),
    ("POST", "/runtime/invocation/{AwsRequestId}/response", "send the handler's result"),
    ("POST", "/runtime/invocation/{AwsRequestId}/error", "report that the handler failed (errorMessage, "
                                                         "errorType)"),
    ("POST", "/runtime/init/error", "report that INIT failed (e.g. the handler cannot be imported)"),
)

_BOOTSTRAP = '''#!/usr/bin/env python3
"""A custom runtime in {lines} lines: load the handler, then loop on the Runtime API."""
import importlib, json, os, sys, traceback, urllib.request

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"

def call(path, body=None, headers={{}}):
    req = urllib.request.Request(API + path, data=body, headers=headers, method="POST" if body else "GET")
    with urllib.request.urlopen(req) as resp:
        return resp.headers, resp.read()

def error_body(exc):
    return json.dumps({{"errorMessage": str(exc), "errorType": type(exc).__name__,
                       "stackTrace": traceback.format_tb(exc.__traceback__)}}).encode()

sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
module_name, function_name = os.environ["_HANDLER"].rsplit(".", 1)
try:
    handler = getattr(importlib.import_module(module_name), function_name)
except Exception as exc:  # report it as AWS's Python runtime does, then stop
    body = {{"errorMessage": f"Unable to import module '{{module_name}}': {{exc}}",
            "errorType": "Runtime.ImportModuleError", "stackTrace": []}}
    call("/init/error", json.dumps(body).encode(), {{"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"}})
    sys.exit(1)
while True:
    headers, event = call("/invocation/next")
    request_id = headers["Lambda-Runtime-Aws-Request-Id"]
    try:
        result = handler(json.loads(event), {{"aws_request_id": request_id}})
        call(f"/invocation/{{request_id}}/response", json.dumps(result).encode())
    except Exception as exc:
        print(f"[ERROR] {{type(exc).__name__}}: {{exc}}", flush=True)
        call(f"/invocation/{{request_id}}/error", error_body(exc),
             {{"Lambda-Runtime-Function-Error-Type": "Unhandled"}})
'''


def python_bootstrap() -> str:
    """The source of a complete custom runtime (standard library only) for ``provided.al2023``.

    It passes a plain dict as ``context`` (only ``aws_request_id``): a real runtime builds the full
    context object from the ``/next`` headers, as awslambdaric does.
    """
    lines = _BOOTSTRAP.count("\n")
    return _BOOTSTRAP.format(lines=lines)


# The layer's bootstrap: the layer is mounted at /opt, so "$(dirname "$0")" is /opt on AWS.
RIC_BOOTSTRAP = '''#!/bin/sh
# Custom runtime from a layer: awslambdaric lives in <layer>/python; the handler in the task root.
LAYER="$(dirname "$0")"
export PYTHONPATH="$LAYER/python:$LAMBDA_TASK_ROOT"
exec python3 -m awslambdaric "$_HANDLER"
'''


def _installed(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        msg = f"{name} is not installed here: pip install awslambdaric (a course dependency)"
        raise ModuleNotFoundError(msg)
    return spec.origin


def ric_layer_files() -> dict[str, bytes]:
    """A layer holding ``bootstrap`` and, under ``python/``, awslambdaric and what it imports.

    Copied from this interpreter's installation (as ``pip install --target python/`` would): the
    compiled ``runtime_client`` extension only runs on this Python version and platform.
    """
    files = {"bootstrap": RIC_BOOTSTRAP.encode()}
    for package in ("awslambdaric", "simplejson"):
        root = os.path.dirname(_installed(package))
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in names:
                full = os.path.join(folder, name)
                rel = os.path.relpath(full, os.path.dirname(root)).replace(os.sep, "/")
                with open(full, "rb") as fh:
                    files[f"python/{rel}"] = fh.read()
    for module in ("runtime_client", "snapshot_restore_py"):
        origin = _installed(module)
        with open(origin, "rb") as fh:
            files[f"python/{os.path.basename(origin)}"] = fh.read()
    return files


# An external extension: its own process, registered with the Extensions API, told of each invoke.
EXTENSION_SOURCE = '''#!/usr/bin/env python3
"""shop-logger: an external Lambda extension (ships in a layer as extensions/shop-logger)."""
import json, os, urllib.request

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2020-01-01/extension"
register = urllib.request.Request(API + "/register", data=json.dumps({"events": ["INVOKE", "SHUTDOWN"]}).encode(),
                                  headers={"Lambda-Extension-Name": "shop-logger"}, method="POST")
extension_id = urllib.request.urlopen(register).headers["Lambda-Extension-Identifier"]
while True:
    nxt = urllib.request.Request(API + "/event/next", headers={"Lambda-Extension-Identifier": extension_id})
    event = json.loads(urllib.request.urlopen(nxt).read())
    print("[shop-logger]", event["eventType"], event.get("requestId", ""), flush=True)
    if event["eventType"] == "SHUTDOWN":
        break
'''


def zip_with_modes(files: dict[str, str | bytes], executables: Iterable[str] = ()) -> bytes:
    """Zip *files* like ``zip_files``, marking the paths in *executables* executable (mode 755)."""
    import io
    import stat
    import zipfile

    run = set(executables)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = ((0o755 if name in run else 0o644) | stat.S_IFREG) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = files[name]
            zf.writestr(info, data.encode() if isinstance(data, str) else data)
    return buf.getvalue()



@dataclass(frozen=True)
class RuntimeTiming:
    """Measured INIT (cold starts) and warm durations of one runtime."""

    runtime: str
    init_ms: float  # median INIT of its cold starts
    warm_ms: float  # median duration of its warm invocations
    cold_starts: int
    warm: int


def explore_runtimes(invocations: dict[str, Iterable[Any]]) -> list[RuntimeTiming]:
    """Summarise ``{label: [Invocation, ...]}`` into median INIT and warm durations per label."""
    rows = []
    for label, records in invocations.items():
        records = list(records)
        cold = [r.init_ms for r in records if r.cold]
        warm = [r.duration_ms for r in records if not r.cold]
        if not cold or not warm:
            msg = f"{label}: need at least one cold and one warm invocation, got {len(cold)} and {len(warm)}"
            raise ValueError(msg)
        rows.append(RuntimeTiming(label, statistics.median(cold), statistics.median(warm), len(cold), len(warm)))
    return rows


def draw_runtimes(rows: list[RuntimeTiming]):
    """INIT and warm duration side by side for each runtime (log scale: they differ 100-fold)."""
    from . import _shell

    fig, ax = _shell.figure(8, 3)
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], [r.init_ms for r in rows], 0.4, color="#d62728", label="INIT (cold start)")
    ax.bar([i + 0.2 for i in x], [max(r.warm_ms, 0.01) for r in rows], 0.4, color="#2ca02c",
           label="warm invocation")
    ax.set_xticks(list(x), [r.runtime for r in rows], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("milliseconds (median, log scale)")
    ax.set_title("Measured on this machine: INIT vs a warm invocation")
    ax.legend(fontsize=8, frameon=False)
    return fig

