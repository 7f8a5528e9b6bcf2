"""``Cloud``: one simulated AWS account and region, owning everything that happens in it.

A Cloud owns its functions, execution environments (processes), clock, records and logs; there
is no global state, so two Clouds never see each other. ``cloud.client("lambda")`` returns a real
botocore client whose requests the Cloud answers in-process.

Example::

    from minilambda import Cloud, zip_directory
    with Cloud(clock="virtual", seed=1) as cloud:
        lam = cloud.client("lambda")
        lam.create_function(FunctionName="hello", Runtime="python3.12", Handler="app.handler",
                            Role="arn:aws:iam::123456789012:role/r",
                            Code={"ZipFile": zip_directory("functions/hello")})
        lam.invoke(FunctionName="hello", Payload=b'{"name": "Ada"}')["Payload"].read()
"""

from __future__ import annotations

import atexit
import os
import random
import shutil
import tempfile
import threading
import weakref
from typing import Any, Callable

from .clock import Clock, VirtualClock, WallClock
from .errors import CloudClosedError, UnknownServiceError
from .functions import Function, FunctionVersion, Registry
from .invocation import Executor
from .logs import LogsStore
from .platform import DEFAULT_KEEP_ALIVE_S, Placement, Platform
from .records import Invocation, RecordLog
from .service import Gateway, Request, Response, attach_in_process

_OPEN_CLOUDS: "weakref.WeakSet[Cloud]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:  # pragma: no cover - exercised by the orphan test in a subprocess
    for cloud in list(_OPEN_CLOUDS):
        cloud.close()


def _new_workdir() -> str:
    """A private folder for code, layers and environments' temp folders.

    It lives outside ``/tmp`` when possible (``/var/tmp``), so that each environment can get a
    private ``/tmp`` of its own (mounted over ``/tmp``) without hiding its code.
    """
    for base in (os.environ.get("MINILAMBDA_WORKDIR"), "/var/tmp"):
        if base and os.path.isdir(base) and os.access(base, os.W_OK):
            return tempfile.mkdtemp(prefix="minilambda-", dir=base)
    return tempfile.mkdtemp(prefix="minilambda-")


# What a botocore session would otherwise read from the user's shell and ~/.aws (AWS_PROFILE,
# AWS_CONFIG_FILE, AWS_ENDPOINT_URL*, AWS_CA_BUNDLE, retry modes, FIPS/dual-stack, defaults mode):
# each variable gets no environment variable and a fixed default.
_SESSION_DEFAULTS = {"profile": None, "config_file": "/nonexistent/minilambda/aws-config",
                     "credentials_file": "/nonexistent/minilambda/aws-credentials", "ca_bundle": None,
                     "retry_mode": "standard", "max_attempts": 1, "ignore_configured_endpoint_urls": True,
                     "use_fips_endpoint": False, "use_dualstack_endpoint": False, "defaults_mode": "legacy",
                     "api_versions": {}, "region": None}


def _isolated_botocore_session(region: str) -> Any:
    """A botocore session that behaves the same whatever the user's shell and ``~/.aws`` hold."""
    import botocore.session

    session_vars = {name: (None, None, value, None) for name, value in _SESSION_DEFAULTS.items()}
    session_vars["region"] = (None, None, region, None)
    return botocore.session.Session(session_vars=session_vars)


class _CloudPlatform(Platform):
    """The platform model, with its observer hooks wired to the executor."""

    executor: Executor

    def on_created(self, env, now):  # type: ignore[override]
        self.executor.on_created(env, now)

    def on_stopped(self, env, when):  # type: ignore[override]
        self.executor.on_stopped(env, when)


class DeclaredDuration:
    """A simulator-only duration for a function: *distribution* in seconds at *reference_memory*,
    scaled with memory by the same ``DurationModel`` the simulator uses (CPU share proportional
    to memory, one vCPU at 1,769 MB, for the *cpu_bound* fraction of the time)."""

    def __init__(self, distribution: Any, *, reference_memory: int = 1769, cpu_bound: float = 1.0,
                 seed: int | None = None) -> None:
        import numpy as np

        from .sim.memory import DurationModel

        self.distribution = distribution
        self.model = DurationModel(reference_memory, cpu_bound)
        self.rng = np.random.default_rng(seed)  # the simulator's distributions draw from numpy

    def duration_ms(self, memory_mb: int, rng: random.Random | None = None) -> float:
        d = self.distribution
        seconds = float(d.sample(self.rng)) if hasattr(d, "sample") else float(d)
        return self.model.scale(seconds, memory_mb) * 1000.0


class Cloud:
    """A simulated AWS account: Lambda (and friends) on a laptop.

    Args:
        clock: ``"wall"`` (real time), ``"virtual"`` (time moves only on ``clock.advance``), or a Clock.
        start: the virtual clock's start time in epoch seconds (default: now).
        seed: seeds every random choice (placement, alias routing, log stream names, retries).
        region: the AWS region name used in ARNs and ``AWS_REGION``.
        account_concurrency: the account's concurrency limit (AWS default 1,000).
        keep_alive: seconds an idle environment lives (AWS does not document it; 600 by default).
        placement: which idle environment serves a warm request (``"newest"``, ``"mru"``, ``"lru"``, ``"random"``).
        max_timeout: the largest function Timeout accepted (900 s in AWS's docs; 1,800 s in SDK docs since Nov 2026).
        max_environments: cap on live environments (processes) on this machine; beyond it requests
            are throttled like the account limit.
        bill_init: bill the INIT phase of on-demand invocations (AWS's rule since 1 August 2025).
    """

    def __init__(self, *, clock: str | Clock = "wall", start: float | None = None, seed: int | None = None,
                 region: str = "us-east-1", account_id: str = "123456789012", account_concurrency: int = 1000,
                 keep_alive: float | None = DEFAULT_KEEP_ALIVE_S, placement: str | Placement = "newest",
                 max_timeout: int = 900, max_environments: int = 64, bill_init: bool = True,
                 workdir: str | None = None) -> None:
        if isinstance(clock, Clock):
            self.clock = clock
        elif clock == "virtual":
            self.clock = VirtualClock(start)
        elif clock == "wall":
            if start is not None:
                msg = "start= only applies to clock='virtual'; the wall clock always starts now"
                raise ValueError(msg)
            self.clock = WallClock()
        else:
            msg = f"clock must be 'wall' or 'virtual' (or a Clock object), got {clock!r}"
            raise ValueError(msg)
        self.seed = seed
        self.rng = random.Random(seed)
        self.region = region
        self.account_id = account_id
        self.bill_init = bill_init
        self._own_workdir = workdir is None
        self.workdir = workdir or _new_workdir()
        self.records = RecordLog()
        from .runtime.supervisor import Supervisor

        # Starts and contains this Cloud's environment processes; its guardian removes the work
        # folder and kills what is left even if this interpreter is SIGKILLed.
        self.supervisor = Supervisor(self.workdir, remove_workdir=self._own_workdir)
        self.platform = _CloudPlatform(account_concurrency=account_concurrency, keep_alive=keep_alive,
                                       placement=placement, max_environments=max_environments,
                                       seed=self.rng.randrange(2**32), id_prefix="env")
        self.executor = Executor(self)
        self.platform.executor = self.executor
        self.registry = Registry(region, account_id, self.workdir, max_timeout=max_timeout, clock=self.clock)
        self.logs = LogsStore(self.clock)
        self.lambda_extensions: list[Callable[[Any], None]] = []
        self._services: dict[str, Any] = {}
        self._gateway: Gateway | None = None
        self._session: Any = None
        self._runtime_dir: str | None = None
        self._closed = False
        self._lock = threading.Lock()
        _OPEN_CLOUDS.add(self)
        self.triggers: Any = None
        self._services["logs"] = self.logs
        from .lambda_api import LambdaService
        from .triggers import install

        install(self)  # SQS, S3, SNS, EventBridge, the async queue and event source mappings

        self._services["lambda"] = LambdaService(self)

    # -- services and clients ----------------------------------------------------------------

    def add_service(self, name: str, service: Any) -> None:
        """Register a service implementation under its botocore name (``"sqs"``, ``"s3"``, …)."""
        self._services[name] = service

    def service(self, name: str) -> Any:
        """The in-process implementation of a service (for tests and the course)."""
        try:
            return self._services[name]
        except KeyError:
            raise UnknownServiceError(
                f"minilambda does not offer {name!r}; available: {', '.join(sorted(self._services))}") from None

    def dispatch(self, service: str | None, request: Request) -> Response:
        """Answer one wire request for *service*."""
        if self._closed:
            raise CloudClosedError("this Cloud is closed; create a new one")
        impl = self._services.get(service or "")
        if impl is None:
            return Response.json({"message": f"minilambda does not offer the {service!r} service"}, 400,
                                 {"x-amzn-ErrorType": "UnknownServiceException"})
        return impl.handle(request)

    def client(self, service_name: str, **config: Any) -> Any:
        """A real botocore client for *service_name* whose requests this Cloud answers in-process.

        Retries are off by default so that throttling (429) is visible at once; pass
        ``retries={"mode": "standard"}`` to see boto3's own retry behaviour.
        """
        import boto3
        from botocore import UNSIGNED
        from botocore.config import Config

        if service_name not in self._services:
            raise UnknownServiceError(
                f"minilambda does not offer {service_name!r}; available: {', '.join(sorted(self._services))}")
        options: dict[str, Any] = {"signature_version": UNSIGNED, "retries": {"total_max_attempts": 1},
                                   "read_timeout": 1000, "connect_timeout": 5}
        if service_name == "s3":
            options["s3"] = {"addressing_style": "path"}
        options.update(config)
        with self._lock:  # one session per Cloud: its loaded service models make new clients cheap
            if self._session is None:
                self._session = boto3.session.Session(aws_access_key_id="minilambda",
                                                      aws_secret_access_key="minilambda", region_name=self.region,
                                                      botocore_session=_isolated_botocore_session(self.region))
            client = self._session.client(service_name, region_name=self.region, config=Config(**options),
                                          endpoint_url=f"https://{service_name}.{self.region}.amazonaws.com")
        attach_in_process(client, lambda req, _name=service_name: self.dispatch(_name, req))
        return client

    @property
    def endpoint_url(self) -> str:
        """The loopback HTTP endpoint handlers reach with plain boto3 (their ``AWS_ENDPOINT_URL``)."""
        with self._lock:
            if self._gateway is None:
                self._gateway = Gateway(self.dispatch)
            return self._gateway.url

    @property
    def runtime_dir(self) -> str:
        """A folder holding only boto3, botocore and their dependencies, for handlers' import path."""
        with self._lock:
            if self._runtime_dir is None:
                from .runtime.environment import build_runtime_dir

                self._runtime_dir = build_runtime_dir(os.path.join(self.workdir, "runtime"))
            return self._runtime_dir

    # -- what the Lambda API needs from the Cloud --------------------------------------------

    def route_alias(self, fn: Function, fv: FunctionVersion, qualifier: str | None) -> FunctionVersion:
        """Pick the version an alias with weighted routing sends this request to."""
        if qualifier and qualifier in fn.aliases:
            alias = fn.aliases[qualifier]
            if alias.weights:
                (extra, weight), = alias.weights.items()
                if self.rng.random() < weight:
                    return fn.versions[extra]
        return fv

    def invoke_async(self, fn: Function, qualifier: str | None, payload: bytes, *, caller: str = "client") -> None:
        """Accept an asynchronous invocation (``InvocationType="Event"``): queued, run by the clock."""
        self.triggers.accept(fn, qualifier, payload, caller=caller)

    def provision(self, fn: Function, fv: FunctionVersion, qualifier: str, count: int) -> None:
        """Set the provisioned concurrency of a qualifier and initialise its environments."""
        with self.executor.lock:
            created = self.platform.set_provisioned(fn.name, qualifier, fv.version, count, self.clock.now())
        for env in created:
            self.executor.start_provisioned(env, fv)
        config = fn.provisioned.get(qualifier)
        if config is not None:
            config["AllocatedProvisionedConcurrentExecutions"] = count
            config["AvailableProvisionedConcurrentExecutions"] = count
            config["Status"] = "READY"

    def on_function_deleted(self, name: str) -> None:
        """Hook for event sources to drop their references to a deleted function."""

    def declare_duration(self, function_name: str, distribution: Any, *, reference_memory: int | None = None,
                         cpu_bound: float = 1.0) -> None:
        """Declare how long a function's invocations take (a simulator-only knob, not an AWS API).

        The real handler still runs; its *recorded* duration (and so the clock, the REPORT line
        and the bill) comes from *distribution* (seconds, an object with ``sample(rng)``, or a
        number), measured at *reference_memory* MB (default: the function's MemorySize now) and
        scaled by CPU share for the *cpu_bound* fraction when MemorySize changes. A declared
        duration longer than the function's Timeout ends as a timeout, as it would on AWS.
        """
        fn = self.registry.functions.get(function_name)
        if fn is None:
            msg = f"no function named {function_name!r}; create it first"
            raise KeyError(msg)
        if reference_memory is None:
            reference_memory = fn.latest.memory_size
        fn.duration_model = DeclaredDuration(distribution, reference_memory=reference_memory, cpu_bound=cpu_bound,
                                             seed=self.rng.randrange(2**32))

    # -- records -----------------------------------------------------------------------------

    @property
    def invocations(self) -> list[Invocation]:
        """Every invocation so far, in the order they ended."""
        return self.records.invocations

    def log_lines(self, function_name: str) -> list[str]:
        """All log lines of a function (group ``/aws/lambda/<name>``), oldest first."""
        return self.logs.lines(f"/aws/lambda/{function_name}")

    # -- life --------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop every environment process and server, and remove the Cloud's temp files."""
        if self._closed:
            return
        self._closed = True
        for env in list(self.platform.environments()):
            proc = env.handle
            env.handle = None
            if proc is not None:
                try:
                    proc.close()
                except Exception:  # pragma: no cover - best effort at shutdown
                    pass
        for svc in self._services.values():
            close = getattr(svc, "close", None)
            if callable(close):
                close()
        if self._gateway is not None:
            self._gateway.close()
        self.clock.close()
        self.supervisor.close()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        _OPEN_CLOUDS.discard(self)

    def __enter__(self) -> "Cloud":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - depends on the garbage collector
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        kind = "virtual" if self.clock.virtual else "wall"
        return (f"Cloud(clock={kind!r}, region={self.region!r}, functions={len(self.registry.functions)}, "
                f"invocations={len(self.records.invocations)}, environments={self.platform.live})")
