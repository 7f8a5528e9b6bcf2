"""Platform log lines: exact AWS layouts."""

from __future__ import annotations

import base64
import platform
import re

import pytest
from conftest import ARN, rid
from golden import load_case

from minilambda.runtime import logs


@pytest.mark.process
def test_platform_lines_match_recorded_tail_layout(make_env):
    recorded = load_case("invoke_log_type_tail")["logs"]["logs"]
    env = make_env("echo.handler")
    init = env.start()
    request_id = rid()
    result = env.invoke(request_id, b"{}", ARN)
    lines = [logs.start_line(request_id, "$LATEST"), *result.log_lines, logs.end_line(request_id),
             logs.report_line(request_id, result.duration_ms, 4, 128, result.max_memory_used_mb, init.init_ms)]
    ours = [line + "\n" for line in lines]
    assert len(ours) == len(recorded) == 4
    assert ours[1] == recorded[1] == "{}\n"
    for mine, theirs in zip(ours, recorded):
        pattern = re.escape(theirs).replace(re.escape("<request-id>"), re.escape(request_id))
        pattern = pattern.replace(re.escape("<duration>"), r"\d+(\.\d\d)?").replace(re.escape("<memory>"), r"\d+")
        assert re.fullmatch(pattern, mine), (mine, theirs)


def test_report_line_exact():
    assert logs.report_line("id", 3.014, 4, 128, 36, 110.1) == (
        "REPORT RequestId: id\tDuration: 3.01 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB\t"
        "Max Memory Used: 36 MB\tInit Duration: 110.10 ms\t")
    assert logs.report_line("id", 1, 1, 256, 40) == (
        "REPORT RequestId: id\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 256 MB\tMax Memory Used: 40 MB\t")


def test_start_end_and_init_start_lines():
    assert logs.start_line("abc", "$LATEST") == "START RequestId: abc Version: $LATEST"
    assert logs.start_line("abc", "7") == "START RequestId: abc Version: 7"
    assert logs.end_line("abc") == "END RequestId: abc"
    assert logs.init_start_line("python3.12", "3.11.7", "eu-west-1") == (
        "INIT_START Runtime Version: python:3.12.v(local-3.11.7)\t"
        "Runtime Version ARN: arn:aws:lambda:eu-west-1::runtime:local")
    assert f"local-{platform.python_version()})" in logs.init_start_line("python3.12")


def test_tail_is_base64_of_the_last_4kb():
    lines = [f"line {i:05d} " + "x" * 90 for i in range(100)]
    decoded = base64.b64decode(logs.tail(lines))
    assert len(decoded) == 4096
    assert decoded.endswith(lines[-1].encode() + b"\n")
    assert base64.b64decode(logs.tail(["a", "b"])) == b"a\nb\n"


@pytest.mark.process
def test_log_lines_of_init_are_returned_by_start(make_env, base_dir):
    import os

    task = os.path.join(base_dir, "init-print")
    os.makedirs(task, exist_ok=True)
    with open(os.path.join(task, "app.py"), "w") as f:
        f.write("print('hello from init')\nimport logging\nlogging.warning('warned')\n"
                "def handler(e, c):\n    print('in handler')\n")
    env = make_env("app.handler", task_root=task)
    init = env.start()
    assert init.log_lines[0] == "hello from init"
    assert re.fullmatch(r"\[WARNING\]\t\S+Z\t\twarned", init.log_lines[1])
    assert env.invoke(rid(), b"{}", ARN).log_lines == ["in handler"]


@pytest.mark.process
def test_json_log_format(make_env):
    env = make_env("logging_handler.handler", log_format="JSON", log_level="INFO")
    env.start()
    request_id = rid()
    result = env.invoke(request_id, b'{"raise_error": 1}', ARN)
    import json

    info = json.loads(result.log_lines[1])
    assert info["level"] == "INFO" and info["requestId"] == request_id and info["logger"] == "root"
    assert info["message"] == "Lambda log message - logging module"
    error = json.loads(result.log_lines[2])
    assert list(error)[:3] == ["timestamp", "log_level", "errorMessage"]  # aws-facts-2 §0: RIC log_error and error["errorType"] == "Exception"
