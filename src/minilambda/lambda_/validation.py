"""AWS's validation of a function's configuration (CreateFunction, UpdateFunctionConfiguration):
the same rules, the same error types and messages."""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import invalid_parameter, validation_error
from ..model.limits import EPHEMERAL_MAX, EPHEMERAL_MIN, ENV_VARS_LIMIT, MAX_LAYERS, MEMORY_MAX, MEMORY_MIN

# Runtimes accepted on create/update, in the order AWS lists them in its error message.
RUNTIMES = [
    "nodejs20.x", "python3.14", "provided.al2023", "python3.12", "python3.13", "nodejs24.x",
    "nodejs22.x", "java25", "python3.10", "python3.11", "java21", "ruby3.3", "ruby3.4", "ruby3.2",
    "python3.8", "python3.9", "java17", "nodejs16.x", "dotnet10", "dotnet8", "java11", "dotnet6",
    "nodejs18.x", "provided.al2", "java8.al2",
]
DEPRECATED_RUNTIMES = {"python3.7", "python3.6", "python2.7", "go1.x", "provided", "nodejs12.x",
                       "nodejs14.x", "java8", "dotnetcore3.1", "ruby2.7", "nodejs10.x"}
# What this simulator can actually run: Python on the host interpreter, and custom runtimes.
RUNNABLE_RUNTIMES = {r for r in RUNTIMES if r.startswith("python3.")} | {"provided.al2023", "provided.al2"}

ROLE_PATTERN = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
ENV_KEY_PATTERN = r"[a-zA-Z]([a-zA-Z0-9_])+"

RESERVED_ENV_KEYS = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}


def validate_config(params: dict[str, Any], *, creating: bool, max_timeout: int) -> None:
    """Raise AWS's error for the first parameter AWS would refuse (layers are checked for shape only)."""
    if "Role" in params and not re.fullmatch(ROLE_PATTERN, params["Role"]):
        raise validation_error(
            f"1 validation error detected: Value '{params['Role']}' at 'role' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {ROLE_PATTERN}")
    _check_runtime(params, creating)
    _check_architectures(params.get("Architectures"))
    _check_range("memorySize", params.get("MemorySize"), MEMORY_MIN, MEMORY_MAX)
    _check_range("timeout", params.get("Timeout"), 1, max_timeout)
    _check_range("ephemeralStorage.size", (params.get("EphemeralStorage") or {}).get("Size"), EPHEMERAL_MIN,
                 EPHEMERAL_MAX)
    if params.get("Environment") is not None:
        _check_environment(params["Environment"].get("Variables") or {})
    if params.get("Layers") is not None:
        _check_layers(params["Layers"])


def _check_runtime(params: dict[str, Any], creating: bool) -> None:
    runtime = params.get("Runtime")
    if runtime is not None:
        if runtime in DEPRECATED_RUNTIMES:
            raise invalid_parameter(
                f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS "
                "Lambda functions. We recommend you use a supported runtime while creating or updating functions.")
        if runtime not in RUNTIMES:
            raise invalid_parameter(
                f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(RUNTIMES)}] or be a valid ARN")
        if runtime not in RUNNABLE_RUNTIMES:
            # Simplification: AWS accepts these; this simulator cannot run them locally.
            raise invalid_parameter(
                f"minilambda runs Python and custom (provided.*) runtimes only, not {runtime}. Use a python3.x "
                "runtime, or provided.al2023 with an executable 'bootstrap'.")
    elif creating and params.get("PackageType", "Zip") == "Zip":
        raise invalid_parameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
    if creating and params.get("PackageType", "Zip") == "Image":
        raise invalid_parameter("minilambda runs Zip packages only (PackageType 'Zip'); container images need Docker.")


def _check_architectures(arch: list[str] | None) -> None:
    if arch is None:
        return
    if len(arch) > 1:
        raise validation_error(
            f"1 validation error detected: Value '[{', '.join(arch)}]' at 'architectures' failed to satisfy "
            "constraint: Member must have length less than or equal to 1")
    if arch and arch[0] not in ("x86_64", "arm64"):
        raise validation_error(
            f"1 validation error detected: Value '[{', '.join(arch)}]' at 'architectures' failed to satisfy "
            "constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], "
            "Member must not be null]")


def _check_range(field: str, value: int | None, lo: int, hi: int) -> None:
    if value is None or lo <= value <= hi:
        return
    bound = f"less than or equal to {hi}" if value > hi else f"greater than or equal to {lo}"
    raise validation_error(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
        f"Member must have value {bound}")


def _check_environment(variables: dict[str, str]) -> None:
    for key in variables:
        if not re.fullmatch(ENV_KEY_PATTERN, key):
            raise validation_error(
                f"1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: "
                f"Map keys must satisfy constraint: [Member must satisfy regular expression pattern: {ENV_KEY_PATTERN}]")
        if key in RESERVED_ENV_KEYS:
            raise invalid_parameter(
                f"Lambda was unable to configure your environment variables because the environment variables "
                f"you have provided contains reserved keys that are currently not supported for modification. "
                f"Reserved keys used in this request: {key}")
    measured = json.dumps(variables, separators=(",", ":"))
    if len(measured.encode()) > ENV_VARS_LIMIT:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment variables you "
            f"have provided exceeded the 4KB limit. String measured: {measured}")


def _check_layers(layers: list[str]) -> None:
    if len(layers) > MAX_LAYERS:
        raise invalid_parameter("Cannot reference more than 5 layers.")
    seen = set()
    for arn in layers:
        base = arn.rsplit(":", 1)[0]
        if base in seen:
            raise invalid_parameter(
                "Two different versions of the same layer are not allowed to be referenced in the same "
                f"function. {arn} is a duplicate.")
        seen.add(base)
