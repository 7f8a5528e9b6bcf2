"""No orphans: runtime processes die with their environment, and with the platform process."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap

import pytest
from conftest import ARN, FUNCTIONS

pytestmark = [pytest.mark.process, pytest.mark.timeout(60)]


def wait_gone(pids: list[int], timeout: float = 10.0) -> set[int]:
    """Wait (on pidfds, no polling) until every pid has exited; return those still running."""
    fds = {}
    for pid in pids:
        try:
            fds[os.pidfd_open(pid)] = pid
        except ProcessLookupError:
            continue
    try:
        remaining = dict(fds)
        while remaining:
            ready, _, _ = select.select(list(remaining), [], [], timeout)
            if not ready:
                break
            for fd in ready:
                remaining.pop(fd)
        return set(remaining.values())
    finally:
        for fd in fds:
            os.close(fd)


def test_kill_ends_the_whole_process_group(make_env):
    env = make_env("spawns_child.handler")
    env.start()
    child = json.loads(env.invoke("r", b"{}", ARN).payload)["child"]
    runtime = env.pid
    env.kill()
    assert wait_gone([runtime, child]) == set()


PARENT = textwrap.dedent("""
    import json, sys, threading
    from minilambda.runtime.environment import ProcessEnvironment
    from minilambda.runtime.spec import EnvironmentSpec
    task, tmp, runtime_dir = sys.argv[1:4]
    pids = []
    def spawn(i):
        spec = EnvironmentSpec(function_name="fn", version="$LATEST", function_arn="arn", runtime="python3.12",
            handler="spawns_child.handler", memory_size=128, timeout=3, environment={}, task_root=task,
            layer_root=None, tmp_dir=tmp + str(i), log_group="g", log_stream="s", region="us-east-1",
            account_id="123456789012", endpoint_url="http://127.0.0.1:9", runtime_dir=runtime_dir)
        env = ProcessEnvironment(spec)
        assert env.start().ok
        child = json.loads(env.invoke("r", b"{}", "arn").payload)["child"]
        pids.extend([env.pid, child])
        envs.append(env)
    envs = []
    # Started from short-lived threads: the runtimes must outlive the threads, not the process.
    for i in range(2):
        t = threading.Thread(target=spawn, args=(i,)); t.start(); t.join()
    assert all(env.alive for env in envs)
    print(json.dumps(pids), flush=True)
    sys.stdin.read()
""")


def test_runtimes_die_when_the_platform_process_is_killed(base_dir, runtime_dir):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, FUNCTIONS, os.path.join(base_dir, "orphan-tmp"),
                               runtime_dir], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        pids = json.loads(parent.stdout.readline())
        assert len(pids) == 4
        assert wait_gone(pids, timeout=0.2) == set(pids)  # all alive while the parent lives
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert wait_gone(pids) == set()
        tmp = os.path.join(base_dir, "orphan-tmp")
        assert wait_for(lambda: not mounted_under(tmp)), "the guardian unmounts the environments' /tmp"
    finally:
        parent.kill()
        parent.wait()


def test_detached_processes_end_with_the_environment(make_env):
    """``start_new_session`` and a double-forked daemon leave the process group: both still end."""
    env = make_env("daemons.handler")
    env.start()
    pids = json.loads(env.invoke("r", b"{}", ARN).payload)
    runtime = env.pid
    assert wait_gone([runtime, *pids.values()], timeout=0.2) == {runtime, *pids.values()}
    env.kill()
    assert wait_gone([runtime, *pids.values()]) == set()


def test_detached_processes_end_when_the_runtime_exits_by_itself(make_env):
    env = make_env("daemons.handler")
    env.start()
    pids = list(json.loads(env.invoke("r", b"{}", ARN).payload).values())
    os.kill(env.pid, signal.SIGKILL)  # the runtime dies; its init ends what it left
    assert wait_gone(pids) == set()


CLOUD_PARENT = textwrap.dedent("""
    import json, sys
    from minilambda import Cloud, zip_files
    cloud = Cloud()
    lam = cloud.client("lambda")
    code = open(sys.argv[1]).read()
    lam.create_function(FunctionName="d", Runtime="python3.12", Handler="daemons.handler",
                        Role="arn:aws:iam::123456789012:role/r", Code={"ZipFile": zip_files({"daemons.py": code})})
    pids = json.loads(lam.invoke(FunctionName="d")["Payload"].read())
    print(json.dumps({"pids": list(pids.values()), "workdir": cloud.workdir}), flush=True)
    sys.stdin.read()
""")


def test_a_sigkilled_owner_leaves_no_process_and_no_work_folder():
    parent = subprocess.Popen([sys.executable, "-c", CLOUD_PARENT, os.path.join(FUNCTIONS, "daemons.py")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        out = json.loads(parent.stdout.readline())
        assert os.path.isdir(out["workdir"]) and out["workdir"].startswith("/var/tmp/")
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert wait_gone(out["pids"]) == set()
        guardian_done = wait_for(lambda: not os.path.exists(out["workdir"]))
        assert guardian_done, "the guardian removes the Cloud's work folder"
    finally:
        parent.kill()
        parent.wait()


def mounted_under(prefix: str) -> list[str]:
    """Mount points whose path starts with *prefix*."""
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(prefix)]


def wait_for(condition, timeout: float = 10.0) -> bool:
    """Poll *condition* (a folder removed by another process has no event to wait on)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
