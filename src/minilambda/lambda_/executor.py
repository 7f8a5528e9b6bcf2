"""The path of one invocation: admission by the platform model, execution in a real environment,
log lines, and the ``Invocation`` record.

Same code on both clocks. On the wall clock an environment is released when its handler returns.
On the virtual clock its release is scheduled at ``start + duration`` on the clock, so work that
overlaps in virtual time lands on separate environments, exactly as the model says, although the
host runs the handlers one after another.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import shutil
import sys
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from ..clock import Clock
from ..errors import AwsError, too_many_requests
from ..model.limits import PROVISIONED
from ..model.platform import Environment, Platform, Throttle
from ..records import EnvironmentEvent, Invocation, Outcome, RecordLog, billed_ms
from ..runtime import logs as loglines
from ..runtime.spec import EnvironmentSpec, InitResult, InvokeResult
from ..runtime.supervisor import Supervisor
from ..services.cloudwatch_logs import CloudWatchLogs
from .registry import Function, FunctionVersion, Registry


@dataclass
class InvokeOutput:
    """What the Invoke API answers for one synchronous invocation."""

    status: int
    payload: bytes
    executed_version: str
    function_error: str | None
    log_tail: list[str]
    record: Invocation
    content_type: str = "application/json"


@dataclass(frozen=True)
class Host:
    """Where environments run: the Cloud's folder and account, and (asked at each use) its process
    supervisor (fork server, cgroups, guardian), loopback endpoint and runtime folder of boto3."""

    workdir: str
    region: str
    account_id: str
    endpoint_url: Callable[[], str]
    runtime_dir: Callable[[], str]
    supervisor: Callable[[], Supervisor]
    # The Cloud's credential store: an environment's temporary keys (key, secret, token, role session
    # ARN) are valid while it lives, and forgotten when it is reclaimed.
    add_keys: Callable[[str, str, str, str], None] = lambda key, secret, token, arn: None
    drop_keys: Callable[[str], None] = lambda key: None


@dataclass(frozen=True)
class Phases:
    """What an environment did for one request: its process, INIT (None when warm), the INIT retried
    inside the invoke after a failed one (AWS's suppressed INIT), and the invoke's result."""

    proc: Any
    init: InitResult | None
    suppressed: InitResult | None
    result: InvokeResult

    @property
    def init_ms(self) -> float:
        """The INIT duration reported and billed as such (0 unless INIT succeeded the first time)."""
        return self.init.init_ms if self.init is not None and self.init.ok else 0.0


class _ObservedPlatform(Platform):
    """The platform model, reporting environments' creation and end to the executor."""

    def __init__(self, observer: "Executor", **options: Any) -> None:
        super().__init__(**options)
        self._observer = observer

    def on_created(self, env: Environment, now: float) -> None:
        self._observer.on_created(env, now)

    def on_stopped(self, env: Environment, when: float) -> None:
        self._observer.on_stopped(env, when)


class Executor:
    """Runs invocations: platform admission, processes, log lines and records."""

    def __init__(self, *, host: Host, clock: Clock, rng: Any, registry: Registry, logs: CloudWatchLogs,
                 records: RecordLog, lock: threading.RLock, bill_init: bool, platform: dict[str, Any]) -> None:
        self.host = host
        self.clock = clock
        self.rng = rng
        self.registry = registry
        self.logs = logs
        self.records = records
        self.lock = lock  # the Lambda backend's lock: it guards the platform model
        self.bill_init = bill_init
        self.platform = _ObservedPlatform(self, **platform)
        self._reap_timer: Any = None
        self.timeout_line = False  # also log the older "Task timed out after N.NN seconds" line
        self.init_timeout = 10.0  # AWS's cap on an on-demand INIT phase (seconds); tests shorten it

    # -- environments ------------------------------------------------------------------------

    def spec_for(self, env: Environment, fv: FunctionVersion, init_type: str) -> EnvironmentSpec:
        host = self.host
        date = _dt.datetime.fromtimestamp(self.clock.now(), tz=_dt.timezone.utc).strftime("%Y/%m/%d")
        stream = f"{date}/[{fv.version}]{self.rng.getrandbits(128):032x}"
        tmp = os.path.join(host.workdir, "envs", env.id, "tmp")
        os.makedirs(tmp, exist_ok=True)
        return EnvironmentSpec(
            function_name=fv.name, version=fv.version, function_arn=self.registry.function_arn(fv.name),
            runtime=fv.runtime, handler=fv.config.get("Handler") or "", memory_size=fv.memory_size,
            timeout=float(fv.timeout), environment=fv.environment, task_root=fv.code.root,
            layer_root=self.registry.layer_root(fv.layers), tmp_dir=tmp,
            log_group=fv.config["LoggingConfig"]["LogGroup"], log_stream=stream, region=host.region,
            account_id=host.account_id, endpoint_url=host.endpoint_url(), initialization_type=init_type,
            architecture=fv.architecture, ephemeral_storage=int(fv.config["EphemeralStorage"]["Size"]),
            log_format=fv.config["LoggingConfig"].get("LogFormat", "Text"),
            log_level=fv.config["LoggingConfig"].get("ApplicationLogLevel"),
            python_executable=sys.executable, runtime_dir=host.runtime_dir(), init_timeout=self.init_timeout,
        )

    def _register_keys(self, proc: Any, fv: FunctionVersion) -> None:
        """Make the environment's temporary keys valid, for the role session its handler runs as."""
        key, secret, token = proc.credentials
        role = (fv.config.get("Role") or "").rsplit("/", 1)[-1] or "lambda-role"
        self.host.add_keys(key, secret, token, f"arn:aws:sts::{self.host.account_id}:assumed-role/{role}/{fv.name}")

    def on_created(self, env: Environment, now: float) -> None:
        self.records.environments.append(
            EnvironmentEvent(now, env.id, env.function_name, env.version, "created", env.kind))

    def on_stopped(self, env: Environment, when: float) -> None:
        proc = env.handle
        env.handle = None
        if proc is not None:
            proc.close()  # the process, and the environment's Runtime API socket
            self.host.drop_keys(proc.credentials[0])
        shutil.rmtree(os.path.join(self.host.workdir, "envs", env.id), ignore_errors=True)
        self.records.environments.append(
            EnvironmentEvent(when, env.id, env.function_name, env.version, "reclaimed"))

    def schedule_reap(self) -> None:
        """Ask the clock to wake us when the next idle environment's keep-alive runs out."""
        nxt = self.platform.next_expiry()
        if nxt is None:
            return
        t = self._reap_timer
        if t is not None and not t.cancelled and t.when <= nxt:
            return
        self._reap_timer = self.clock.call_at(nxt, self._reap)

    def _reap(self) -> None:
        self._reap_timer = None
        with self.lock:
            self.platform.expire(self.clock.now())
        self.schedule_reap()

    def _release(self, env: Environment, when: float, reset: bool) -> None:
        with self.lock:
            self.platform.release(env, when, reset=reset)
        self.schedule_reap()

    def start_provisioned(self, env: Environment, fv: FunctionVersion) -> None:
        """Initialise one provisioned environment ahead of any request."""
        from ..runtime.environment import ProcessEnvironment

        proc = ProcessEnvironment(self.spec_for(env, fv, PROVISIONED), self.host.supervisor())
        env.handle = proc
        self._register_keys(proc, fv)
        init = proc.start()
        self._write_init_logs(proc.spec, init)
        with self.lock:
            self.platform.ready(env, self.clock.now())
            # A failed INIT leaves the environment usable but uninitialised: its first request
            # retries INIT and reports the error, as AWS does.
            env.initialized = init.ok

    def _write_init_logs(self, spec: EnvironmentSpec, init: InitResult, when: float | None = None) -> None:
        """INIT_START, the output of INIT, and INIT_REPORT when INIT failed or timed out."""
        when = self.clock.now() if when is None else when
        if spec.log_format.upper() == "JSON":
            records = loglines.json_init_records(
                when, spec.initialization_type, "init", init.status, init.init_ms, spec.runtime, spec.function_name,
                spec.version, init.error_type if init.status == "error" else None, spec.region)
            lines = records[:1] + list(init.log_lines) + records[1:]
        else:
            lines = [loglines.init_start_line(spec.runtime, _host_python(), spec.region)] + list(init.log_lines)
            if not init.ok:
                lines.append(loglines.init_report_line(init.init_ms, "init", init.status,
                                                       init.error_type if init.status == "error" else None))
        self.logs.write(spec.log_group, spec.log_stream, lines)

    def _invoke_lines(self, spec: EnvironmentSpec, ran: Phases, request_id: str, t_start: float, t_end: float,
                      duration_ms: float, billed: int) -> list[str]:
        """The invocation's log events, Text or JSON format, with AWS's suppressed-init order."""
        text = spec.log_format.upper() != "JSON"
        suppressed, result = ran.suppressed, ran.result
        init_ms = ran.init_ms if ran.init is not None and ran.init.ok else None
        lines: list[str] = []
        if suppressed is not None:
            lines += suppressed.log_lines
            if text and not suppressed.ok:
                lines.append(loglines.init_report_line(suppressed.init_ms, "invoke", suppressed.status,
                                                       suppressed.error_type if suppressed.status == "error" else None))
            elif not text:
                lines += loglines.json_init_records(
                    t_start, spec.initialization_type, "invoke", suppressed.status, suppressed.init_ms, spec.runtime,
                    spec.function_name, spec.version, suppressed.error_type if not suppressed.ok else None,
                    spec.region)[1:]
        lines.append(loglines.start_line(request_id, spec.version) if text
                     else loglines.json_start_record(t_start, request_id, spec.version))
        lines += result.log_lines
        status, error_type = _report_status(result)
        if text:
            lines += self._failure_lines(result, suppressed, request_id, t_end, duration_ms)
            lines.append(loglines.end_line(request_id))
            lines.append(loglines.report_line(request_id, duration_ms, billed, spec.memory_size,
                                              result.max_memory_used_mb, init_ms, status, error_type))
        else:
            json_status = status or ("success" if result.outcome == Outcome.SUCCESS.value else "error")
            lines += loglines.json_end_records(t_end, request_id, json_status, duration_ms, billed, spec.memory_size,
                                               result.max_memory_used_mb, init_ms,
                                               None if json_status == "success" else (error_type or result.error_type),
                                               len(result.payload) if result.outcome == "success" else 0)
        return lines

    def _failure_lines(self, result: InvokeResult, suppressed: InitResult | None, request_id: str,
                       t_end: float, duration_ms: float) -> list[str]:
        """The platform's own lines about a failure, between the handler's output and END."""
        if result.outcome == Outcome.TIMEOUT.value:
            return [loglines.timed_out_line(t_end, request_id, duration_ms / 1000.0)] if self.timeout_line else []
        if result.outcome == Outcome.CRASH.value or (suppressed is not None and not suppressed.ok
                                                     and result.error_type == "Runtime.ExitError"):
            message = _error_message(result.payload).partition(" Error: ")[2]
            return [loglines.runtime_exit_line(request_id, message, "Runtime.ExitError")]
        if suppressed is not None and not suppressed.ok:
            return ["Unknown application error occurred\nRuntime.Unknown"]
        return []

    # -- the invoke path ---------------------------------------------------------------------

    def execute(self, fn: Function, fv: FunctionVersion, qualifier: str | None, payload: bytes, *,
                invocation_type: str = "RequestResponse", client_context: str | None = None,
                advance_clock: bool = True, trigger: str = "invoke", request_id: str | None = None) -> InvokeOutput:
        """Run one invocation to its end. Raises AwsError 429 when the platform throttles it."""
        request_id = request_id or str(uuid.uuid4())
        start = self.clock.now()
        env = self._admit(fn, fv, qualifier, start, request_id, invocation_type, trigger)
        try:
            ran = self._run(env, fv, payload, request_id, qualifier, client_context, start)
        except BaseException:
            with self.lock:
                self.platform.discard(env, self.clock.now())
            raise
        ran = dataclasses.replace(ran, result=self._apply_declared_duration(fn, fv, ran.proc, ran.result, request_id))
        rec, lines = self._record(fn, fv, env, qualifier, start, ran, request_id, invocation_type, trigger)
        result = ran.result
        self._finish(env, rec.end, not result.environment_alive, advance_clock)
        return InvokeOutput(200, result.payload, fv.version, result.function_error, lines, rec,
                            result.content_type)

    def _admit(self, fn: Function, fv: FunctionVersion, qualifier: str | None, start: float, request_id: str,
               invocation_type: str, trigger: str) -> Environment:
        """An environment for the request, or a recorded throttle (AwsError 429)."""
        platform = self.platform
        with self.lock:
            pool = platform.pool(fn.name, fv.version, start)
            provisioned = platform.provisioned_pool(fn.name, qualifier) if qualifier else None
            if provisioned is None and fv.version != "$LATEST":
                provisioned = platform.provisioned_pool(fn.name, fv.version)
            decision = platform.acquire(pool, start, provisioned)
        if isinstance(decision, Throttle):
            self.records.invocations.append(Invocation(
                request_id, fn.name, fv.version, start, start, Outcome.THROTTLED, memory_size_mb=fv.memory_size,
                invocation_type=invocation_type, qualifier=qualifier, architecture=fv.architecture,
                runtime=fv.runtime, trigger=trigger, throttle_reason=decision.reason,
                error_type="TooManyRequestsException"))
            raise too_many_requests(decision.reason)
        return decision

    def _run(self, env: Environment, fv: FunctionVersion, payload: bytes, request_id: str,
             qualifier: str | None, client_context: str | None, start: float) -> Phases:
        """Start the environment's process if needed (INIT, retried once inside the invoke after a
        failure, as AWS does), then invoke the handler."""
        from ..runtime.environment import ProcessEnvironment

        proc = env.handle
        if proc is None:
            proc = env.handle = ProcessEnvironment(self.spec_for(env, fv, env.kind), self.host.supervisor())
            self._register_keys(proc, fv)
        init = suppressed = None
        if env.cold or not proc.alive:
            init = proc.start(request_id=request_id)
            self._write_init_logs(proc.spec, init, start)
            if not init.ok:  # AWS retries INIT inside the first invoke, under the function's timeout
                suppressed = proc.start(request_id=request_id, timeout=fv.timeout)
        invoked_arn = self.registry.function_arn(fv.name, qualifier)
        result = self._invoke(proc, suppressed, request_id, payload, invoked_arn, client_context, fv.timeout)
        return Phases(proc, init, suppressed, result)

    def _invoke(self, proc: Any, suppressed: InitResult | None, request_id: str, payload: bytes, invoked_arn: str,
                client_context: str | None, timeout: float) -> InvokeResult:
        """The invoke phase; after a suppressed INIT its time counts in the invoke's duration."""
        if suppressed is None:
            return proc.invoke(request_id, payload, invoked_arn, client_context=client_context)
        if not suppressed.ok:
            outcome = Outcome.TIMEOUT if suppressed.status == "timeout" else Outcome.INIT_ERROR
            return InvokeResult(outcome=outcome.value, payload=suppressed.error_payload or b"{}",
                                function_error="Unhandled", error_type=suppressed.error_type,
                                duration_ms=suppressed.init_ms, max_memory_used_mb=suppressed.max_memory_used_mb,
                                environment_alive=False)
        left = max(timeout - suppressed.init_ms / 1000.0, 0.001)
        result = proc.invoke(request_id, payload, invoked_arn, client_context=client_context, timeout=left)
        result.duration_ms += suppressed.init_ms
        if result.outcome == Outcome.TIMEOUT.value:
            result.duration_ms = timeout * 1000.0
        return result

    def _apply_declared_duration(self, fn: Function, fv: FunctionVersion, proc: Any, result: InvokeResult,
                                 request_id: str) -> InvokeResult:
        """A declared duration replaces the measured one (and times out past the function's Timeout)."""
        model = fn.duration_model
        if model is None or result.outcome != Outcome.SUCCESS.value:
            return result
        duration_ms = model.duration_ms(fv.memory_size)
        if duration_ms <= fv.timeout * 1000.0:
            return dataclasses.replace(result, duration_ms=duration_ms)
        from ..runtime.environment import timeout_payload

        proc.kill()  # the platform would have stopped it at the timeout
        return InvokeResult(outcome=Outcome.TIMEOUT.value, payload=timeout_payload(request_id, fv.timeout),
                            function_error="Unhandled", error_type="Sandbox.Timedout",
                            duration_ms=fv.timeout * 1000.0, max_memory_used_mb=result.max_memory_used_mb,
                            log_lines=list(result.log_lines), environment_alive=False)

    def _record(self, fn: Function, fv: FunctionVersion, env: Environment, qualifier: str | None, start: float,
                ran: Phases, request_id: str, invocation_type: str, trigger: str) -> tuple[Invocation, list[str]]:
        """The invocation's log lines (START/END/REPORT and the rest) and its ``Invocation`` record."""
        virtual = self.clock.virtual
        init_type = env.kind
        result, spec = ran.result, ran.proc.spec
        init_ms = ran.init_ms
        duration_ms = result.duration_ms
        bill_init = self.bill_init or fv.runtime.startswith("provided")
        billed = billed_ms(duration_ms, init_ms if init_type != PROVISIONED else 0.0, bill_init=bill_init)
        end = start + (init_ms + duration_ms) / 1000.0 if virtual else self.clock.now()
        cold = ran.init is not None
        rec = Invocation(
            request_id=request_id, function_name=fn.name, version=fv.version, start=start, end=end,
            outcome=Outcome(result.outcome), cold=cold, init_ms=init_ms, duration_ms=duration_ms, billed_ms=billed,
            memory_size_mb=fv.memory_size, max_memory_used_mb=result.max_memory_used_mb,
            environment_id=env.id, error_type=result.error_type, invocation_type=invocation_type,
            qualifier=qualifier, initialization_type=init_type, architecture=fv.architecture,
            runtime=fv.runtime, ephemeral_storage_mb=int(fv.config["EphemeralStorage"]["Size"]), trigger=trigger)
        lines = self._invoke_lines(spec, ran, request_id, start + init_ms / 1000.0, end, duration_ms, billed)
        self.logs.write(spec.log_group, spec.log_stream, lines, timestamp=end if virtual else None)
        self.records.invocations.append(rec)
        return rec, lines

    def _finish(self, env: Environment, end: float, reset: bool, advance_clock: bool) -> None:
        """Release the environment: now (wall clock) or at the invocation's end (virtual clock)."""
        if not self.clock.virtual:
            self._release(env, self.clock.now(), reset)
            return
        self.clock.call_at(end, self._release, env, end, reset)
        if advance_clock:
            self.clock.advance_to(end)


def parse_payload(payload: bytes) -> bytes:
    """Check an Invoke payload is JSON as AWS's parser (Jackson) reads it: no ``NaN``/``Infinity``;
    an empty payload is ``{}``."""
    if not payload:
        return b"{}"
    try:
        json.loads(payload, parse_constant=_refuse_constant)
    except _NonStandardToken as exc:
        raise AwsError("InvalidRequestContentException", "Could not parse request body into json: Could not parse "
                       f"payload into json: {_jackson_non_standard(payload, exc.token)}", 400) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise AwsError("InvalidRequestContentException",
                       f"Could not parse request body into json: Could not parse payload into json: {exc}", 400)
    return payload


class _NonStandardToken(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity``: JSON has no such numbers."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _refuse_constant(token: str) -> Any:
    raise _NonStandardToken(token)


def _jackson_non_standard(payload: bytes, token: str) -> str:
    """Jackson's message for a non-numeric number, with the line and column after the token."""
    text = payload.decode("utf-8", "replace")
    end = text.find(token) + len(token)
    line = text.count("\n", 0, end) + 1
    column = end - (text.rfind("\n", 0, end) + 1) + 1
    return (f"Non-standard token '{token}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow\n"
            f" at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: {line}, "
            f"column: {column}]")


def encode_tail(lines: list[str]) -> str:
    """``X-Amz-Log-Result``: base64 of the last 4 KB of the invocation's log."""
    return loglines.tail(lines)


def _report_status(result: InvokeResult) -> tuple[str | None, str | None]:
    """REPORT's ``Status`` and ``Error Type`` for an outcome (None for success and handler errors)."""
    if result.outcome == Outcome.TIMEOUT.value:
        return "timeout", None
    if result.outcome == Outcome.OUT_OF_MEMORY.value:
        return "error", "Runtime.OutOfMemory"
    return None, None


def _error_message(payload: bytes) -> str:
    """The ``errorMessage`` of an error payload ('' when it has none)."""
    try:
        value = json.loads(payload).get("errorMessage", "")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def _host_python() -> str:
    return ".".join(map(str, sys.version_info[:3]))

