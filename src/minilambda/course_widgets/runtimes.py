"""Module 09 helpers and explorers: custom runtimes, awslambdaric as a layer, and the AWS CLI.

* :data:`RUNTIME_API` lists the Runtime API calls a runtime makes; :func:`python_bootstrap` is a
  complete custom runtime in the standard library; :func:`ric_layer_files` packs the real
  ``awslambdaric`` (the runtime interface client AWS ships) as a layer with its ``bootstrap``.
* :func:`cli_payload` says what AWS CLI v1 and v2 do with ``invoke --payload`` under each
  ``--cli-binary-format``; :func:`cli_payload_explorer` makes it a widget.
* :func:`explore_runtimes` summarises INIT and warm durations measured per runtime.

AWS: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html ,
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html
"""

from __future__ import annotations

import base64
import binascii
import importlib.util
import os
import statistics
from dataclasses import dataclass
from typing import Any, Iterable

from . import _shell

__all__ = [
    "RUNTIME_API", "python_bootstrap", "RIC_BOOTSTRAP", "ric_layer_files", "EXTENSION_SOURCE", "zip_with_modes",
    "CliOutcome", "cli_payload", "cli_payload_explorer", "CLI_V1_REJECTS",
    "RuntimeTiming", "explore_runtimes", "draw_runtimes", "draw_runtime_api",
]

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


# ---------------------------------------------------------------------------------------------
# AWS CLI v1 vs v2: what `aws lambda invoke --payload '...'` sends.

CLI_V1_REJECTS = "Unknown options: --cli-binary-format"


@dataclass(frozen=True)
class CliOutcome:
    """What one CLI version does with a ``--payload`` under one ``--cli-binary-format``."""

    version: str
    binary_format: str
    accepted: bool
    sent: bytes  # what reaches Lambda's Invoke (empty if refused)
    message: str


def cli_payload(version: str, binary_format: str, payload: str) -> CliOutcome:
    """What AWS CLI *version* (``"v1"``/``"v2"``) sends for ``--payload payload``.

    *binary_format* is ``"(not given)"``, ``"raw-in-base64-out"`` or ``"base64"``. v1 sends the
    text as it is and has no ``--cli-binary-format`` option; v2 reads blob parameters as base64
    unless told ``raw-in-base64-out``.
    AWS: https://docs.aws.amazon.com/cli/latest/userguide/cliv2-migration-changes.html#cliv2-migration-binaryparam
    """
    if version not in ("v1", "v2") or binary_format not in ("(not given)", "raw-in-base64-out", "base64"):
        msg = f"version is 'v1' or 'v2' and binary_format '(not given)', 'raw-in-base64-out' or 'base64'; " \
              f"got {version!r}, {binary_format!r}"
        raise ValueError(msg)
    raw = payload.encode()
    if version == "v1":
        if binary_format != "(not given)":
            return CliOutcome(version, binary_format, False, b"", f"v1 stops before sending: {CLI_V1_REJECTS}")
        return CliOutcome(version, binary_format, True, raw, "v1 sends the text as it is")
    if binary_format == "raw-in-base64-out":
        return CliOutcome(version, binary_format, True, raw, "v2 sends the text as it is (told so)")
    try:
        decoded = base64.b64decode(raw, validate=True)
    except binascii.Error:
        return CliOutcome(version, binary_format, False, b"",
                          "v2 reads the payload as base64 by default and refuses it: Invalid base64")
    return CliOutcome(version, binary_format, True, decoded, "v2 decoded the base64 text and sends the bytes")


def _describe_cli(r: CliOutcome) -> str:
    flag = "" if r.binary_format == "(not given)" else f" --cli-binary-format {r.binary_format}"
    sent = repr(r.sent.decode(errors="replace")) if r.accepted else "nothing"
    return (f"<code>aws lambda invoke --function-name my-function{flag} --payload ... output.txt</code><br>"
            f"AWS CLI {r.version}: {r.message}. Lambda receives: <b>{sent}</b>")


def cli_payload_explorer(payload: str = '{"key1": "value1"}'):
    """Pick a CLI version and a binary format; see what reaches Lambda."""
    w = _shell.widgets_module()
    controls = {
        "version": w.ToggleButtons(options=["v1", "v2"], value="v1", description="AWS CLI"),
        "binary_format": w.ToggleButtons(options=["(not given)", "raw-in-base64-out", "base64"],
                                         value="raw-in-base64-out", description="binary format"),
        "payload": w.Text(value=payload, description="--payload", continuous_update=False),
    }
    return _shell.build(controls, cli_payload, None, _describe_cli,
                        layout=[["version"], ["binary_format"], ["payload"]])


# ---------------------------------------------------------------------------------------------
# INIT and warm duration per runtime, from measured invocations.


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


# (from, to, label) on the lifelines 0 = Lambda (Runtime API), 1 = bootstrap, 2 = handler
_SEQUENCE = (
    (1, 0, "GET /runtime/invocation/next  (waits)"),
    (0, 1, "event + Lambda-Runtime-Aws-Request-Id, -Deadline-Ms"),
    (1, 2, "handler(event, context)"),
    (2, 1, "return result  (or raise)"),
    (1, 0, "POST /invocation/{id}/response  (or /error)"),
    (1, 0, "GET /runtime/invocation/next  (the next event...)"),
)


def draw_runtime_api():
    """A sequence diagram of one invocation through a custom runtime."""
    fig, ax = _shell.figure(9, 3.6)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9)
    names = ("Lambda\n(Runtime API)", "bootstrap\n(the runtime)", "your handler")
    xs = (1.0, 5.0, 9.0)
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.3, len(_SEQUENCE) + 1.2)
    ax.axis("off")
    ax.set_title("One invocation through a custom runtime")
    for x, name in zip(xs, names):
        ax.text(x, len(_SEQUENCE) + 0.7, name, ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round", "facecolor": "#eeeeee"})
        ax.plot([x, x], [0, len(_SEQUENCE) + 0.3], color="#999999", linestyle="--", linewidth=1)
    for step, (a, b, label) in enumerate(_SEQUENCE, start=1):
        y = len(_SEQUENCE) - step + 0.5
        ax.annotate("", xy=(xs[b], y), xytext=(xs[a], y), arrowprops={"arrowstyle": "->", "color": "#1f77b4"})
        ax.text((xs[a] + xs[b]) / 2, y + 0.12, f"{step}. {label}", ha="center", fontsize=7.5)
    return fig
