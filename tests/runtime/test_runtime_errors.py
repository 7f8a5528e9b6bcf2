"""Every way an invocation can fail, with AWS's payloads (compared with recorded AWS responses)."""

from __future__ import annotations

import json
import select
import re

import pytest
from conftest import ARN, FUNCTIONS, rid
from golden import load_case

pytestmark = [pytest.mark.process, pytest.mark.timeout(60)]


def as_var_task(payload: dict) -> dict:
    """Our stack frames name the real task root; AWS's name /var/task."""
    payload = dict(payload)
    payload["stackTrace"] = [frame.replace(FUNCTIONS, "/var/task") for frame in payload["stackTrace"]]
    return payload


def test_handler_exception_matches_aws(make_env):
    recorded = load_case("invoke_handler_exception")["invocation_error"]
    env = make_env("lambda_handler_error.handler")
    env.start()
    request_id = rid()
    result = env.invoke(request_id, b"{}", ARN)
    assert result.outcome == "error"
    assert result.function_error == recorded["FunctionError"] == "Unhandled"
    assert result.error_type == "Exception"
    payload = as_var_task(json.loads(result.payload))
    expected = dict(recorded["Payload"], requestId=request_id)
    assert payload == expected
    assert list(json.loads(result.payload)) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert env.alive and result.environment_alive


def test_error_log_line_matches_aws_layout(make_env):
    recorded = load_case("async_dead_letter_queue_and_error_log_lines")["log_result"]["result"]
    env = make_env("logging_handler.handler")
    env.start()
    request_id = rid()
    result = env.invoke(request_id, b'{"raise_error": 1}', ARN)
    assert result.outcome == "error" and result.error_type == "Exception"
    # AWS's lines (minus START/END); the [ERROR] event is one line whose parts are joined by \r.
    expected = recorded[1:-1]
    lines = result.log_lines
    assert lines[0] == expected[0] == "Lambda log message - print function"
    assert re.fullmatch(r"\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t" + request_id
                        + r"\tLambda log message - logging module", lines[1])
    error_parts = lines[2].split("\r")
    assert error_parts[:2] == expected[2:4]
    frames = [p.replace(FUNCTIONS, "/var/task") for p in error_parts[2:]]
    assert frames[0].startswith("\u00a0\u00a0File \"/var/task/logging_handler.py\", line 12, in handler")
    assert frames[1] == expected[-1]  # NBSP-indented source line
    assert len(lines) == 3


def test_logging_info_is_dropped_unless_a_level_is_set(make_env):
    env = make_env("state.handler")
    env.start()
    assert env.invoke(rid(), b'{"op": "get"}', ARN).log_lines == []


def test_init_error_module_raises_matches_aws_shape(make_env):
    recorded = load_case("invoke_init_error_module_raises")["invocation_error"]["Payload"]
    env = make_env("lambda_runtime_error.handler")
    init = env.start()
    assert not init.ok and not env.alive
    assert init.error_type == "Exception"
    payload = as_var_task(json.loads(init.error_payload))
    assert payload["errorMessage"] == recorded["errorMessage"] == "Runtime startup fails"
    assert payload["errorType"] == recorded["errorType"]
    assert payload["requestId"] == "" == recorded["requestId"]
    assert payload["stackTrace"][-1] == recorded["stackTrace"][-1]
    assert "importlib/__init__.py" in payload["stackTrace"][0] and "in import_module" in payload["stackTrace"][0]
    assert all("<frozen importlib._bootstrap" in f for f in payload["stackTrace"][1:-1])
    assert not any("bootstrap.py" in f for f in payload["stackTrace"])
    # Logged like AWS: the LAMBDA_WARNING record, then the [ERROR] line.
    assert re.match(r"\[WARNING\]\t\S+Z\t\tLAMBDA_WARNING: Unhandled exception\. ", init.log_lines[0])
    error_line = next(line for line in init.log_lines if line.startswith("[ERROR]"))
    assert error_line.startswith("[ERROR] Exception: Runtime startup fails\rTraceback (most recent call last):\r"
                                 "\u00a0\u00a0File ")


@pytest.mark.parametrize(("handler", "error_type", "message"), [
    ("nodot", "Runtime.MalformedHandlerName", "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)"),
    ("marshal.handler", "Runtime.BuiltInModuleConflict", "Cannot use built-in module marshal as a handler module"),
    ("does_not_exist.handler", "Runtime.ImportModuleError",
     "Unable to import module 'does_not_exist': No module named 'does_not_exist'"),
    ("noop.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'noop'"),
])
def test_handler_resolution_errors(make_env, handler, error_type, message):
    env = make_env(handler)
    init = env.start()
    assert not init.ok and init.error_type == error_type
    assert json.loads(init.error_payload) == {"errorMessage": message, "errorType": error_type, "requestId": "",
                                              "stackTrace": []}


def test_syntax_error(make_env):
    init = make_env("syntax_broken.handler").start()
    assert init.error_type == "Runtime.UserCodeSyntaxError"
    payload = json.loads(init.error_payload)
    assert payload["errorMessage"].startswith("Syntax error in module 'syntax_broken': ")
    assert payload["stackTrace"] == [f'  File "{FUNCTIONS}/syntax_broken.py" Line 1\n    def handler(event, context)\n']


def test_unmarshal_error_for_bad_json(make_env):
    env = make_env("echo.handler")
    env.start()
    result = env.invoke(rid(), b"{not json", ARN)
    assert result.outcome == "error" and result.error_type == "Runtime.UnmarshalError"
    assert json.loads(result.payload)["errorMessage"].startswith("Unable to unmarshal input: Expecting property name")
    assert env.invoke(rid(), b"[1]", ARN).payload == b"[1]"


def test_timeout_matches_aws(make_env):
    recorded = load_case("invoke_timeout")["invoke-result"]
    env = make_env("state.handler", timeout=1.0)
    env.start()
    request_id = rid()
    result = env.invoke(request_id, b'{"op": "sleep", "seconds": 2}', ARN)
    assert result.outcome == "timeout"
    assert result.function_error == recorded["FunctionError"]
    assert result.error_type == "Sandbox.Timedout"
    expected = dict(recorded["Payload"], errorMessage=f"RequestId: {request_id} Error: Task timed out after 1.00 seconds")
    assert json.loads(result.payload) == expected
    assert list(json.loads(result.payload)) == ["errorType", "errorMessage"]
    assert result.duration_ms == 1000.0
    assert result.environment_alive is False and not env.alive
    assert "starting wait" in result.log_lines and "done waiting" not in result.log_lines


def test_timeout_message_uses_configured_timeout(make_env):
    env = make_env("state.handler", timeout=0.25)
    env.start()
    result = env.invoke("r-1", b'{"op": "sleep", "seconds": 5}', ARN)
    assert json.loads(result.payload)["errorMessage"] == "RequestId: r-1 Error: Task timed out after 0.25 seconds"


def test_handler_sys_exit_matches_aws(make_env):
    recorded = load_case("invoke_process_exit")["handler-exit:invocation_error"]
    env = make_env("exits.handler")
    env.start()
    result = env.invoke("req-1", b'{"how": "sys.exit"}', ARN)
    assert result.outcome == "crash" and result.function_error == recorded["FunctionError"]
    expected = dict(recorded["Payload"], errorMessage="RequestId: req-1 Error: Runtime exited without providing a reason")
    assert json.loads(result.payload) == expected
    assert result.log_lines == ["about to sys.exit"]
    assert not result.environment_alive and not env.alive


def test_init_sys_exit_matches_aws(make_env):
    recorded = load_case("invoke_process_exit")["init-exit:invocation_error"]["Payload"]
    init = make_env("lambda_runtime_exit.handler").start(request_id="req-2")
    assert not init.ok and init.error_type == recorded["errorType"] == "Runtime.ExitError"
    assert json.loads(init.error_payload) == dict(
        recorded, errorMessage="RequestId: req-2 Error: Runtime exited without providing a reason")


@pytest.mark.parametrize(("event", "outcome", "message"), [
    (b'{"how": "os._exit", "code": 3}', "crash", "Runtime exited with error: exit status 3"),
    (b'{"how": "sys.exit", "code": 2}', "crash", "Runtime exited with error: exit status 2"),
    (b'{"how": "segfault"}', "crash", "Runtime exited with error: signal: segmentation fault"),
])
def test_exit_statuses(make_env, event, outcome, message):
    env = make_env("exits.handler")
    env.start()
    result = env.invoke("r", event, ARN)
    assert result.outcome == outcome and result.error_type == "Runtime.ExitError"
    assert json.loads(result.payload) == {"errorType": "Runtime.ExitError", "errorMessage": f"RequestId: r Error: {message}"}


def test_killed_between_invokes_is_noticed(make_env):
    env = make_env()
    env.start()
    import os
    import signal

    pidfd = os.pidfd_open(env.pid)
    os.kill(env.pid, signal.SIGKILL)
    select.select([pidfd], [], [])
    os.close(pidfd)
    result = env.invoke("r", b"{}", ARN)
    # Killed from outside: recorded as what happened (killed), not as out of memory.
    assert result.outcome == "crash" and result.error_type == "Runtime.ExitError"
    assert json.loads(result.payload)["errorMessage"] == "RequestId: r Error: Runtime exited with error: signal: killed"
    assert not env.alive


def test_memory_limit_is_real(make_env):
    small = make_env("memory_hog.handler", memory_size=128, timeout=10.0)
    small.start()
    result = small.invoke("r-oom", b'{"mb": 400}', ARN)
    assert result.outcome == "out_of_memory"
    assert result.function_error == "Unhandled" and result.error_type == "Runtime.OutOfMemory"
    assert json.loads(result.payload) == {"errorType": "Runtime.ExitError",
                                          "errorMessage": "RequestId: r-oom Error: Runtime exited with error: signal: killed"}
    assert not result.environment_alive and not small.alive
    assert result.max_memory_used_mb > 128
    big = make_env("memory_hog.handler", memory_size=1024, timeout=10.0)
    big.start()
    ok = big.invoke("r-ok", b'{"mb": 400}', ARN)
    assert ok.outcome == "success" and json.loads(ok.payload) == {"allocated": 400 * 1024 * 1024}
    assert 400 < ok.max_memory_used_mb < 1024


def test_allocation_far_beyond_memory_is_out_of_memory(make_env):
    env = make_env("memory_hog.handler", memory_size=128, timeout=10.0)
    env.start()
    result = env.invoke("r", b'{"mb": 4096}', ARN)
    assert result.outcome == "out_of_memory" and result.error_type == "Runtime.OutOfMemory"
    assert result.max_memory_used_mb > 128  # measured although the process died


def test_response_too_large_matches_aws(make_env):
    recorded = load_case("invoke_response_too_large")
    env = make_env("big_response.handler", timeout=20.0)
    env.start()
    for key in ("invoke_result", "invoke_result_2"):
        result = env.invoke(rid(), b'{"bytenum": 7340032}', ARN)
        assert result.outcome == "error"
        assert result.function_error == recorded[key]["FunctionError"]
        assert result.error_type == "Function.ResponseSizeTooLarge"
        assert json.loads(result.payload) == recorded[key]["Payload"]
        assert list(json.loads(result.payload)) == ["errorMessage", "errorType"]
        assert result.environment_alive and env.alive
    ok = env.invoke(rid(), b'{"bytenum": 6291456}', ARN)  # 6 MiB + 2 quotes still fits
    assert ok.outcome == "success" and len(ok.payload) == 6291458


def test_invoke_before_start_is_a_usage_error(make_env):
    with pytest.raises(RuntimeError):
        make_env().invoke("r", b"{}", ARN)
