"""AWS's per-environment limits hold, and are AWS's rather than side effects of ours."""

from __future__ import annotations

import json

import pytest
from conftest import ARN, rid

pytestmark = [pytest.mark.process, pytest.mark.timeout(120)]


def call(env, event):
    result = env.invoke(rid(), json.dumps(event).encode(), ARN)
    assert result.outcome == "success", result
    return json.loads(result.payload)


def test_a_128_mb_function_can_start_a_thousand_threads(make_env):
    """AWS limits resident memory, not address space: thread stacks must not count."""
    env = make_env("limits.handler", memory_size=128, timeout=60.0)
    env.start()
    assert call(env, {"op": "threads", "n": 1000}) == {"started": 1000, "error": None}


def test_at_most_1024_processes_and_threads(make_env):
    env = make_env("limits.handler", memory_size=256, timeout=60.0)
    if env.supervisor.pids_root is None:
        pytest.skip("the 1,024 tasks limit needs a writable cgroup v1 pids controller (root on Linux)")
    env.start()
    out = call(env, {"op": "threads", "n": 1100})
    assert 1000 < out["started"] < 1024 and out["error"] == "can't start new thread"


def test_1024_file_descriptors(make_env):
    env = make_env("limits.handler")
    env.start()
    assert call(env, {"op": "nofile"}) == [1024, 1024]


def test_tmp_is_as_large_as_ephemeral_storage_then_enospc(make_env):
    env = make_env("limits.handler", ephemeral_storage=16, timeout=30.0)
    env.start()
    if not env.tmp_size_limited:
        pytest.skip("no size-limited /tmp here: it needs root on Linux (a tmpfs per environment)")
    assert call(env, {"op": "fill_tmp", "mb": 64}) == {"written_mb": 16, "error": "ENOSPC"}
    assert call(env, {"op": "fill_tmp", "mb": 8}) == {"written_mb": 8, "error": None}


def test_functions_set_tz_lang_path_and_nul_does_not_break_the_runtime(make_env):
    env = make_env("limits.handler", environment={"TZ": "Europe/Paris", "LANG": "fr_FR.UTF-8",
                                                  "PATH": "/opt/bin:/usr/bin:/bin", "BAD": "a\x00b"})
    env.start()
    out = call(env, {"op": "env", "keys": ["TZ", "LANG", "PATH", "BAD"]})
    assert out == {"TZ": "Europe/Paris", "LANG": "fr_FR.UTF-8", "PATH": "/opt/bin:/usr/bin:/bin", "BAD": "a"}


def test_exec_wrapper_runs_around_the_runtime(make_env, base_dir):
    import os

    task = os.path.join(base_dir, "wrapped-" + rid()[:8])
    os.makedirs(task)
    with open(os.path.join(task, "app.py"), "w") as f:
        f.write("import os\ndef handler(e, c):\n    return os.environ.get('WRAPPED')\n")
    wrapper = os.path.join(task, "wrapper.sh")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\necho "wrapper got $# args"\nexport WRAPPED=yes\nexec "$@"\n')
    os.chmod(wrapper, 0o755)
    env = make_env("app.handler", task_root=task, environment={"AWS_LAMBDA_EXEC_WRAPPER": wrapper})
    init = env.start()
    assert init.ok and init.log_lines[0].startswith("wrapper got ")
    assert env.invoke(rid(), b"{}", ARN).payload == b'"yes"'


def test_missing_exec_wrapper_exits_127_as_aws(make_env):
    env = make_env("noop.handler", environment={"AWS_LAMBDA_EXEC_WRAPPER": "/nonexistent/wrapper"})
    init = env.start(request_id="r1")
    assert not init.ok and init.error_type == "Runtime.ExitError"
    assert json.loads(init.error_payload) == {
        "errorType": "Runtime.ExitError", "errorMessage": "RequestId: r1 Error: Runtime exited with error: exit status 127"}
    assert init.log_lines == ["/nonexistent/wrapper: does not exist"]


def test_marshalling_decimals_and_namedtuples_as_awslambdaric(make_env, base_dir):
    import os

    task = os.path.join(base_dir, "marshal-" + rid()[:8])
    os.makedirs(task)
    with open(os.path.join(task, "app.py"), "w") as f:
        f.write("import collections, decimal\nP = collections.namedtuple('P', 'x y')\n"
                "def handler(e, c):\n"
                "    return {'d': decimal.Decimal('1.10'), 'big': decimal.Decimal('12345678901234567890.123456789'),\n"
                "            'e': decimal.Decimal('1E+2'), 'p': P(1, [P(2, 3)]), 't': (1, 2), 'k': {1: 'a', None: 'b'}}\n")
    env = make_env("app.handler", task_root=task)
    env.start()
    payload = env.invoke(rid(), b"{}", ARN).payload
    assert payload == (b'{"d": 1.10, "big": 12345678901234567890.123456789, "e": 1E+2, '
                       b'"p": {"x": 1, "y": [{"x": 2, "y": 3}]}, "t": [1, 2], "k": {"1": "a", "null": "b"}}')
