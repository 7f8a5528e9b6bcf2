"""The Lambda backend: functions, invoke (sync and async), concurrency, deletion, and the lock
that guards the platform model. Plain Python: it knows nothing of HTTP."""

from __future__ import annotations

import random
import threading
from typing import Any

from ..clock import Clock
from ..delivery import Deliveries
from ..errors import invalid_parameter
from ..model.platform import Platform
from ..records import RecordLog
from ..services.cloudwatch_logs import CloudWatchLogs
from .async_queue import AsyncQueue
from .declared import DeclaredDuration
from .esm import EventSourceMappings
from .executor import Executor, Host, InvokeOutput
from .function_urls import FunctionUrls
from .invoke_config import EventInvokeConfigs
from .permissions import Permissions
from .registry import Function, FunctionVersion, Registry


class LambdaBackend:
    """One account's Lambda: the registry, the executor (platform + processes), the async queue,
    event invoke configs, event source mappings (SQS; DynamoDB streams once a stream source is
    attached), resource-based policies and function URL configs."""

    def __init__(self, *, host: Host, clock: Clock, rng: random.Random, records: RecordLog, logs: CloudWatchLogs,
                 deliveries: Deliveries, sqs: Any, max_timeout: int, bill_init: bool,
                 platform: dict[str, Any]) -> None:
        self.clock = clock
        self.rng = rng
        self.records = records
        self.lock = threading.RLock()  # guards the platform model
        self.registry = Registry(host.region, host.account_id, host.workdir, max_timeout=max_timeout, clock=clock)
        self.executor = Executor(host=host, clock=clock, rng=rng, registry=self.registry, logs=logs,
                                 records=records, lock=self.lock, bill_init=bill_init, platform=platform)
        self.async_queue = AsyncQueue(self, clock=clock, records=records, registry=self.registry,
                                      deliveries=deliveries)
        self.invoke_configs = EventInvokeConfigs(self)
        self.mappings = EventSourceMappings(self, sqs, random.Random(rng.randrange(2**32)))
        self.permissions = Permissions(self.registry, rng, host.account_id)  # resource-based policies
        self.function_urls = FunctionUrls(self.registry, rng, clock)  # draws only when a URL is made
        self.deliveries = deliveries
        deliveries.register("lambda", self._accept_delivery)

    @property
    def platform(self) -> Platform:
        return self.executor.platform

    # -- names and qualifiers: the one resolver ----------------------------------------------

    def resolve(self, name: str, qualifier: str | None = None, *,
                default_latest_message: bool = False) -> tuple[Function, FunctionVersion, str | None]:
        """``(function, version, qualifier)`` for a name or ARN and an optional qualifier."""
        return self.registry.resolve(name, qualifier, default_latest_message=default_latest_message)

    def target_version(self, fn: Function, qualifier: str | None) -> FunctionVersion:
        """The version one request to *qualifier* runs: an alias's weights pick between its two versions."""
        fv = fn.latest
        if qualifier and qualifier != "$LATEST":
            alias = fn.aliases.get(qualifier)
            fv = fn.get_version(alias.function_version if alias else qualifier) or fn.latest
            if alias is not None and alias.weights:
                (extra, weight), = alias.weights.items()
                if self.rng.random() < weight:
                    return fn.versions[extra]
        return fv

    # -- invoke ------------------------------------------------------------------------------

    def invoke(self, fn: Function, qualifier: str | None, payload: bytes, *, client_context: str | None = None,
               advance_clock: bool = True, trigger: str = "invoke",
               version: FunctionVersion | None = None) -> InvokeOutput:
        """A synchronous invocation (``RequestResponse``) of *version* (default: the one
        ``target_version`` picks); *trigger* names the caller in the record (``"apigateway"``…)."""
        fv = version or self.target_version(fn, qualifier)
        return self.executor.execute(fn, fv, qualifier, payload, client_context=client_context,
                                     advance_clock=advance_clock, trigger=trigger)

    def invoke_async(self, fn: Function, qualifier: str | None, payload: bytes, *, caller: str = "client") -> str:
        """An asynchronous invocation (``Event``): queued, run when the clock reaches it."""
        return self.async_queue.accept(fn, qualifier, payload, caller=caller)

    def attach_stream_source(self, dynamodb: Any) -> None:
        """Let event source mappings read DynamoDB streams from *dynamodb* (a ``DynamoDBBackend``)."""
        from .streams import StreamMappings

        self.mappings.attach_streams(StreamMappings(self, dynamodb, self.deliveries,
                                                    random.Random(self.rng.randrange(2**32))))

    def _accept_delivery(self, target: str, body: str, attributes: Any, source: str) -> None:
        fn, _, q = self.resolve(target)
        self.invoke_async(fn, q, body.encode(), caller=source)

    # -- functions ---------------------------------------------------------------------------

    def create_function(self, params: dict[str, Any]) -> FunctionVersion:
        with self.lock:
            return self.registry.create(params)

    def update_configuration(self, name: str, params: dict[str, Any]) -> FunctionVersion:
        with self.lock:
            v = self.registry.update_configuration(name, params)
            self.platform.retire(v.name, "$LATEST")
        return v

    def update_code(self, name: str, params: dict[str, Any]) -> FunctionVersion:
        with self.lock:
            v = self.registry.update_code(name, params)
            self.platform.retire(v.name, "$LATEST")
        return v

    def delete_function(self, name: str, qualifier: str | None) -> None:
        with self.lock:
            fn, q = self.registry.delete(name, qualifier)
            self.permissions.forget(fn.name, q)
            self.function_urls.forget(fn.name, q)
            if q is None:
                self.platform.forget(fn.name)
            else:
                self.platform.retire(fn.name, q)

    # -- concurrency: the platform is the single source of truth -----------------------------

    def reserved(self, name: str) -> int | None:
        """The function's reserved concurrency, as the platform enforces it."""
        limits = self.platform.functions.get(name)
        return limits.reserved if limits is not None else None

    def put_reserved(self, name: str, value: int | None) -> None:
        with self.lock:
            if value is not None:
                problem = self.platform.check_reservation(name, value)
                if problem:
                    raise invalid_parameter(problem)
            self.platform.set_reserved(name, value, self.clock.now())

    def provision(self, fn: Function, fv: FunctionVersion, qualifier: str, count: int) -> None:
        """Set the provisioned concurrency of a qualifier and initialise its environments."""
        with self.lock:
            created = self.platform.set_provisioned(fn.name, qualifier, fv.version, count, self.clock.now())
        for env in created:
            self.executor.start_provisioned(env, fv)
        config = fn.provisioned.get(qualifier)
        if config is not None:
            config["AllocatedProvisionedConcurrentExecutions"] = count
            config["AvailableProvisionedConcurrentExecutions"] = count
            config["Status"] = "READY"

    def declare_duration(self, function_name: str, distribution: Any, *, reference_memory: int | None = None,
                         cpu_bound: float = 1.0) -> None:
        """Replace the recorded duration of a function's invocations (a simulator-only knob)."""
        fn = self.registry.functions.get(function_name)
        if fn is None:
            msg = f"no function named {function_name!r}; create it first"
            raise KeyError(msg)
        memory = fn.latest.memory_size if reference_memory is None else reference_memory
        fn.duration_model = DeclaredDuration(distribution, reference_memory=memory, cpu_bound=cpu_bound,
                                             seed=self.rng.randrange(2**32))

    def close(self) -> None:
        """Stop every environment's process."""
        for env in list(self.platform.environments()):
            proc, env.handle = env.handle, None
            if proc is not None:
                proc.close()
