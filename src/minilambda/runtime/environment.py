"""Execution environments: one runtime process each, driven over its own loopback Runtime API.

There is no server thread. The thread that calls :meth:`ProcessEnvironment.start` or
:meth:`ProcessEnvironment.invoke` drives the environment synchronously: it owns the listening
socket, the runtime's kept-alive connection(s), the process's output pipe and a pidfd, and waits
on all of them with one ``selectors`` call bounded by the deadline. A warm invoke is therefore a
handful of system calls: answer the pending ``GET /next`` with the event, read the
``POST /response``, answer ``202``, drain the output pipe, read the peak resident memory.
"""

from __future__ import annotations

import atexit
import base64
import concurrent.futures
import json
import os
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from typing import Any

from .spec import EnvironmentSpec, InitResult, InvokeResult

BOOTSTRAP_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap.py")
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100  # 6,291,556: the Runtime API's limit
MEMORY_HEADROOM_MB = 1024  # RLIMIT_AS = MemorySize + this (virtual memory for interpreter, threads)
INIT_TIMEOUT = 10.0  # AWS's INIT phase limit, seconds
MEMORY_POLL_INTERVAL = 0.05  # how often resident memory is checked during a long invoke, seconds
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")

_API = "/2018-06-01/runtime"
_NEXT = _API + "/invocation/next"
_INVOCATION = _API + "/invocation/"
_INIT_ERROR = _API + "/init/error"
_TOO_LARGE = object()
_SIGNAL_NAMES = {  # Go's names, as Lambda's Runtime.ExitError messages print them
    1: "hangup", 2: "interrupt", 3: "quit", 4: "illegal instruction", 5: "trace/breakpoint trap",
    6: "aborted", 7: "bus error", 8: "floating point exception", 9: "killed", 10: "user defined signal 1",
    11: "segmentation fault", 12: "user defined signal 2", 13: "broken pipe", 14: "alarm clock",
    15: "terminated",
}
_LIVE: weakref.WeakSet[ProcessEnvironment] = weakref.WeakSet()
_spawner: concurrent.futures.ThreadPoolExecutor | None = None
_spawner_lock = threading.Lock()


def _spawn(argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Popen from one long-lived thread: PR_SET_PDEATHSIG fires when the *spawning thread* ends."""
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="minilambda-spawner")
    return _spawner.submit(subprocess.Popen, argv, **kwargs).result()


_GUARDIAN_CODE = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
groups = set()
for line in sys.stdin:
    op, pgid = line[0], int(line[1:])
    (groups.add if op == "+" else groups.discard)(pgid)
for pgid in groups:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
"""
_guardian: subprocess.Popen[bytes] | None = None


def _guard(op: str, pgid: int) -> None:
    """Tell the guardian process about a runtime process group ('+' started, '-' ended).

    The guardian kills every group it still knows when this (platform) process dies, however it
    dies: grandchildren a handler started die with the environment, as in a real sandbox.
    """
    global _guardian
    with _spawner_lock:
        for _ in range(2):
            if _guardian is None or _guardian.poll() is not None:
                if op == "-":
                    return
                _guardian = subprocess.Popen([sys.executable, "-I", "-S", "-c", _GUARDIAN_CODE],
                                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL, close_fds=True, start_new_session=True)
            try:
                assert _guardian.stdin is not None
                _guardian.stdin.write(f"{op}{pgid}\n".encode())
                _guardian.stdin.flush()
                return
            except (BrokenPipeError, OSError):
                _guardian = None


def _compact(obj: Any) -> bytes:
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
    return _compact({"errorType": "Sandbox.Timedout",
                     "errorMessage": f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"})


def exit_payload(request_id: str, returncode: int) -> bytes:
    """AWS's ``Runtime.ExitError`` payload for a runtime that exited (or was killed)."""
    return _compact({"errorType": "Runtime.ExitError",
                     "errorMessage": f"RequestId: {request_id} Error: {exit_message(returncode)}"})


TOO_LARGE_PAYLOAD = _compact({
    "errorMessage": f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
    "errorType": "Function.ResponseSizeTooLarge"})


def build_runtime_dir(dest: str) -> str:
    """A folder holding boto3 and its dependencies (found in this interpreter), and a copy of the
    bootstrap; returns *dest*.

    Packages are symlinked, except those that live under ``/tmp`` (a virtualenv in a checkout
    under ``/tmp``, as in CI): those are hard-linked (or copied) here, so that mounting an
    environment's private ``/tmp`` over ``/tmp`` does not hide them.
    """
    import importlib.util
    import shutil

    os.makedirs(dest, exist_ok=True)
    tmp_root = os.path.realpath("/tmp")
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None and not spec.submodule_search_locations:
            continue
        if spec.submodule_search_locations:
            source = list(spec.submodule_search_locations)[0]
            link = os.path.join(dest, name)
        else:
            source = str(spec.origin)
            link = os.path.join(dest, os.path.basename(source))
        if os.path.lexists(link):
            if os.path.realpath(link) == os.path.realpath(source) or not os.path.islink(link):
                continue
            os.unlink(link)
        tmp = f"{link}.{os.getpid()}.tmp"
        if _under(source, tmp_root) and not _under(dest, tmp_root):
            _copy_tree(source, tmp, shutil)
        else:
            os.symlink(source, tmp)
        os.replace(tmp, link)
    target = os.path.join(dest, "bootstrap.py")
    if not os.path.exists(target):
        shutil.copy2(BOOTSTRAP_PATH, target + ".tmp")
        os.replace(target + ".tmp", target)
    return dest


def _copy_tree(source: str, dest: str, shutil: Any) -> None:
    """Hard-link *source* (a package folder or a module file) to *dest*; copy if links fail."""
    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if os.path.isdir(source):
        shutil.copytree(source, dest, copy_function=link_or_copy,
                        ignore=shutil.ignore_patterns("__pycache__"))
    else:
        link_or_copy(source, dest)


def _bootstrap_for(spec: EnvironmentSpec) -> str:
    """The bootstrap script to run: the runtime folder's copy when there is one."""
    if spec.runtime_dir:
        copy = os.path.join(spec.runtime_dir, "bootstrap.py")
        if os.path.exists(copy):
            return copy
    return BOOTSTRAP_PATH


def _under(path: str | None, folder: str) -> bool:
    """True if *path* (resolved) is *folder* or inside it."""
    if not path:
        return False
    real = os.path.realpath(path)
    return real == folder or real.startswith(folder + os.sep)


class _Conn:
    """One Runtime API connection from the runtime: socket, read buffer, parser state."""

    __slots__ = ("sock", "buf", "head", "discard", "too_large")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.head: tuple[str, str, dict[str, str], int] | None = None
        self.discard = 0
        self.too_large = False


_LISTEN = "listen"
_OUTPUT = "output"
_PIDFD = "pidfd"


class ProcessEnvironment:
    """One execution environment: a runtime process, its Runtime API endpoint, its temp folder."""

    def __init__(self, spec: EnvironmentSpec) -> None:
        self.spec = spec
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.port: int = self._listener.getsockname()[1]
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._listener, selectors.EVENT_READ, _LISTEN)
        self._proc: subprocess.Popen[bytes] | None = None
        self._pidfd = -1
        self._out = -1
        self._lifeline = -1
        self._status_fd = -1
        self._conns: dict[int, _Conn] = {}
        self._next: _Conn | None = None
        self._chunks: list[bytes] = []
        self._phase = "dead"
        self._rid = ""
        self._result: tuple[Any, ...] | None = None
        self._init_error: tuple[bytes, str] | None = None
        self._exited = False
        self._done = False
        self._closed = False
        self.private_tmp = False  # True once a process ran with this environment's tmp_dir on /tmp
        self.starts = 0
        python = spec.runtime.startswith("python")
        self._python = python
        self._credentials = ("ASIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30),
                             "IQoJb3JpZ2luX2VjE" + secrets.token_urlsafe(96))
        tmp_root = os.path.realpath("/tmp")
        needed = [spec.task_root, spec.layer_root, spec.runtime_dir, _bootstrap_for(spec),
                  spec.python_executable or sys.executable, sys.base_prefix]
        if spec.runtime_dir and os.path.isdir(spec.runtime_dir):
            needed += [os.path.join(spec.runtime_dir, n) for n in os.listdir(spec.runtime_dir)]
        self._want_private_tmp = sys.platform.startswith("linux") and not any(_under(p, tmp_root) for p in needed)
        if not python and os.path.abspath(spec.python_executable or sys.executable).startswith("/tmp/"):
            # A custom bootstrap may name this interpreter by its path (a virtualenv under /tmp,
            # as in CI); a private /tmp would hide it, so keep the shared one.
            self._want_private_tmp = False
        _LIVE.add(self)

    # -- public state -----------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        """True while the runtime process is running."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The runtime process id (None before start and after kill)."""
        return self._proc.pid if self._proc is not None else None

    @property
    def runtime_api(self) -> str:
        """This environment's ``AWS_LAMBDA_RUNTIME_API`` (host:port)."""
        return f"127.0.0.1:{self.port}"

    # -- lifecycle ----------------------------------------------------------------------------

    def environment_variables(self) -> dict[str, str]:
        """The runtime process's complete environment (built from scratch, never inherited)."""
        spec = self.spec
        task, runtime_dir, layer = spec.task_root, spec.runtime_dir or "", spec.layer_root
        python_bin = os.path.dirname(spec.python_executable or sys.executable)
        key, secret, token = self._credentials
        env = dict(spec.environment)
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

    def start(self, *, request_id: str | None = None, timeout: float | None = None) -> InitResult:
        """Spawn the runtime and wait until INIT is done (its first ``GET /next``) or failed.

        *request_id* is only used in the text of a platform error (runtime exit, missing
        bootstrap); *timeout* bounds INIT (default 10 s, AWS's INIT limit).
        """
        if self._closed:
            raise RuntimeError("this environment is closed")
        if self.alive:
            raise RuntimeError("the environment is already running; kill() it first")
        self._reset_process()
        spec = self.spec
        rid = request_id or ""
        argv = [spec.python_executable or sys.executable, "-I", "-S", "-B", "-u", _bootstrap_for(spec),
                "--as", str((spec.memory_size + MEMORY_HEADROOM_MB) * 1024 * 1024)]
        if self._want_private_tmp:
            argv += ["--tmp", spec.tmp_dir]
        if spec.layer_root:
            argv += ["--layer", spec.layer_root]
        if not self._python:
            target = self._find_bootstrap()
            if target is None:
                paths = [os.path.join(spec.task_root, "bootstrap"), os.path.join(spec.layer_root or "/opt", "bootstrap")]
                message = f"RequestId: {rid} Error: Couldn't find valid bootstrap(s): [{' '.join(paths)}]"
                return InitResult(False, 0.0, _compact({"errorType": "Runtime.InvalidEntrypoint",
                                                        "errorMessage": message}), "Runtime.InvalidEntrypoint")
            argv += ["--exec", target]
        os.makedirs(spec.tmp_dir, exist_ok=True)
        out_r, out_w = os.pipe()
        life_r, life_w = os.pipe()
        t0 = time.perf_counter()
        try:
            proc = _spawn(argv, stdin=life_r, stdout=out_w, stderr=subprocess.STDOUT, env=self.environment_variables(),
                          cwd=spec.task_root, close_fds=True, start_new_session=True)
        finally:
            os.close(out_w)
            os.close(life_r)
        self._proc = proc
        _guard("+", proc.pid)
        self.starts += 1
        self._out, self._lifeline = out_r, life_w
        os.set_blocking(out_r, False)
        self._sel.register(out_r, selectors.EVENT_READ, _OUTPUT)
        try:
            self._pidfd = os.pidfd_open(proc.pid)
            self._sel.register(self._pidfd, selectors.EVENT_READ, _PIDFD)
        except (AttributeError, OSError):  # pragma: no cover - kernels without pidfd
            self._pidfd = -1
        try:
            self._status_fd = os.open(f"/proc/{proc.pid}/status", os.O_RDONLY)
        except OSError:  # pragma: no cover - no procfs
            self._status_fd = -1
        self._phase = "init"
        self._result = None
        self._init_error = None
        reason = self._wait(t0 + (INIT_TIMEOUT if timeout is None else timeout))
        init_ms = (time.perf_counter() - t0) * 1000.0
        if reason == "done" and self._init_error is None:
            self._phase = "idle"
            self._check_private_tmp()
            return InitResult(True, init_ms, log_lines=self._take_lines())
        if self._init_error is not None:
            payload, error_type = self._init_error
            self._wait_exit(1.0)
            self._end_process()
            return InitResult(False, init_ms, payload, error_type, self._take_lines())
        if reason == "deadline":
            self._end_process()
            payload = timeout_payload(rid, spec.timeout)
            return InitResult(False, init_ms, payload, "Sandbox.Timedout", self._take_lines())
        code = self._end_process()  # exited during INIT, or over memory
        return InitResult(False, init_ms, exit_payload(rid, code), "Runtime.ExitError", self._take_lines())

    def invoke(self, request_id: str, payload: bytes, invoked_function_arn: str, *,
               client_context: str | None = None, trace_id: str | None = None,
               tenant_id: str | None = None, timeout: float | None = None) -> InvokeResult:
        """Hand one event to the runtime and wait for its response, error, exit or timeout.

        *client_context* is the caller's ``X-Amz-Client-Context`` (base64, or already JSON);
        *timeout* defaults to the function's configured timeout.
        """
        if self._proc is None:
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
        body = payload or b"{}"
        headers = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                   f"Lambda-Runtime-Aws-Request-Id: {request_id}\r\n"
                   f"Lambda-Runtime-Deadline-Ms: {int((time.time() + limit) * 1000)}\r\n"
                   f"Lambda-Runtime-Invoked-Function-Arn: {invoked_function_arn}\r\n"
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
            self._close_conn(conn)
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
            return InvokeResult("success", result[1], None, None, duration_ms, used, self._take_lines(), result[2])
        if kind is _TOO_LARGE:
            return InvokeResult("error", TOO_LARGE_PAYLOAD, "Unhandled", "Function.ResponseSizeTooLarge",
                                duration_ms, used, self._take_lines())
        return InvokeResult("error", result[1], "Unhandled", result[2], duration_ms, used, self._take_lines())

    def kill(self) -> None:
        """End the runtime process (and its process group) now; start() may be called again."""
        if self._proc is not None:
            self._end_process()

    def close(self) -> None:
        """Kill the process and release the Runtime API endpoint for good."""
        self.kill()
        if not self._closed:
            self._closed = True
            self._sel.close()
            self._listener.close()

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
            self._end_process()
            return InvokeResult("timeout", timeout_payload(request_id, limit), "Unhandled", "Sandbox.Timedout",
                                limit * 1000.0, used, self._take_lines(), environment_alive=False)
        duration_ms = (time.perf_counter() - t0) * 1000.0
        if reason == "memory":
            self._end_process()
            code = -signal.SIGKILL
        else:
            code = self._end_process()
        outcome = "out_of_memory" if code == -signal.SIGKILL else "crash"
        return InvokeResult(outcome, exit_payload(request_id, code), "Unhandled", "Runtime.ExitError",
                            duration_ms, used, self._take_lines(), environment_alive=False)

    # -- the event loop ------------------------------------------------------------------------

    def _wait(self, deadline: float) -> str:
        """Serve the Runtime API until the current phase is done; 'done'|'deadline'|'exited'|'memory'."""
        select = self._sel.select
        limit_kb = self.spec.memory_size * 1024
        self._done = False
        next_check = time.perf_counter() + MEMORY_POLL_INTERVAL
        while True:
            now = time.perf_counter()
            timeout = deadline - now
            if timeout <= 0:
                return "deadline"
            events = select(min(timeout, MEMORY_POLL_INTERVAL))
            for key, _ in events:
                data = key.data
                if data.__class__ is _Conn:
                    self._on_readable(data)
                elif data == _OUTPUT:
                    self._read_output()
                elif data == _LISTEN:
                    self._accept()
                else:
                    self._exited = True
            if self._done:
                return "done"
            if self._exited or (self._pidfd < 0 and self._proc is not None and self._proc.poll() is not None):
                return "exited"
            if not events or now >= next_check:  # a long invoke: watch resident memory
                next_check = now + MEMORY_POLL_INTERVAL
                if self._peak_kb() > limit_kb:
                    return "memory"

    def _accept(self) -> None:
        sock, _ = self._listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Conn(sock)
        self._conns[sock.fileno()] = conn
        self._sel.register(sock, selectors.EVENT_READ, conn)

    def _close_conn(self, conn: _Conn) -> None:
        fd = conn.sock.fileno()
        if fd >= 0:
            self._conns.pop(fd, None)
            try:
                self._sel.unregister(conn.sock)
            except (KeyError, ValueError):
                pass
        conn.sock.close()
        if self._next is conn:
            self._next = None

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
            if self._pidfd < 0:
                self._exited = True

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

    def _on_readable(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(1 << 18)
        except OSError:
            data = b""
        if not data:
            self._close_conn(conn)
            return
        buf = conn.buf
        buf += data
        while True:
            if conn.discard:
                n = min(conn.discard, len(buf))
                del buf[:n]
                conn.discard -= n
                if conn.discard:
                    return
                if conn.too_large:
                    conn.too_large = False
                    self._reply(conn, 413, b'{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).",'
                                           b'"errorType":"RequestEntityTooLarge"}')
                    if self._phase == "invoke" and self._result is None:
                        self._result = (_TOO_LARGE,)
                        self._done = True
            if conn.head is None:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > 1 << 20:
                        self._close_conn(conn)
                    return
                lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
                del buf[:end + 4]
                method, path, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if method == "POST" and path.endswith("/response") and length > MAX_RESPONSE_BYTES:
                    if headers.get("expect", "").lower() == "100-continue":
                        conn.too_large = True
                        conn.discard = 0
                        self._reply(conn, 413, b'{"errorMessage":"Exceeded maximum allowed payload size '
                                               b'(6291556 bytes).","errorType":"RequestEntityTooLarge"}', close=True)
                        if self._phase == "invoke" and self._result is None:
                            self._result = (_TOO_LARGE,)
                            self._done = True
                        self._close_conn(conn)
                        return
                    conn.discard, conn.too_large = length, True
                    continue
                if headers.get("expect", "").lower() == "100-continue":
                    conn.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                conn.head = (method, path, headers, length)
            method, path, headers, length = conn.head
            if len(buf) < length:
                return
            body = bytes(buf[:length])
            del buf[:length]
            conn.head = None
            self._dispatch(conn, method, path, headers, body)
            if conn.sock.fileno() < 0:
                return

    def _dispatch(self, conn: _Conn, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        """Answer one Runtime API request."""
        if path == _NEXT and method == "GET":
            self._next = conn
            if self._phase in ("init", "wait-next"):
                self._done = True
            return
        if method == "POST" and path.startswith(_INVOCATION):
            rid, _, action = path[len(_INVOCATION):].rpartition("/")
            if action not in ("response", "error"):
                self._reply(conn, 404, b'{"errorMessage":"Not found","errorType":"NotFound"}')
                return
            if self._phase != "invoke" or rid != self._rid or self._result is not None:
                self._reply(conn, 400, b'{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}')
                return
            if action == "response":
                self._result = ("response", body, headers.get("content-type") or "application/json")
            else:
                self._result = ("error", body, headers.get("lambda-runtime-function-error-type")
                                or _error_type_of(body))
            self._reply(conn, 202, b'{"status":"OK"}')
            self._done = True
            return
        if method == "POST" and path == _INIT_ERROR:
            if self._phase != "init":
                self._reply(conn, 403, b'{"errorMessage":"State transition from Ready to InitError failed",'
                                       b'"errorType":"InvalidStateTransition"}')
                return
            self._init_error = (body, headers.get("lambda-runtime-function-error-type") or _error_type_of(body))
            self._reply(conn, 202, b'{"status":"OK"}')
            self._done = True
            return
        self._reply(conn, 404, b'{"errorMessage":"Not found","errorType":"NotFound"}')

    def _reply(self, conn: _Conn, status: int, body: bytes, close: bool = False) -> None:
        reason = {202: "Accepted", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
                  413: "Request Entity Too Large"}.get(status, "OK")
        extra = "Connection: close\r\n" if close else ""
        try:
            conn.sock.sendall(f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{extra}"
                              f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        except OSError:
            self._close_conn(conn)

    # -- process helpers -----------------------------------------------------------------------

    @staticmethod
    def _trace_id() -> str:
        return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"

    def _peak_kb(self) -> int:
        """Peak resident memory (VmHWM) of the runtime process, in kB (0 if unknown)."""
        if self._status_fd < 0:
            return 0
        try:
            status = os.pread(self._status_fd, 4096, 0)
        except OSError:
            return 0
        i = status.find(b"VmHWM:")
        if i < 0:
            return 0
        return int(status[i + 6:status.index(b"kB", i)])

    def _max_memory_mb(self) -> int:
        return (self._peak_kb() + 1023) // 1024

    def _check_private_tmp(self) -> None:
        """Did the runtime get this environment's tmp_dir as its literal /tmp?"""
        if not self._want_private_tmp or self._proc is None:
            return
        try:
            inside = os.stat(f"/proc/{self._proc.pid}/root/tmp")
            mine = os.stat(self.spec.tmp_dir)
            self.private_tmp = (inside.st_dev, inside.st_ino) == (mine.st_dev, mine.st_ino)
        except OSError:
            self.private_tmp = False

    def _wait_exit(self, grace: float) -> None:
        """Give a runtime that reported an init error a moment to exit on its own."""
        if self._proc is not None:
            try:
                self._proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass

    def _end_process(self) -> int:
        """Kill the process group, reap, close the process's fds; return the exit code."""
        proc = self._proc
        code = 0
        if proc is not None:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    proc.kill()
            code = proc.wait()
            try:  # members of the group that outlived the leader
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            _guard("-", proc.pid)
        self._drain_output()
        self._reset_process(keep_output=True)
        return code

    def _reset_process(self, keep_output: bool = False) -> None:
        for conn in list(self._conns.values()):
            self._close_conn(conn)
        self._next = None
        for name in ("_out", "_pidfd"):
            fd = getattr(self, name)
            if fd >= 0:
                try:
                    self._sel.unregister(fd)
                except (KeyError, ValueError):
                    pass
                os.close(fd)
                setattr(self, name, -1)
        for name in ("_lifeline", "_status_fd"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)
        if not keep_output:
            self._chunks = []
        self._proc = None
        self._exited = False
        self._phase = "dead"


def _error_type_of(body: bytes) -> str:
    """The errorType inside a posted error body (awslambdaric sends no error-type header)."""
    try:
        value = json.loads(body).get("errorType")
    except (ValueError, AttributeError):
        return "Unhandled"
    return value if isinstance(value, str) and value else "Unhandled"


def _decode_client_context(value: str) -> str:
    """The caller's base64 X-Amz-Client-Context as JSON text (already-JSON text passes through)."""
    if value.lstrip().startswith("{"):
        return value
    try:
        return base64.b64decode(value, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return value


@atexit.register
def _kill_all() -> None:
    """No orphans: kill every environment's process when the interpreter exits."""
    for env in list(_LIVE):
        try:
            env.kill()
        except Exception:  # pragma: no cover - best effort at exit
            pass
