"""Execution environments: one runtime process each, driven over its own loopback Runtime API.

There is no server thread. The thread that calls :meth:`ProcessEnvironment.start` or
:meth:`ProcessEnvironment.invoke` drives the environment synchronously: it owns the listening
socket, the runtime's kept-alive connection(s), the process's output pipe and its init's report
pipe, and waits on all of them with one ``selectors`` call bounded by the deadline. A warm invoke
is a handful of system calls: answer the pending ``GET /next`` with the event, read the
``POST /response``, answer ``202``, drain the output pipe, read the peak resident memory.

Processes are started and ended by a :class:`~minilambda.runtime.supervisor.Supervisor` (the
Cloud's); an environment created without one owns a private supervisor.
"""

from __future__ import annotations

import base64
import os
import secrets
import selectors
import signal
import sys
import time
from typing import Any

from . import telemetry
from .api_server import Conn, RuntimeApiServer
from .extensions import EXTENSION_API, ExtensionsHub, discover, extension_environment
from .folder import BOOTSTRAP_PATH, build_runtime_dir, under  # noqa: F401  (build_runtime_dir: re-export)
from .payloads import (MAX_RESPONSE_BYTES, TOO_LARGE_PAYLOAD, compact, error_type_of,  # noqa: F401
                       exit_message, exit_payload, timeout_payload)
from .spec import EnvironmentSpec, InitResult, InvokeResult
from .supervisor import FORKSERVER_PATH, Launched, Supervisor

MEMORY_POLL_INTERVAL = 0.05  # how often resident memory is checked during a long invoke, seconds
MEMORY_BACKSTOP_MB = 64  # the cgroup's hard cap: MemorySize + /tmp size + this; the resident watch is exact
USER_OVERRIDABLE = ("TZ", "LANG", "PATH", "LD_LIBRARY_PATH", "PYTHONPATH")  # AWS sets them; functions may too

_API = "/2018-06-01/runtime"
_NEXT = _API + "/invocation/next"
_INVOCATION = _API + "/invocation/"
_INIT_ERROR = _API + "/init/error"
_TOO_LARGE = object()
_OUTPUT = "output"
_REPORT = "report"
_NOT_FOUND = b'{"errorMessage":"Not found","errorType":"NotFound"}'


class ProcessEnvironment:
    """One execution environment: a runtime process, its Runtime API endpoint, its temp folder."""

    def __init__(self, spec: EnvironmentSpec, supervisor: Supervisor | None = None) -> None:
        self.spec = spec
        self._own_supervisor = supervisor is None
        self.supervisor = supervisor if supervisor is not None else Supervisor()
        self._server = RuntimeApiServer(self._dispatch, self._on_too_large)
        self.port: int = self._server.port
        self._sel = self._server.selector
        self._launched: Launched | None = None
        self._out = -1
        self._status_fd = -1
        self._report = b""
        self._exit: tuple[int, int] | None = None  # (exit code, max rss kB) as the init reported
        self._report_eof = False
        self._peak_seen_kb = 0
        self._next: Conn | None = None
        self._chunks: list[bytes] = []
        self._phase = "dead"
        self._rid = ""
        self._result: tuple[Any, ...] | None = None
        self._init_error: tuple[bytes, str] | None = None
        self._exited = False
        self._done = False
        self._closed = False
        self.private_tmp = False  # True once a process ran with this environment's tmp_dir on /tmp
        self.tmp_size_limited = False  # True when /tmp is a tmpfs of EphemeralStorage MB (ENOSPC)
        self.starts = 0
        self._python = spec.runtime.startswith("python")
        self._credentials = ("ASIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30),
                             "IQoJb3JpZ2luX2VjE" + secrets.token_urlsafe(96))
        self._want_private_tmp = sys.platform.startswith("linux") and not self._needs_host_tmp()
        self._extension_paths = discover(spec.layer_root)
        self._hub: ExtensionsHub | None = None
        self._go_fd = -1
        self._subscriptions: list[telemetry.Subscription] = []
        self._ext_exits: dict[str, int] = {}

    def _needs_host_tmp(self) -> bool:
        """True if code, layers, runtime or interpreter live under /tmp (a private /tmp would hide them)."""
        spec = self.spec
        tmp_root = os.path.realpath("/tmp")
        needed = [spec.task_root, spec.layer_root, spec.runtime_dir, BOOTSTRAP_PATH, FORKSERVER_PATH,
                  spec.python_executable or sys.executable, sys.base_prefix]
        if spec.runtime_dir and os.path.isdir(spec.runtime_dir):
            needed += [os.path.join(spec.runtime_dir, n) for n in os.listdir(spec.runtime_dir)]
        if any(under(p, tmp_root) for p in needed):
            return True
        return not self._python and os.path.abspath(spec.python_executable or sys.executable).startswith("/tmp/")

    # -- public state -----------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        """True while the runtime process is running."""
        if self._launched is None or self._exited:
            return False
        self._read_report()
        return not self._exited

    @property
    def pid(self) -> int | None:
        """The runtime process id (None before start and after kill)."""
        return self._launched.pid if self._launched is not None else None

    @property
    def credentials(self) -> tuple[str, str, str]:
        """This environment's temporary keys (access key id, secret, session token), as its handler sees them."""
        return self._credentials

    @property
    def runtime_api(self) -> str:
        """This environment's ``AWS_LAMBDA_RUNTIME_API`` (host:port)."""
        return f"127.0.0.1:{self.port}"

    # -- lifecycle ----------------------------------------------------------------------------

    def environment_variables(self) -> dict[str, str]:
        """The runtime process's complete environment (built from scratch, never inherited).

        The function's own ``TZ``, ``LANG``, ``PATH``, ``LD_LIBRARY_PATH`` and ``PYTHONPATH``
        replace AWS's defaults, as on AWS. A value cut at its first NUL (C strings end there).
        """
        spec = self.spec
        task, runtime_dir, layer = spec.task_root, spec.runtime_dir or "", spec.layer_root
        python_bin = os.path.dirname(spec.python_executable or sys.executable)
        key, secret, token = self._credentials
        own = {k.split("\0", 1)[0]: str(v).split("\0", 1)[0] for k, v in spec.environment.items()}
        env = {k: v for k, v in own.items() if k and "=" not in k}
        env.update({
            "_HANDLER": spec.handler,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": spec.initialization_type,
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": spec.log_stream,
            "AWS_LAMBDA_RUNTIME_API": self.runtime_api,
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_SESSION_TOKEN": token,
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "_AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1",
            "_AWS_XRAY_DAEMON_PORT": "2000",
            "AWS_ENDPOINT_URL": spec.endpoint_url,
            "AWS_CONFIG_FILE": "/nonexistent/minilambda/aws-config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/minilambda/aws-credentials",
            "LAMBDA_TASK_ROOT": task,
            "LAMBDA_RUNTIME_DIR": runtime_dir,
            "LANG": "en_US.UTF-8",
            "LC_CTYPE": "C.UTF-8",
            "PATH": ":".join([python_bin, "/usr/local/bin", "/usr/bin", "/bin"]
                             + ([os.path.join(layer, "bin")] if layer else [])),
            "LD_LIBRARY_PATH": ":".join(["/lib64", "/usr/lib64", runtime_dir, os.path.join(runtime_dir, "lib"), task,
                                         os.path.join(task, "lib")] + ([os.path.join(layer, "lib")] if layer else [])),
            "TZ": ":UTC",
            "PWD": task,
            "SHLVL": "0",
            "TMPDIR": spec.tmp_dir,
        })
        if self._python:
            env["AWS_EXECUTION_ENV"] = f"AWS_Lambda_{spec.runtime}"
            env["PYTHONPATH"] = runtime_dir
        for name in USER_OVERRIDABLE:
            if own.get(name):
                env[name] = own[name]
        if spec.log_format.upper() == "JSON":
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            if spec.log_level:
                env["AWS_LAMBDA_LOG_LEVEL"] = spec.log_level
        return env

    def _find_bootstrap(self) -> str | None:
        """The custom runtime's executable ``bootstrap`` (task root first, then layers)."""
        for root in (self.spec.task_root, self.spec.layer_root):
            if root:
                path = os.path.join(root, "bootstrap")
                if os.path.isfile(path) and os.access(path, os.X_OK):
                    return path
        return None

    def _request(self) -> dict[str, Any] | None:
        """What the supervisor needs to start the runtime; None if a custom runtime has no bootstrap."""
        spec = self.spec
        env = self.environment_variables()
        request: dict[str, Any] = {"env": env, "cwd": spec.task_root, "layer": spec.layer_root, "tmp": None,
                                   "exec": None, "extensions": self._extension_paths,
                                   "ext_env": extension_environment(env)}
        if self._want_private_tmp:
            self.tmp_size_limited = self.supervisor.mount_tmp(spec.tmp_dir, spec.ephemeral_storage)
            request["tmp"] = spec.tmp_dir
        if not self._python:
            request["exec"] = self._find_bootstrap()
            if request["exec"] is None:
                return None
        return request

    def start(self, *, request_id: str | None = None, timeout: float | None = None) -> InitResult:
        """Start the runtime and wait until INIT is done (its first ``GET /next``) or failed.

        *request_id* is only used in the text of a platform error (runtime exit, missing
        bootstrap); *timeout* bounds INIT (default ``spec.init_timeout``: 10 s, AWS's INIT limit).
        """
        if self._closed:
            raise RuntimeError("this environment is closed")
        if self.alive:
            raise RuntimeError("the environment is already running; kill() it first")
        self._reset_process()
        spec = self.spec
        rid = request_id or ""
        os.makedirs(spec.tmp_dir, exist_ok=True)
        request = self._request()
        if request is None:
            paths = [os.path.join(spec.task_root, "bootstrap"), os.path.join(spec.layer_root or "/opt", "bootstrap")]
            message = f"RequestId: {rid} Error: Couldn't find valid bootstrap(s): [{' '.join(paths)}]"
            return InitResult(False, 0.0, compact({"errorType": "Runtime.InvalidEntrypoint", "errorMessage": message}),
                              "Runtime.InvalidEntrypoint", status="error")
        out_r, out_w = os.pipe()
        go_r = -1
        if self._extension_paths:
            go_r, self._go_fd = os.pipe()
        self._new_hub()
        t0 = time.perf_counter()
        try:
            launched = self.supervisor.launch(request, out_w, spec.python_executable or sys.executable,
                                              spec.memory_size + MEMORY_BACKSTOP_MB + spec.ephemeral_storage, go_r)
        except (OSError, RuntimeError) as exc:  # the machine could not start a process
            os.close(out_r)
            if self._go_fd >= 0:
                os.close(self._go_fd)
                self._go_fd = -1
            message = f"RequestId: {rid} Error: Unknown application error occurred ({exc})"
            return InitResult(False, 0.0, compact({"errorType": "Runtime.Unknown", "errorMessage": message}),
                              "Runtime.Unknown", status="error")
        finally:
            os.close(out_w)
            if go_r >= 0:
                os.close(go_r)
        self._attach(launched, out_r)
        limit = spec.init_timeout if timeout is None else timeout
        reason = self._init_extensions(t0 + limit)
        if reason == "done":
            self._phase = "init"
            reason = self._wait(t0 + limit)
        init_ms = (time.perf_counter() - t0) * 1000.0
        result = self._init_result(reason, init_ms, rid, limit)
        self._after_init(result)
        return result

    def _new_hub(self) -> None:
        spec = self.spec
        self._hub = ExtensionsHub({"accountId": spec.account_id, "functionName": spec.function_name,
                                   "functionVersion": spec.version, "handler": spec.handler}, self._extension_paths)
        self._subscriptions = []
        self._ext_exits = {}

    def _init_extensions(self, deadline: float) -> str:
        """Let every external extension register, then let the runtime start its INIT."""
        if self._go_fd < 0:
            return "done"
        self._phase = "ext-init"
        reason = self._wait(deadline, done=True)
        hub = self._hub
        ok = reason == "done" and hub is not None and hub.init_error is None and not self._ext_exits
        go, self._go_fd = self._go_fd, -1
        if ok:
            os.write(go, b"g")  # the runtime starts its INIT
        os.close(go)  # without the byte, the waiting runtime exits
        if ok:
            return "done"
        return reason if reason != "done" else "extension"

    def _after_init(self, result: InitResult) -> None:
        """EXTENSION and TELEMETRY lines, and the INIT records for telemetry subscribers."""
        hub = self._hub
        if hub is not None:
            hub.registration_open = False  # extensions register during INIT only
        if hub is None or not hub.extensions:
            return
        result.log_lines[:0] = hub.log_lines() + [telemetry.subscribed_line(s) for s in self._subscriptions]
        now = time.time()
        events = [_event(now, "platform.initStart", {"initializationType": self.spec.initialization_type,
                                                    "phase": "init", "functionName": self.spec.function_name,
                                                    "functionVersion": self.spec.version})]
        events += [_event(now, "platform.extension", {"name": e.name, "state": "Ready", "events": e.events})
                   for e in hub.extensions.values()]
        events += [_event(now, "platform.telemetrySubscription", {"name": s.extension, "state": "Subscribed",
                                                                 "types": list(s.types)}) for s in self._subscriptions]
        events += [_event(now, "function", line) for line in result.log_lines if not line.startswith(("EXTENSION\t",
                                                                                                   "TELEMETRY\t"))]
        status = {"initializationType": self.spec.initialization_type, "phase": "init", "status": result.status}
        events += [_event(now, "platform.initRuntimeDone", status),
                   _event(now, "platform.initReport", dict(status, metrics={"durationMs": round(result.init_ms, 3)}))]
        self._deliver(events)

    def _deliver(self, events: list[dict]) -> None:
        for sub in self._subscriptions:
            telemetry.deliver(sub, events)

    def _attach(self, launched: Launched, out_r: int) -> None:
        """Watch a freshly launched runtime: its output, its init's reports, its memory."""
        self._launched = launched
        self.starts += 1
        self._out = out_r
        os.set_blocking(out_r, False)
        self._sel.register(out_r, selectors.EVENT_READ, _OUTPUT)
        os.set_blocking(launched.report_fd, False)
        self._sel.register(launched.report_fd, selectors.EVENT_READ, _REPORT)
        try:
            self._status_fd = os.open(f"/proc/{launched.pid}/status", os.O_RDONLY)
        except OSError:  # no procfs, or the runtime is already gone
            self._status_fd = -1
        self._phase = "init"
        self._result = None
        self._init_error = None

    def _init_result(self, reason: str, init_ms: float, rid: str, limit: float) -> InitResult:
        """The InitResult for how INIT ended (the process is ended unless INIT succeeded)."""
        if reason == "done" and self._init_error is None:
            self._phase = "idle"
            self._check_private_tmp()
            return InitResult(True, init_ms, log_lines=self._take_lines(), status="success",
                              max_memory_used_mb=self._max_memory_mb())
        used = self._max_memory_mb()
        if reason == "extension":
            return self._extension_init_failure(rid, init_ms, used)
        if self._init_error is not None:
            payload, error_type = self._init_error
            self._wait_exit(1.0)
            self._end_process()
            return InitResult(False, init_ms, payload, error_type, self._take_lines(), status="error",
                              max_memory_used_mb=used)
        if reason == "deadline":
            self._end_process()
            payload = timeout_payload(rid, limit)
            return InitResult(False, init_ms, payload, "Sandbox.Timedout", self._take_lines(), status="timeout",
                              max_memory_used_mb=used)
        code = self._end_process()  # exited during INIT, or over memory
        used = max(used, self._max_memory_mb())
        if reason == "memory" or (code == -signal.SIGKILL and used >= self.spec.memory_size):
            error_type = "Runtime.OutOfMemory"
        else:
            error_type = "Runtime.ExitError"
        return InitResult(False, init_ms, exit_payload(rid, code), error_type, self._take_lines(), status="error",
                          max_memory_used_mb=used)

    def _extension_init_failure(self, rid: str, init_ms: float, used: int) -> InitResult:
        """INIT failed because an extension crashed or posted /init/error."""
        hub = self._hub
        if hub is not None and hub.init_error is not None:
            error_type, body = hub.init_error
            message = f"RequestId: {rid} Error: an extension reported {error_type}"
        else:
            error_type = "Extension.Crash"
            name, code = next(iter(self._ext_exits.items()))
            message = f"RequestId: {rid} Error: extension {name} exited: {exit_message(code)}"
            body = b""
        self._end_process()
        return InitResult(False, init_ms, compact({"errorType": error_type, "errorMessage": message}), error_type,
                          self._take_lines(), status="error", max_memory_used_mb=used)

    def invoke(self, request_id: str, payload: bytes, invoked_function_arn: str, *,
               client_context: str | None = None, trace_id: str | None = None,
               tenant_id: str | None = None, timeout: float | None = None) -> InvokeResult:
        """Hand one event to the runtime and wait for its response, error, exit or timeout.

        *client_context* is the caller's ``X-Amz-Client-Context`` (base64, or already JSON);
        *timeout* defaults to the function's configured timeout.
        """
        if self._launched is None:
            raise RuntimeError("the environment is not started; call start() first")
        limit = self.spec.timeout if timeout is None else timeout
        t0 = time.perf_counter()
        deadline = t0 + limit
        if self._next is None:  # the runtime has not asked for the next event yet
            self._phase = "wait-next"
            reason = self._wait(deadline)
            if self._next is None:
                return self._failed(request_id, reason, t0, limit)
        conn = self._next
        self._next = None
        self._phase = "invoke"
        self._rid = request_id
        self._result = None
        trace_id = trace_id or self._trace_id()
        self._send_event(conn, request_id, payload or b"{}", invoked_function_arn, limit, client_context,
                         trace_id, tenant_id)
        if self._hub is not None and self._hub.extensions:
            self._hub.send_invoke(self._server.reply, request_id, int((time.time() + limit) * 1000),
                                  invoked_function_arn, trace_id)
        reason = self._wait(deadline)
        result = self._result
        duration_ms = (time.perf_counter() - t0) * 1000.0
        self._phase = "idle"
        if reason != "done" or result is None:
            return self._failed(request_id, reason, t0, limit)
        used = self._max_memory_mb()
        if used > self.spec.memory_size:
            return self._failed(request_id, "memory", t0, limit, used)
        kind = result[0]
        if kind == "response":
            done = InvokeResult("success", result[1], None, None, duration_ms, used, self._take_lines(), result[2])
            self._report_invoke(request_id, done)
            return done
        if kind is _TOO_LARGE:
            return InvokeResult("error", TOO_LARGE_PAYLOAD, "Unhandled", "Function.ResponseSizeTooLarge",
                                duration_ms, used, self._take_lines())
        failed = InvokeResult("error", result[1], "Unhandled", result[2], duration_ms, used, self._take_lines())
        self._report_invoke(request_id, failed)
        return failed

    def _report_invoke(self, request_id: str, result: InvokeResult) -> None:
        """Telemetry for one invocation: platform.start, function lines, runtimeDone, report."""
        if not self._subscriptions:
            return
        now = time.time()
        status = "success" if result.outcome == "success" else "error"
        metrics = {"durationMs": round(result.duration_ms, 3), "billedDurationMs": int(-(-result.duration_ms // 1)),
                   "memorySizeMB": self.spec.memory_size, "maxMemoryUsedMB": result.max_memory_used_mb}
        events = [_event(now, "platform.start", {"requestId": request_id, "version": self.spec.version})]
        events += [_event(now, "function", line) for line in result.log_lines]
        events += [_event(now, "platform.runtimeDone", {"requestId": request_id, "status": status}),
                   _event(now, "platform.report", {"requestId": request_id, "status": status, "metrics": metrics})]
        self._deliver(events)

    def _send_event(self, conn: Conn, request_id: str, body: bytes, arn: str, limit: float,
                    client_context: str | None, trace_id: str | None, tenant_id: str | None) -> None:
        """Answer the pending ``GET /next`` with the event and its headers."""
        headers = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                   f"Lambda-Runtime-Aws-Request-Id: {request_id}\r\n"
                   f"Lambda-Runtime-Deadline-Ms: {int((time.time() + limit) * 1000)}\r\n"
                   f"Lambda-Runtime-Invoked-Function-Arn: {arn}\r\n"
                   f"Lambda-Runtime-Trace-Id: {trace_id or self._trace_id()}\r\n")
        if client_context:
            headers += f"Lambda-Runtime-Client-Context: {_decode_client_context(client_context)}\r\n"
        if tenant_id:
            headers += f"Lambda-Runtime-Aws-Tenant-Id: {tenant_id}\r\n"
        head = (headers + f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        try:
            if len(body) < 65536:
                conn.sock.sendall(head + body)
            else:
                conn.sock.sendall(head)
                conn.sock.sendall(body)
        except OSError:
            self._server.close_conn(conn)

    def kill(self) -> None:
        """End the runtime process and everything it started now; start() may be called again."""
        if self._launched is not None:
            self._end_process()

    def _shutdown_extensions(self, reason: str) -> None:
        """AWS's shutdown phase: the runtime stops, extensions get SHUTDOWN and up to 2 s to finish."""
        hub, launched = self._hub, self._launched
        if hub is None or launched is None or not any("SHUTDOWN" in e.events for e in hub.extensions.values()):
            return
        if not self._exited:
            try:
                os.kill(launched.pid, signal.SIGKILL)
            except OSError:
                pass
        limit = hub.shutdown_limit()
        hub.send_shutdown(self._server.reply, reason, int((time.time() + limit) * 1000))
        self._phase = "shutdown"
        self._wait(time.perf_counter() + limit, done=True)

    def close(self) -> None:
        """Kill the process and release the Runtime API endpoint (and /tmp mount) for good."""
        self.kill()
        if not self._closed:
            self._closed = True
            self._server.close()
            self.supervisor.release_tmp(self.spec.tmp_dir)
            if self._own_supervisor:
                self.supervisor.close()

    def __enter__(self) -> ProcessEnvironment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- outcomes -------------------------------------------------------------------------------

    def _failed(self, request_id: str, reason: str, t0: float, limit: float, used: int | None = None) -> InvokeResult:
        """The InvokeResult of a timeout, a runtime exit or a memory kill; the process is gone."""
        if used is None:
            used = self._max_memory_mb()
        if reason == "deadline":
            self._end_process("timeout")
            return InvokeResult("timeout", timeout_payload(request_id, limit), "Unhandled", "Sandbox.Timedout",
                                limit * 1000.0, max(used, self._max_memory_mb()), self._take_lines(),
                                environment_alive=False)
        duration_ms = (time.perf_counter() - t0) * 1000.0
        code = self._end_process("failure")
        used = max(used, self._max_memory_mb())
        if reason == "memory":
            code = -signal.SIGKILL
        if reason == "memory" or (code == -signal.SIGKILL and used >= self.spec.memory_size):
            return InvokeResult("out_of_memory", exit_payload(request_id, -signal.SIGKILL), "Unhandled",
                                "Runtime.OutOfMemory", duration_ms, used, self._take_lines(), environment_alive=False)
        return InvokeResult("crash", exit_payload(request_id, code), "Unhandled", "Runtime.ExitError",
                            duration_ms, used, self._take_lines(), environment_alive=False)

    # -- the event loop ------------------------------------------------------------------------

    def _wait(self, deadline: float, done: bool = False) -> str:
        """Serve the Runtime API until the current phase is done; 'done'|'deadline'|'exited'|'memory'.

        *done*: the runtime has nothing left to do in this phase (only extensions are waited for)."""
        select = self._sel.select
        server = self._server
        limit_kb = self.spec.memory_size * 1024
        self._done = done
        next_check = time.perf_counter() + MEMORY_POLL_INTERVAL
        while True:
            now = time.perf_counter()
            timeout = deadline - now
            if timeout <= 0:
                return "deadline"
            events = select(min(timeout, MEMORY_POLL_INTERVAL))
            for key, _ in events:
                data = key.data
                if data.__class__ is Conn:
                    server.on_readable(data)
                elif data == _OUTPUT:
                    self._read_output()
                elif data == _REPORT:
                    self._read_report()
                else:
                    server.accept()
            if self._done and self._extensions_settled():
                return "done"
            if self._exited and self._phase != "shutdown":
                return "exited"
            if not events or now >= next_check:  # a long invoke: watch resident memory
                next_check = now + MEMORY_POLL_INTERVAL
                if self._peak_kb() > limit_kb:
                    return "memory"

    def _extensions_settled(self) -> bool:
        """Whether the extensions let the current phase end (all registered / all back at next)."""
        hub = self._hub
        if hub is None or not hub.extensions and self._phase != "ext-init":
            return True
        if self._phase == "ext-init":
            return hub.all_external_registered() or hub.init_error is not None or bool(self._ext_exits)
        return hub.all_waiting()

    def _on_too_large(self, conn: Conn) -> None:
        if self._phase == "invoke" and self._result is None:
            self._result = (_TOO_LARGE,)
            self._done = True

    def _read_report(self) -> None:
        """Read the init's report pipe: ``exit <code> <max rss kB>``, or EOF (the init is gone)."""
        launched = self._launched
        if launched is None or self._report_eof:
            return
        try:
            data = os.read(launched.report_fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        self._parse_report(data)
        if not data:  # the init is gone
            self._exited = self._report_eof = True
            self._sel.unregister(launched.report_fd)

    def _parse_report(self, data: bytes) -> None:
        self._report += data
        for line in self._report.split(b"\n")[:-1]:
            fields = line.split()
            if len(fields) == 3 and fields[0] == b"exit":
                self._exit = (int(fields[1]), int(fields[2]))
                self._exited = True
            elif len(fields) == 3 and fields[0] == b"extexit":
                self._on_extension_exit(fields[1].decode(), int(fields[2]))
        self._report = self._report.rpartition(b"\n")[2]

    def _on_extension_exit(self, name: str, code: int) -> None:
        self._ext_exits[name] = code
        if self._hub is not None:
            for ext in self._hub.extensions.values():
                if ext.name == name and ext.error is None:  # gone: no longer waited for
                    ext.error = "exited" if code == 0 and self._phase == "shutdown" else "Extension.Crash"

    def _read_output(self) -> None:
        try:
            data = os.read(self._out, 65536)
        except BlockingIOError:
            return
        if data:
            self._chunks.append(data)
        else:  # EOF: every writer is gone
            self._sel.unregister(self._out)
            os.close(self._out)
            self._out = -1

    def _drain_output(self) -> None:
        while self._out >= 0:
            try:
                data = os.read(self._out, 1 << 16)
            except BlockingIOError:
                return
            if not data:
                return
            self._chunks.append(data)

    def _take_lines(self) -> list[str]:
        self._drain_output()
        if not self._chunks:
            return []
        text = b"".join(self._chunks).decode("utf-8", "replace")
        self._chunks = []
        if text.endswith("\n"):
            text = text[:-1]
        return text.split("\n")

    def _dispatch(self, conn: Conn, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        """Answer one Runtime API request."""
        reply = self._server.reply
        if path.startswith(EXTENSION_API) and self._hub is not None:
            self._hub.handle(conn, method, path, headers, body, reply)
            return
        if path == telemetry.TELEMETRY_API and method == "PUT":
            self._subscribe(conn, headers, body)
            return
        if path == _NEXT and method == "GET":
            self._next = conn
            if self._phase in ("init", "wait-next"):
                self._done = True
            return
        if method == "POST" and path.startswith(_INVOCATION):
            rid, _, action = path[len(_INVOCATION):].rpartition("/")
            if action not in ("response", "error"):
                reply(conn, 404, _NOT_FOUND)
                return
            if self._phase != "invoke" or rid != self._rid or self._result is not None:
                reply(conn, 400, b'{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}')
                return
            if action == "response":
                self._result = ("response", body, headers.get("content-type") or "application/json")
            else:
                self._result = ("error", body, headers.get("lambda-runtime-function-error-type")
                                or error_type_of(body))
            reply(conn, 202, b'{"status":"OK"}')
            self._done = True
            return
        if method == "POST" and path == _INIT_ERROR:
            if self._phase != "init":
                reply(conn, 403, b'{"errorMessage":"State transition from Ready to InitError failed",'
                                 b'"errorType":"InvalidStateTransition"}')
                return
            self._init_error = (body, headers.get("lambda-runtime-function-error-type") or error_type_of(body))
            reply(conn, 202, b'{"status":"OK"}')
            self._done = True
            return
        reply(conn, 404, _NOT_FOUND)

    def _subscribe(self, conn: Conn, headers: dict[str, str], body: bytes) -> None:
        """``PUT /2022-07-01/telemetry`` from a registered extension."""
        hub = self._hub
        ext = hub.extensions.get(headers.get("lambda-extension-identifier", "")) if hub is not None else None
        if ext is None:
            self._server.reply(conn, 403, compact({"errorMessage": "Unknown extension identifier",
                                                   "errorType": "Extension.UnknownExtensionIdentifier"}))
            return
        sub = telemetry.parse_subscription(ext.name, body)
        if isinstance(sub, str):
            self._server.reply(conn, 400, compact({"errorType": "ValidationError", "errorMessage": sub}))
            return
        self._subscriptions.append(sub)
        self._server.reply(conn, 200, b'"OK"')

    # -- process helpers -----------------------------------------------------------------------

    @staticmethod
    def _trace_id() -> str:
        return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"

    def _peak_kb(self) -> int:
        """Peak resident memory (VmHWM) of the runtime process, in kB (the last value seen if gone)."""
        if self._status_fd >= 0:
            try:
                status = os.pread(self._status_fd, 4096, 0)
            except OSError:
                status = b""
            i = status.find(b"VmHWM:")
            if i >= 0:
                self._peak_seen_kb = max(self._peak_seen_kb, int(status[i + 6:status.index(b"kB", i)]))
        if self._exit is not None:
            self._peak_seen_kb = max(self._peak_seen_kb, self._exit[1])
        return self._peak_seen_kb

    def _max_memory_mb(self) -> int:
        return (self._peak_kb() + 1023) // 1024

    def _check_private_tmp(self) -> None:
        """Did the runtime get this environment's tmp_dir as its literal /tmp?"""
        if not self._want_private_tmp or self._launched is None:
            return
        try:
            inside = os.stat(f"/proc/{self._launched.pid}/root/tmp")
            mine = os.stat(self.spec.tmp_dir)
            self.private_tmp = (inside.st_dev, inside.st_ino) == (mine.st_dev, mine.st_ino)
        except OSError:
            self.private_tmp = False

    def _wait_exit(self, grace: float) -> None:
        """Give a runtime that reported an init error a moment to exit on its own."""
        deadline = time.perf_counter() + grace
        while self._launched is not None and not self._exited:
            left = deadline - time.perf_counter()
            if left <= 0:
                return
            for key, _ in self._sel.select(left):
                if key.data == _REPORT:
                    self._read_report()
                elif key.data == _OUTPUT:
                    self._read_output()

    def _end_process(self, reason: str = "spindown") -> int:
        """End the runtime and all it started, wait for its init; return the runtime's exit code."""
        launched = self._launched
        code = -signal.SIGKILL
        if launched is not None:
            self._read_report()
            self._shutdown_extensions(reason)
            self._peak_kb()
            self._parse_report(self.supervisor.kill(launched))
            if self._exit is not None:
                code = self._exit[0]
                self._peak_kb()
        self._drain_output()
        self._reset_process(keep_output=True)
        return code

    def _reset_process(self, keep_output: bool = False) -> None:
        self._server.close_all()
        self._next = None
        launched = self._launched
        if launched is not None:
            if not self._report_eof:
                self._sel.unregister(launched.report_fd)
            os.close(launched.report_fd)
        if self._out >= 0:
            try:
                self._sel.unregister(self._out)
            except (KeyError, ValueError):
                pass
            os.close(self._out)
            self._out = -1
        if self._status_fd >= 0:
            os.close(self._status_fd)
            self._status_fd = -1
        if not keep_output:
            self._chunks = []
            self._peak_seen_kb = 0
        self._launched = None
        self._report = b""
        self._exit = None
        self._exited = self._report_eof = False
        self._phase = "dead"


def _event(when: float, kind: str, record: object) -> dict:
    """One Telemetry API event envelope."""
    from .log_lines import iso_ms

    return {"time": iso_ms(when), "type": kind, "record": record}


def _decode_client_context(value: str) -> str:
    """The caller's base64 X-Amz-Client-Context as JSON text (already-JSON text passes through)."""
    if value.lstrip().startswith("{"):
        return value
    try:
        return base64.b64decode(value, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return value
