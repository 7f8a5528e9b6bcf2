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
    """Where environments run: the Cloud's folder, account, and (built on first use) its loopback
    endpoint and the runtime folder of boto3 for handlers' import path."""

    workdir: str
    region: str
    account_id: str
    endpoint_url: Callable[[], str]
    runtime_dir: Callable[[], str]


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
            python_executable=sys.executable, runtime_dir=host.runtime_dir(),
        )

    def on_created(self, env: Environment, now: float) -> None:
        self.records.environments.append(
            EnvironmentEvent(now, env.id, env.function_name, env.version, "created", env.kind))

    def on_stopped(self, env: Environment, when: float) -> None:
        proc = env.handle
        env.handle = None
        if proc is not None:
            proc.close()  # the process, and the environment's Runtime API socket
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

        proc = ProcessEnvironment(self.spec_for(env, fv, PROVISIONED))
        env.handle = proc
        init = proc.start()
        self._write_init_logs(proc.spec, init)
        with self.lock:
            self.platform.ready(env, self.clock.now())
            # A failed INIT leaves the environment usable but uninitialised: its first request
            # retries INIT and reports the error, as AWS does.
            env.initialized = init.ok

    def _write_init_logs(self, spec: EnvironmentSpec, init: InitResult) -> None:
        lines = [loglines.init_start_line(spec.runtime, _host_python(), spec.region)] + list(init.log_lines)
        self.logs.write(spec.log_group, spec.log_stream, lines)

    # -- the invoke path ---------------------------------------------------------------------

    def execute(self, fn: Function, fv: FunctionVersion, qualifier: str | None, payload: bytes, *,
                invocation_type: str = "RequestResponse", client_context: str | None = None,
                advance_clock: bool = True, trigger: str = "invoke", request_id: str | None = None) -> InvokeOutput:
        """Run one invocation to its end. Raises AwsError 429 when the platform throttles it."""
        request_id = request_id or str(uuid.uuid4())
        start = self.clock.now()
        env = self._admit(fn, fv, qualifier, start, request_id, invocation_type, trigger)
        try:
            proc, init, result = self._run(env, fv, payload, request_id, qualifier, client_context)
        except BaseException:
            with self.lock:
                self.platform.discard(env, self.clock.now())
            raise
        result = self._apply_declared_duration(fn, fv, proc, result, request_id)
        rec, lines = self._record(fn, fv, env, qualifier, start, init, result, request_id, invocation_type,
                                  trigger, proc.spec)
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
             qualifier: str | None, client_context: str | None) -> tuple[Any, InitResult | None, InvokeResult]:
        """Start the environment's process if needed (INIT), then invoke the handler."""
        from ..runtime.environment import ProcessEnvironment

        proc = env.handle
        if proc is None:
            proc = env.handle = ProcessEnvironment(self.spec_for(env, fv, env.kind))
        init: InitResult | None = None
        if env.cold or not proc.alive:
            init = proc.start(request_id=request_id)
            self._write_init_logs(proc.spec, init)
        if init is not None and not init.ok:
            return proc, init, InvokeResult(
                outcome=Outcome.INIT_ERROR.value, payload=init.error_payload or b"{}", function_error="Unhandled",
                error_type=init.error_type, duration_ms=0.0, max_memory_used_mb=0, environment_alive=False)
        invoked_arn = self.registry.function_arn(fv.name, qualifier)
        return proc, init, proc.invoke(request_id, payload, invoked_arn, client_context=client_context)

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
                init: InitResult | None, result: InvokeResult, request_id: str, invocation_type: str,
                trigger: str, spec: EnvironmentSpec) -> tuple[Invocation, list[str]]:
        """The invocation's START/END/REPORT lines and its ``Invocation`` record."""
        virtual = self.clock.virtual
        init_type = env.kind
        init_ms = init.init_ms if init is not None else 0.0
        duration_ms = result.duration_ms
        bill_init = self.bill_init or fv.runtime.startswith("provided")
        billed = billed_ms(duration_ms, init_ms if init_type != PROVISIONED else 0.0, bill_init=bill_init)
        end = start + (init_ms + duration_ms) / 1000.0 if virtual else self.clock.now()
        cold = init is not None
        rec = Invocation(
            request_id=request_id, function_name=fn.name, version=fv.version, start=start, end=end,
            outcome=Outcome(result.outcome), cold=cold, init_ms=init_ms, duration_ms=duration_ms, billed_ms=billed,
            memory_size_mb=fv.memory_size, max_memory_used_mb=result.max_memory_used_mb,
            environment_id=env.id, error_type=result.error_type, invocation_type=invocation_type,
            qualifier=qualifier, initialization_type=init_type, architecture=fv.architecture,
            runtime=fv.runtime, ephemeral_storage_mb=int(fv.config["EphemeralStorage"]["Size"]), trigger=trigger)
        lines = [loglines.start_line(request_id, fv.version)] + list(result.log_lines)
        lines.append(loglines.end_line(request_id))
        lines.append(loglines.report_line(request_id, duration_ms, billed, fv.memory_size,
                                          result.max_memory_used_mb, init_ms if cold else None))
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


def _host_python() -> str:
    return ".".join(map(str, sys.version_info[:3]))

