"""Records of what happened: one frozen row per invocation, shared by the runtime, the simulator,
billing and the widgets.

Records use snake_case; the AWS-shaped dicts (REPORT lines, destination records) are built from
them at the edges. A list of records goes straight into ``pandas.DataFrame(records)``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Outcome(str, Enum):
    """How an invocation ended. Values are plain strings so records compare and serialise simply."""

    SUCCESS = "success"
    ERROR = "error"  # the handler raised (FunctionError: Unhandled)
    INIT_ERROR = "init_error"  # importing the handler failed
    TIMEOUT = "timeout"  # Sandbox.Timedout
    OUT_OF_MEMORY = "out_of_memory"  # Runtime.ExitError "signal: killed"
    CRASH = "crash"  # the runtime process exited (Runtime.ExitError)
    THROTTLED = "throttled"  # 429 TooManyRequestsException: never reached an environment

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.value


FAILED_OUTCOMES = frozenset(
    {Outcome.ERROR, Outcome.INIT_ERROR, Outcome.TIMEOUT, Outcome.OUT_OF_MEMORY, Outcome.CRASH}
)


def billed_ms(duration_ms: float, init_ms: float = 0.0, *, bill_init: bool = True) -> int:
    """Billed duration as AWS computes it: rounded up to the next whole millisecond.

    Since 1 August 2025 the INIT phase of on-demand invocations is billed too, so the billed
    duration of a cold start is ``ceil(init + duration)``. Pass ``bill_init=False`` for the older
    rule (INIT free for managed runtimes).
    """
    total = duration_ms + (init_ms if bill_init else 0.0)
    # Guard against float noise such as 100.00000000001 -> 101.
    return int(math.ceil(round(total, 6)))


@dataclass(frozen=True, slots=True)
class Invocation:
    """One invocation of one function, successful or not, real or simulated.

    Times (*start*, *end*) are seconds on the cloud's clock (epoch seconds); durations are
    milliseconds, as in AWS's REPORT line.
    """

    request_id: str
    function_name: str
    version: str
    start: float
    end: float
    outcome: Outcome
    cold: bool = False
    init_ms: float = 0.0
    duration_ms: float = 0.0
    billed_ms: int = 0
    memory_size_mb: int = 128
    max_memory_used_mb: int = 0
    environment_id: str | None = None
    error_type: str | None = None
    invocation_type: str = "RequestResponse"
    qualifier: str | None = None
    initialization_type: str = "on-demand"
    architecture: str = "x86_64"
    runtime: str = "python3.12"
    ephemeral_storage_mb: int = 512
    trigger: str = "invoke"
    throttle_reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when the handler returned normally."""
        return self.outcome is Outcome.SUCCESS

    @property
    def gb_seconds(self) -> float:
        """Billed compute of this invocation in GB-seconds (GB = MemorySize / 1024)."""
        return self.billed_ms / 1000.0 * self.memory_size_mb / 1024.0

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (outcome as its string value), for JSON or a DataFrame."""
        d = asdict(self)
        d["outcome"] = self.outcome.value
        return d


@dataclass(frozen=True, slots=True)
class EnvironmentEvent:
    """A change in an execution environment's life: created, ready, reset, or reclaimed."""

    time: float
    environment_id: str
    function_name: str
    version: str
    event: str  # "created" | "ready" | "reset" | "reclaimed"
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AsyncRecord:
    """One step in the life of an asynchronous event, an event-source batch, or a delivery."""

    time: float
    request_id: str
    function_name: str
    step: str  # accepted | attempt | throttled | retry-scheduled | success | destination | dead-letter | dropped | delivery | batch …
    attempt: int = 0
    detail: str = ""
    target: str | None = None


@dataclass(slots=True)
class RecordLog:
    """Everything a Cloud records, in the order it happened."""

    invocations: list[Invocation] = field(default_factory=list)
    environments: list[EnvironmentEvent] = field(default_factory=list)
    events: list[AsyncRecord] = field(default_factory=list)  # trigger, retry, delivery and drop records

    def clear(self) -> None:
        self.invocations.clear()
        self.environments.clear()
        self.events.clear()
