"""The Extensions API (``/2020-01-01/extension``) of one environment (aws-facts-2 §3).

External extensions are the executables in a layer's ``extensions/`` folder (AWS's
``/opt/extensions``), started by the environment init before the runtime. They register, then
long-poll ``/event/next``; the platform answers with ``INVOKE`` and ``SHUTDOWN`` events. An
invocation is done when the runtime has answered and every extension registered for ``INVOKE``
has asked for its next event again. Internal extensions (in the runtime process, or started by
``AWS_LAMBDA_EXEC_WRAPPER``) use the same API and cannot register for ``SHUTDOWN``.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from typing import Callable

from .api_server import Conn

EXTENSION_API = "/2020-01-01/extension"
MAX_EXTENSIONS = 10
SHUTDOWN_LIMIT_S = {"none": 0.0, "internal": 0.5, "external": 2.0}  # AWS's shutdown phase limits
HIDDEN_FROM_EXTENSIONS = ("AWS_EXECUTION_ENV", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
                          "AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS", "LAMBDA_RUNTIME_DIR",
                          "LAMBDA_TASK_ROOT", "_AWS_XRAY_DAEMON_ADDRESS", "_AWS_XRAY_DAEMON_PORT", "_HANDLER")

Reply = Callable[..., None]


@dataclass(slots=True)
class Extension:
    """One registered extension and its pending ``/event/next`` connection."""

    name: str
    identifier: str
    events: list[str]
    external: bool
    waiting: Conn | None = None
    busy: bool = False  # an event was handed over and it has not asked for the next one yet
    error: str | None = None  # Extension.* type posted to /init/error or /exit/error
    extra: dict = field(default_factory=dict)


def discover(layer_root: str | None) -> list[str]:
    """The external extensions of a layer folder: executable files in ``extensions/``, name-sorted."""
    if not layer_root:
        return []
    folder = os.path.join(layer_root, "extensions")
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    paths = [os.path.join(folder, name) for name in names]
    return [p for p in paths if os.path.isfile(p) and os.access(p, os.X_OK)]


def extension_environment(env: dict[str, str]) -> dict[str, str]:
    """The runtime's environment without the variables AWS hides from extensions."""
    return {k: v for k, v in env.items() if k not in HIDDEN_FROM_EXTENSIONS}


def _error(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


class ExtensionsHub:
    """The Extensions API state of one environment: registrations, events, errors."""

    def __init__(self, function: dict[str, str], external_names: list[str]) -> None:
        self.function = function  # functionName, functionVersion, handler
        self.external_names = external_names
        self.extensions: dict[str, Extension] = {}
        self.registration_open = True
        self.init_error: tuple[str, bytes] | None = None
        self.exit_errors: list[tuple[str, str]] = []

    # -- state ----------------------------------------------------------------------------------

    def all_external_registered(self) -> bool:
        """True once every discovered external extension has registered."""
        names = {e.name for e in self.extensions.values() if e.external}
        return all(os.path.basename(n) in names for n in self.external_names)

    def all_waiting(self) -> bool:
        """True when every extension has asked for its next event (none is still working)."""
        return all(not e.busy and e.waiting is not None for e in self.extensions.values() if e.error is None)

    def shutdown_limit(self) -> float:
        """Seconds the shutdown phase may last: 2 s with an external extension, 0.5 s internal, else 0."""
        if any(e.external for e in self.extensions.values()):
            return SHUTDOWN_LIMIT_S["external"]
        return SHUTDOWN_LIMIT_S["internal"] if self.extensions else SHUTDOWN_LIMIT_S["none"]

    def log_lines(self) -> list[str]:
        """``EXTENSION`` lines, one per extension in registration order."""
        return [f"EXTENSION\tName: {e.name}\tState: Ready\tEvents: [{', '.join(e.events)}]"
                for e in self.extensions.values()]

    # -- events ---------------------------------------------------------------------------------

    def send_invoke(self, reply: Reply, request_id: str, deadline_ms: int, arn: str, trace_id: str) -> None:
        """Hand the INVOKE event to every extension registered for it."""
        event = {"eventType": "INVOKE", "deadlineMs": deadline_ms, "requestId": request_id,
                 "invokedFunctionArn": arn, "tracing": {"type": "X-Amzn-Trace-Id", "value": trace_id}}
        self._send(reply, "INVOKE", event)

    def send_shutdown(self, reply: Reply, reason: str, deadline_ms: int) -> None:
        """Hand the SHUTDOWN event (``spindown|timeout|failure``) to those registered for it."""
        self._send(reply, "SHUTDOWN", {"eventType": "SHUTDOWN", "shutdownReason": reason, "deadlineMs": deadline_ms})

    def _send(self, reply: Reply, kind: str, event: dict) -> None:
        body = json.dumps(event).encode()
        for ext in self.extensions.values():
            if kind in ext.events and ext.waiting is not None and ext.error is None:
                conn, ext.waiting = ext.waiting, None
                ext.busy = True
                reply(conn, 200, body, headers={"Lambda-Extension-Event-Identifier": str(uuid.uuid4())})

    # -- the API --------------------------------------------------------------------------------

    def handle(self, conn: Conn, method: str, path: str, headers: dict[str, str], body: bytes,
               reply: Reply) -> None:
        """Answer one Extensions API request."""
        action = path[len(EXTENSION_API):]
        if action == "/register" and method == "POST":
            self._register(conn, headers, body, reply)
            return
        ext = self._identified(conn, headers, reply)
        if ext is None:
            return
        if action == "/event/next" and method == "GET":
            ext.waiting, ext.busy = conn, False
        elif action in ("/init/error", "/exit/error") and method == "POST":
            ext.error = headers.get("lambda-extension-function-error-type") or "Extension.Unknown"
            if action == "/init/error" and self.init_error is None:
                self.init_error = (ext.error, body)
            elif action == "/exit/error":
                self.exit_errors.append((ext.name, ext.error))
            reply(conn, 202, b'{"status":"OK"}')
        else:
            reply(conn, 404, _error("InvalidRequest", "Not found"))

    def _identified(self, conn: Conn, headers: dict[str, str], reply: Reply) -> Extension | None:
        identifier = headers.get("lambda-extension-identifier")
        if not identifier:
            reply(conn, 403, _error("Extension.MissingExtensionIdentifier", "Missing Lambda-Extension-Identifier header"))
            return None
        ext = self.extensions.get(identifier)
        if ext is None:
            reply(conn, 403, _error("Extension.UnknownExtensionIdentifier", "Unknown extension " + identifier))
        return ext

    def _register(self, conn: Conn, headers: dict[str, str], body: bytes, reply: Reply) -> None:
        name = headers.get("lambda-extension-name", "")
        try:
            events = json.loads(body or b"{}").get("events", [])
        except (ValueError, AttributeError):
            reply(conn, 403, _error("InvalidRequestFormat", "Invalid request format"))
            return
        external = name in {os.path.basename(n) for n in self.external_names}
        problem = self._registration_problem(name, events, external)
        if problem:
            reply(conn, 403, _error(*problem))
            return
        ext = Extension(name, str(uuid.uuid4()), [e for e in ("INVOKE", "SHUTDOWN") if e in events], external)
        self.extensions[ext.identifier] = ext
        answer = {k: v for k, v in self.function.items() if k != "accountId"}
        if "accountId" in headers.get("lambda-extension-accept-feature", ""):
            answer = {"accountId": self.function.get("accountId", ""), **answer}
        reply(conn, 200, json.dumps(answer).encode(), headers={"Lambda-Extension-Identifier": ext.identifier})

    def _registration_problem(self, name: str, events: object, external: bool) -> tuple[str, str] | None:
        if not name:
            return "Extension.InvalidExtensionName", "Empty extension name"
        if not self.registration_open:
            return "Extension.RegistrationClosed", "Extension registration closed already"
        if len(self.extensions) >= MAX_EXTENSIONS:
            return "Extension.TooManyExtensions", f"Extension limit ({MAX_EXTENSIONS}) reached"
        if any(e.name == name for e in self.extensions.values()):
            return "Extension.InvalidExtensionState", "Extension with this name already registered"
        if not isinstance(events, list) or any(e not in ("INVOKE", "SHUTDOWN") for e in events):
            return "Extension.InvalidEventType", "Invalid event type"
        if not external and "SHUTDOWN" in events:
            return "Extension.InvalidEventType", "Internal extensions cannot register for SHUTDOWN"
        return None
