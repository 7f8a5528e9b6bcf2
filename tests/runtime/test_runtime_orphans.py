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

pytestmark = pytest.mark.timeout(60)


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
    finally:
        parent.kill()
        parent.wait()
