"""Custom runtimes (provided.al2023): an executable bootstrap, here running awslambdaric unmodified."""

from __future__ import annotations

import json
import os
import shutil
import sys
import sysconfig

import pytest
from conftest import ARN, rid

pytestmark = [pytest.mark.process, pytest.mark.timeout(60)]

# The interpreter behind the venv: its own site-packages lack awslambdaric, so the copy in the task is used.
BASE_PYTHON = os.path.realpath(sys.executable)

APP = '''
import os
count = 0
def handler(event, context):
    global count
    count += 1
    if event.get("fail"):
        raise ValueError("bad input")
    return {"count": count, "pid": os.getpid(), "request_id": context.aws_request_id,
            "memory": context.memory_limit_in_mb, "exec_env": os.environ.get("AWS_EXECUTION_ENV")}
'''


@pytest.fixture(scope="module")
def ric_task(tmp_path_factory, base_dir):
    """A task folder holding awslambdaric (copied from this venv), app.py and a shell bootstrap."""
    pytest.importorskip("awslambdaric")
    site = sysconfig.get_paths()["purelib"]
    task = os.path.join(base_dir, "ric-task")
    os.makedirs(task, exist_ok=True)
    for name in os.listdir(site):
        if name in ("awslambdaric", "simplejson", "snapshot_restore_py.py") or name.startswith("runtime_client."):
            src = os.path.join(site, name)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(task, name), dirs_exist_ok=True)
            else:
                shutil.copy2(src, task)
    with open(os.path.join(task, "app.py"), "w") as f:
        f.write(APP)
    bootstrap = os.path.join(task, "bootstrap")
    with open(bootstrap, "w") as f:
        f.write('#!/bin/sh\nexec "$PY" -m awslambdaric "$_HANDLER"\n')
    os.chmod(bootstrap, 0o755)
    return task


def test_awslambdaric_runs_unmodified(make_env, ric_task):
    env = make_env("app.handler", runtime="provided.al2023", task_root=ric_task,
                   environment={"PY": BASE_PYTHON})
    init = env.start()
    assert init.ok, init
    results = [env.invoke(r, b"{}", ARN) for r in (rid(), rid(), rid())]
    bodies = [json.loads(r.payload) for r in results]
    assert [b["count"] for b in bodies] == [1, 2, 3]
    assert len({b["pid"] for b in bodies}) == 1
    assert bodies[0]["memory"] == "128"
    assert bodies[0]["exec_env"] is None  # not set for provided.* runtimes
    failed = env.invoke("req-f", b'{"fail": true}', ARN)
    assert failed.outcome == "error" and failed.function_error == "Unhandled"
    assert failed.error_type == "ValueError"  # from the body: awslambdaric sends no error-type header
    payload = json.loads(failed.payload)
    assert payload["errorMessage"] == "bad input" and payload["requestId"] == "req-f"
    assert any(line.startswith("[ERROR] ValueError: bad input\r") for line in failed.log_lines)
    assert json.loads(env.invoke(rid(), b"{}", ARN).payload)["count"] == 5  # still warm (the failed invoke counted too)


def test_missing_bootstrap_is_invalid_entrypoint(make_env, base_dir):
    task = os.path.join(base_dir, "empty-task")
    os.makedirs(task, exist_ok=True)
    env = make_env("app.handler", runtime="provided.al2023", task_root=task)
    init = env.start(request_id="r-1")
    assert not init.ok and init.error_type == "Runtime.InvalidEntrypoint"
    message = json.loads(init.error_payload)["errorMessage"]
    assert message.startswith("RequestId: r-1 Error: Couldn't find valid bootstrap(s): [")
    assert env.pid is None


def test_shell_bootstrap_speaks_runtime_api(make_env, base_dir):
    """A bootstrap that is not Python at all: curl-free shell via python's stdlib is enough here."""
    task = os.path.join(base_dir, "sh-task")
    os.makedirs(task, exist_ok=True)
    script = os.path.join(task, "bootstrap")
    with open(script, "w") as f:
        f.write(f"""#!{sys.executable} -I
import os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        body = r.read()
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=body[::-1], method="POST")).read()
""")
    os.chmod(script, 0o755)
    env = make_env("unused", runtime="provided.al2023", task_root=task)
    assert env.start().ok
    assert env.invoke(rid(), b'{"a": 1}', ARN).payload == b'}1 :"a"{'
    with open(f"/proc/{env.pid}/cwd/bootstrap") as f:  # cwd is the task root
        assert f.read().startswith("#!")
