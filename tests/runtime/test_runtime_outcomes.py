"""Every outcome's log lines and records, as AWS writes them (aws-facts-2 §1), through a Cloud."""

from __future__ import annotations

import json
import re

import pytest

from minilambda import Cloud, zip_files

pytestmark = [pytest.mark.process, pytest.mark.timeout(120)]
ROLE = "arn:aws:iam::123456789012:role/r"
SLOW_IMPORT = "import time\ntime.sleep(1.5)\ndef handler(event, context):\n    return 'ready'\n"
BAD_IMPORT = "import not_a_module_anywhere\ndef handler(event, context):\n    return 1\n"
OUTCOMES = '''
import os, time
def handler(event, context):
    how = event["how"]
    if how == "sleep":
        time.sleep(10)
    if how == "hog":
        blocks = []
        while True:
            blocks.append(b"x" * (8 << 20))
    if how == "exit":
        os._exit(1)
    return "ok"
'''


@pytest.fixture
def cloud():
    with Cloud(clock="virtual", seed=7) as c:
        yield c


def logged(cloud, name):
    """The function's log events, without the newline each one ends with."""
    return [line[:-1] if line.endswith("\n") else line for line in cloud.log_lines(name)]


def make(cloud, name, source, **kw):
    lam = cloud.client("lambda")
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler", Role=ROLE,
                        Code={"ZipFile": zip_files({"app.py": source})}, **kw)
    return lam


def test_init_timeout_is_retried_inside_the_first_invoke(cloud):
    cloud.lambda_.executor.init_timeout = 0.5  # AWS's 10 s, shortened so that a 1 s import times out
    lam = make(cloud, "slow", SLOW_IMPORT, Timeout=5)
    resp = lam.invoke(FunctionName="slow")
    assert json.loads(resp["Payload"].read()) == "ready" and "FunctionError" not in resp
    lines = logged(cloud, "slow")
    assert lines[0].startswith("INIT_START ")
    assert re.fullmatch(r"INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: timeout", lines[1])
    assert lines[2].startswith("START RequestId: ") and lines[3].startswith("END RequestId: ")
    assert lines[4].startswith("REPORT ") and "Init Duration" not in lines[4]
    rec = cloud.invocations[-1]
    assert rec.outcome.value == "success" and rec.cold
    assert rec.duration_ms >= 1500  # the retried INIT counts in Duration (and in the bill)
    assert rec.billed_ms == int(-(-rec.duration_ms // 1))
    assert f"Duration: {rec.duration_ms:.2f} ms" in lines[4]


def test_failed_init_is_retried_and_logged_in_aws_order(cloud):
    lam = make(cloud, "bad", BAD_IMPORT)
    resp = lam.invoke(FunctionName="bad")
    assert resp["FunctionError"] == "Unhandled"
    assert json.loads(resp["Payload"].read())["errorType"] == "Runtime.ImportModuleError"
    lines = logged(cloud, "bad")
    kinds = [line.split(" ", 1)[0] for line in lines]
    init_reports = [line for line in lines if line.startswith("INIT_REPORT")]
    assert init_reports[0].endswith("\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError")
    assert init_reports[1].endswith("\tPhase: invoke\tStatus: error\tError Type: Runtime.ImportModuleError")
    # the suppressed init's INIT_REPORT comes before START; REPORT has no Init Duration
    assert kinds.index("START") == lines.index(init_reports[1]) + 1
    assert "Init Duration" not in lines[-1]
    assert cloud.invocations[-1].outcome.value == "init_error"


def test_timeout_report_status_and_the_optional_old_line(cloud):
    lam = make(cloud, "t", OUTCOMES, Timeout=1)
    cloud.lambda_.executor.timeout_line = True
    resp = lam.invoke(FunctionName="t", Payload=b'{"how": "sleep"}')
    assert json.loads(resp["Payload"].read())["errorType"] == "Sandbox.Timedout"
    lines = logged(cloud, "t")
    assert lines[-1].endswith("\tStatus: timeout") and lines[-1].startswith("REPORT ")
    assert re.fullmatch(r"\S+Z \S+ Task timed out after 1\.00 seconds", lines[-3])
    cloud.lambda_.executor.timeout_line = False
    lam.invoke(FunctionName="t", Payload=b'{"how": "sleep"}')
    assert not any("Task timed out" in line for line in logged(cloud, "t")[-4:])


def test_out_of_memory_report_and_memory_measured_after_death(cloud):
    lam = make(cloud, "oom", OUTCOMES, MemorySize=128, Timeout=20)
    resp = lam.invoke(FunctionName="oom", Payload=b'{"how": "hog"}')
    assert json.loads(resp["Payload"].read())["errorMessage"].endswith("Runtime exited with error: signal: killed")
    report = logged(cloud, "oom")[-1]
    assert report.endswith("\tStatus: error\tError Type: Runtime.OutOfMemory")
    rec = cloud.invocations[-1]
    assert rec.outcome.value == "out_of_memory" and rec.error_type == "Runtime.OutOfMemory"
    assert rec.max_memory_used_mb >= 128 and f"Max Memory Used: {rec.max_memory_used_mb} MB" in report


def test_runtime_exit_line(cloud):
    lam = make(cloud, "x", OUTCOMES)
    lam.invoke(FunctionName="x", Payload=b'{"how": "exit"}')
    rid = cloud.invocations[-1].request_id
    lines = logged(cloud, "x")
    assert f"RequestId: {rid} Error: Runtime exited with error: exit status 1\nRuntime.ExitError" in lines
    assert cloud.invocations[-1].max_memory_used_mb > 0  # measured although the process is gone


def test_json_log_format_platform_records(cloud):
    lam = make(cloud, "j", OUTCOMES, Timeout=1, LoggingConfig={"LogFormat": "JSON"})
    lam.invoke(FunctionName="j", Payload=b'{"how": "ok"}')
    lam.invoke(FunctionName="j", Payload=b'{"how": "sleep"}')
    records = [json.loads(line) for line in logged(cloud, "j") if line.startswith('{"time"')]
    types = [r["type"] for r in records]
    assert types[:6] == ["platform.initStart", "platform.initRuntimeDone", "platform.initReport",
                         "platform.start", "platform.runtimeDone", "platform.report"]
    first = records[5]["record"]
    assert first["status"] == "success" and set(first["metrics"]) == {
        "durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB", "initDurationMs"}
    assert records[-1]["type"] == "platform.report" and records[-1]["record"]["status"] == "timeout"
