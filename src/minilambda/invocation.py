"""The path of one invocation: admission by the platform model, execution in a real environment,
log lines, and the ``Invocation`` record.

Same code on both clocks. On the wall clock an environment is released when its handler returns.
On the virtual clock its release is scheduled at ``start + duration`` on the clock, so work that
overlaps in virtual time lands on separate environments, exactly as the model says, although the
host runs the handlers one after another.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import sys
import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import AwsError, too_many_requests
from .platform import PROVISIONED, Environment, Throttle
from .records import EnvironmentEvent, Invocation, Outcome, billed_ms
from .runtime import logs as loglines
from .runtime.spec import EnvironmentSpec, InitResult, InvokeResult

if TYPE_CHECKING:  # pragma: no cover
    from .cloud import Cloud
    from .functions import Function, FunctionVersion

SYNC_PAYLOAD_LIMIT = 6_291_456
ASYNC_PAYLOAD_LIMIT = 1_048_576  # 1 MB since Oct 2025 (was 256 KB)


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


class Executor:
    """Runs invocations for one Cloud: platform admission, processes, logs and records."""

    def __init__(self, cloud: "Cloud") -> None:
        self.cloud = cloud
        self.lock = threading.RLock()  # guards the platform model
        self._reap_timer: Any = None
        self.timeout_line = False  # also log the older "Task timed out after N.NN seconds" line
        self.init_timeout = 10.0  # AWS's cap on an on-demand INIT phase (seconds); tests shorten it

    # -- environments ------------------------------------------------------------------------

    def spec_for(self, env: Environment, fv: "FunctionVersion", init_type: str) -> EnvironmentSpec:
        cloud = self.cloud
        date = _dt.datetime.fromtimestamp(cloud.clock.now(), tz=_dt.timezone.utc).strftime("%Y/%m/%d")
        stream = f"{date}/[{fv.version}]{cloud.rng.getrandbits(128):032x}"
        tmp = os.path.join(cloud.workdir, "envs", env.id, "tmp")
        os.makedirs(tmp, exist_ok=True)
        return EnvironmentSpec(
            function_name=fv.name, version=fv.version, function_arn=cloud.registry.function_arn(fv.name),
            runtime=fv.runtime, handler=fv.config.get("Handler") or "", memory_size=fv.memory_size,
            timeout=float(fv.timeout), environment=fv.environment, task_root=fv.code.root,
            layer_root=cloud.registry.layer_root(fv.layers), tmp_dir=tmp,
            log_group=fv.config["LoggingConfig"]["LogGroup"], log_stream=stream, region=cloud.region,
            account_id=cloud.account_id, endpoint_url=cloud.endpoint_url, initialization_type=init_type,
            architecture=fv.architecture, ephemeral_storage=int(fv.config["EphemeralStorage"]["Size"]),
            log_format=fv.config["LoggingConfig"].get("LogFormat", "Text"),
            log_level=fv.config["LoggingConfig"].get("ApplicationLogLevel"),
            python_executable=sys.executable, runtime_dir=cloud.runtime_dir, init_timeout=self.init_timeout,
        )

    def on_created(self, env: Environment, now: float) -> None:
        self.cloud.records.environments.append(
            EnvironmentEvent(now, env.id, env.function_name, env.version, "created", env.kind))

    def on_stopped(self, env: Environment, when: float) -> None:
        proc = env.handle
        env.handle = None
        if proc is not None:
            proc.close()  # the process, and the environment's Runtime API socket
        shutil.rmtree(os.path.join(self.cloud.workdir, "envs", env.id), ignore_errors=True)
        self.cloud.records.environments.append(
            EnvironmentEvent(when, env.id, env.function_name, env.version, "reclaimed"))

    def schedule_reap(self) -> None:
        """Ask the clock to wake us when the next idle environment's keep-alive runs out."""
        nxt = self.cloud.platform.next_expiry()
        if nxt is None:
            return
        t = self._reap_timer
        if t is not None and not t.cancelled and t.when <= nxt:
            return
        self._reap_timer = self.cloud.clock.call_at(nxt, self._reap)

    def _reap(self) -> None:
        self._reap_timer = None
        with self.lock:
            self.cloud.platform.expire(self.cloud.clock.now())
        self.schedule_reap()

    def _release(self, env: Environment, when: float, reset: bool) -> None:
        with self.lock:
            self.cloud.platform.release(env, when, reset=reset)
        self.schedule_reap()

    def start_provisioned(self, env: Environment, fv: "FunctionVersion") -> None:
        """Initialise one provisioned environment ahead of any request."""
        from .runtime.environment import ProcessEnvironment

        proc = ProcessEnvironment(self.spec_for(env, fv, PROVISIONED), self.cloud.supervisor)
        env.handle = proc
        init = proc.start()
        self._write_init_logs(proc.spec, init)
        with self.lock:
            self.cloud.platform.ready(env, self.cloud.clock.now())
            # A failed INIT leaves the environment usable but uninitialised: its first request
            # retries INIT and reports the error, as AWS does.
            env.initialized = init.ok

    def _write_init_logs(self, spec: EnvironmentSpec, init: InitResult, when: float | None = None) -> None:
        """INIT_START, the output of INIT, and INIT_REPORT when INIT failed or timed out."""
        when = self.cloud.clock.now() if when is None else when
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
        self.cloud.logs.write(spec.log_group, spec.log_stream, lines)

    def _run(self, proc: Any, suppressed: InitResult | None, request_id: str, payload: bytes, invoked_arn: str,
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

    def _invoke_lines(self, spec: EnvironmentSpec, suppressed: InitResult | None, result: InvokeResult,
                      request_id: str, t_start: float, t_end: float, duration_ms: float, billed: int,
                      init_ms: float | None) -> list[str]:
        """The invocation's log events, Text or JSON format, with AWS's suppressed-init order."""
        text = spec.log_format.upper() != "JSON"
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

    def execute(self, fn: "Function", fv: "FunctionVersion", qualifier: str | None, payload: bytes, *,
                invocation_type: str = "RequestResponse", client_context: str | None = None,
                advance_clock: bool = True, trigger: str = "invoke", request_id: str | None = None) -> InvokeOutput:
        """Run one invocation to its end. Raises AwsError 429 when the platform throttles it."""
        cloud = self.cloud
        clock = cloud.clock
        request_id = request_id or str(uuid.uuid4())
        start = clock.now()
        invoked_arn = cloud.registry.function_arn(fn.name, qualifier)
        platform = cloud.platform
        with self.lock:
            pool = platform.pool(fn.name, fv.version, start)
            provisioned = platform.provisioned_pool(fn.name, qualifier) if qualifier else None
            if provisioned is None and fv.version != "$LATEST":
                provisioned = platform.provisioned_pool(fn.name, fv.version)
            decision = platform.acquire(pool, start, provisioned)
        if isinstance(decision, Throttle):
            rec = Invocation(request_id, fn.name, fv.version, start, start, Outcome.THROTTLED,
                             memory_size_mb=fv.memory_size, invocation_type=invocation_type, qualifier=qualifier,
                             architecture=fv.architecture, runtime=fv.runtime, trigger=trigger,
                             throttle_reason=decision.reason, error_type="TooManyRequestsException")
            cloud.records.invocations.append(rec)
            raise too_many_requests(decision.reason)
        env = decision
        init_type = env.kind
        try:
            proc = env.handle
            if proc is None:
                from .runtime.environment import ProcessEnvironment

                proc = env.handle = ProcessEnvironment(self.spec_for(env, fv, init_type), cloud.supervisor)
            spec: EnvironmentSpec = proc.spec
            init = suppressed = None
            if env.cold or not proc.alive:
                init = proc.start(request_id=request_id)
                self._write_init_logs(spec, init, start)
                if not init.ok:  # AWS retries INIT inside the first invoke, under the function's timeout
                    suppressed = proc.start(request_id=request_id, timeout=fv.timeout)
            result = self._run(proc, suppressed, request_id, payload, invoked_arn, client_context, fv.timeout)
        except BaseException:
            with self.lock:
                platform.discard(env, clock.now())
            raise
        normal_init = init is not None and init.ok
        init_ms = init.init_ms if normal_init else 0.0
        duration_ms = result.duration_ms
        model = fn.duration_model
        if model is not None and result.outcome == Outcome.SUCCESS.value:
            duration_ms = model.duration_ms(fv.memory_size, cloud.rng)
            if duration_ms > fv.timeout * 1000.0:
                # The declared duration outlives the timeout: the platform would have stopped it.
                from .runtime.environment import timeout_payload

                duration_ms = fv.timeout * 1000.0
                result = InvokeResult(outcome=Outcome.TIMEOUT.value, payload=timeout_payload(request_id, fv.timeout),
                                      function_error="Unhandled", error_type="Sandbox.Timedout",
                                      duration_ms=duration_ms, max_memory_used_mb=result.max_memory_used_mb,
                                      log_lines=list(result.log_lines), environment_alive=False)
                proc.kill()
        bill_init = cloud.bill_init or fv.runtime.startswith("provided")
        billed = billed_ms(duration_ms, init_ms if init_type != PROVISIONED else 0.0, bill_init=bill_init)
        outcome = Outcome(result.outcome)
        end = start + (init_ms + duration_ms) / 1000.0 if clock.virtual else clock.now()
        cold = init is not None
        rec = Invocation(
            request_id=request_id, function_name=fn.name, version=fv.version, start=start, end=end,
            outcome=outcome, cold=cold, init_ms=init_ms, duration_ms=duration_ms, billed_ms=billed,
            memory_size_mb=fv.memory_size, max_memory_used_mb=result.max_memory_used_mb,
            environment_id=env.id, error_type=result.error_type, invocation_type=invocation_type,
            qualifier=qualifier, initialization_type=init_type, architecture=fv.architecture,
            runtime=fv.runtime, ephemeral_storage_mb=int(fv.config["EphemeralStorage"]["Size"]), trigger=trigger)
        lines = self._invoke_lines(spec, suppressed, result, request_id, start + init_ms / 1000.0, end,
                                   duration_ms, billed, init_ms if normal_init else None)
        cloud.logs.write(spec.log_group, spec.log_stream, lines, timestamp=end if clock.virtual else None)
        cloud.records.invocations.append(rec)
        reset = not result.environment_alive
        if clock.virtual:
            clock.call_at(end, self._release, env, end, reset)
            if advance_clock:
                clock.advance_to(end)
        else:
            self._release(env, clock.now(), reset)
        return InvokeOutput(200, result.payload, fv.version, result.function_error, lines, rec,
                            result.content_type)


def parse_payload(payload: bytes) -> bytes:
    """Check an Invoke payload is JSON, as AWS does; an empty payload is ``{}``."""
    if not payload:
        return b"{}"
    try:
        json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AwsError("InvalidRequestContentException",
                       f"Could not parse request body into json: Could not parse payload into json: {exc}", 400)
    return payload


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
    try:
        value = json.loads(payload).get("errorMessage", "")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def _host_python() -> str:
    return ".".join(map(str, sys.version_info[:3]))

