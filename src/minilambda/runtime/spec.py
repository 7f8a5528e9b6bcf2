"""What the runtime needs to start an environment, and what it reports back.

These records are the contract between the Lambda service (which resolves functions, versions
and configuration) and the runtime (which runs processes). Neither side imports the other's
internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class EnvironmentSpec:
    """Everything fixed for the life of one execution environment."""

    function_name: str
    version: str  # "$LATEST" or "1", "2", ...
    function_arn: str  # unqualified
    runtime: str  # "python3.12", "provided.al2023", ...
    handler: str  # "app.handler"
    memory_size: int  # MB
    timeout: float  # seconds
    environment: dict[str, str]  # the function's own variables
    task_root: str  # extracted code (read-only by convention)
    layer_root: str | None  # extracted layers, merged (AWS's /opt); may be None
    tmp_dir: str  # this environment's own temp folder (survives resets)
    log_group: str
    log_stream: str
    region: str
    account_id: str
    endpoint_url: str  # the Cloud's loopback AWS endpoint (AWS_ENDPOINT_URL)
    initialization_type: str = "on-demand"  # or "provisioned-concurrency"
    architecture: str = "x86_64"
    ephemeral_storage: int = 512
    log_format: str = "Text"
    log_level: str | None = None  # AWS_LAMBDA_LOG_LEVEL, only with JSON log format
    python_executable: str | None = None  # the host interpreter for python3.x runtimes
    runtime_dir: str | None = None  # boto3/botocore and their dependencies, nothing else
    init_timeout: float = 10.0  # AWS's cap on an on-demand INIT phase, seconds


@dataclass(slots=True)
class InitResult:
    """How INIT went: how long it took, and the error if the handler could not be loaded."""

    ok: bool
    init_ms: float
    error_payload: bytes | None = None  # {"errorMessage", "errorType", "requestId": "", "stackTrace"}
    error_type: str | None = None
    log_lines: list[str] = field(default_factory=list)  # output during INIT, one per line
    status: str = "success"  # "success" | "error" | "timeout" (INIT_REPORT's Status)
    max_memory_used_mb: int = 0


@dataclass(slots=True)
class InvokeResult:
    """What one invocation produced, as measured on the host."""

    outcome: str  # a records.Outcome value
    payload: bytes  # the response, or AWS's error payload
    function_error: str | None  # "Unhandled" when the caller gets X-Amz-Function-Error
    error_type: str | None
    duration_ms: float
    max_memory_used_mb: int
    log_lines: list[str] = field(default_factory=list)  # handler output, one per line
    content_type: str = "application/json"
    environment_alive: bool = True  # False: the process is gone (timeout, crash, OOM)
