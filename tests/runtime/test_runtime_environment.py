"""ProcessEnvironment: warm reuse, the context object, environment variables, isolation."""

from __future__ import annotations

import base64
import json
import os
import sys

import pytest
from conftest import ARN, FUNCTIONS, rid

pytestmark = [pytest.mark.process, pytest.mark.timeout(60)]


def invoke_json(env, event=None, **kw):
    result = env.invoke(rid(), json.dumps(event or {}).encode(), ARN, **kw)
    assert result.outcome == "success", result
    return json.loads(result.payload)


def test_warm_reuse_keeps_process_and_module_state(make_env):
    env = make_env("state.handler")
    init = env.start()
    assert init.ok and init.init_ms > 0 and env.alive
    first = invoke_json(env, {"op": "incr"})
    second = invoke_json(env, {"op": "incr"})
    third = invoke_json(env, {"op": "incr"})
    assert [first["count"], second["count"], third["count"]] == [1, 2, 3]
    assert first["pid"] == second["pid"] == third["pid"] == env.pid


def test_success_result_fields(make_env):
    env = make_env("echo.handler")
    env.start()
    result = env.invoke(rid(), b'{"hello": "world"}', ARN)
    assert result.outcome == "success"
    assert result.payload == b'{"hello": "world"}'
    assert result.function_error is None and result.error_type is None
    assert result.content_type == "application/json"
    assert result.environment_alive is True
    assert result.log_lines == ['{"hello": "world"}']
    assert 0 < result.duration_ms < 1000
    assert 5 < result.max_memory_used_mb < 128


def test_none_returns_null_and_empty_payload_is_an_empty_object(make_env):
    env = make_env("echo.handler")
    env.start()
    assert env.invoke(rid(), b"", ARN).payload == b"{}"
    noop = make_env("noop.handler")
    noop.start()
    assert noop.invoke(rid(), b"{}", ARN).payload == b"null"


def test_context_attributes_and_types(make_env):
    env = make_env("ctx.handler", memory_size=1024)
    env.start()
    request_id = rid()
    qualified = ARN + ":$LATEST"
    result = env.invoke(request_id, b'{"k": 1}', qualified, timeout=3.0)
    out = json.loads(result.payload)
    ctx = out["ctx"]
    assert ctx["aws_request_id"] == request_id
    assert ctx["function_name"] == "fn"
    assert ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == qualified
    assert ctx["memory_limit_in_mb"] == "1024"
    assert ctx["log_group_name"] == "/aws/lambda/fn"
    assert ctx["log_stream_name"] == env.spec.log_stream
    assert ctx["client_context"] is None and ctx["tenant_id"] is None
    assert out["types"] == {"aws_request_id": "str", "function_name": "str", "function_version": "str",
                            "invoked_function_arn": "str", "memory_limit_in_mb": "str", "log_group_name": "str",
                            "log_stream_name": "str", "client_context": "NoneType", "tenant_id": "NoneType"}
    assert out["identity"] == [None, None]
    assert 2000 < out["remaining"] <= 3000
    for name in ("get_remaining_time_in_millis", "identity", "log", "client_context", "tenant_id"):
        assert name in out["attrs"]
    assert out["event"] == {"k": 1}
    assert out["cwd"] == FUNCTIONS


def test_client_context_tenant_and_trace_id(make_env):
    env = make_env("ctx.handler")
    env.start()
    cc = base64.b64encode(json.dumps({"custom": {"a": "b"}, "env": {"x": "y"},
                                      "client": {"installation_id": "i-1"}}).encode()).decode()
    trace = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
    out = invoke_json(env, client_context=cc, trace_id=trace, tenant_id="tenant-7")
    assert out["ctx"]["client_context"] == {"custom": {"a": "b"}, "env": {"x": "y"}, "client": "i-1"}
    assert out["ctx"]["tenant_id"] == "tenant-7"
    assert out["environment"]["_X_AMZN_TRACE_ID"] == trace
    # Without a trace id the platform still sends one (AWS always does).
    out2 = invoke_json(env)
    assert out2["environment"]["_X_AMZN_TRACE_ID"].startswith("Root=1-")
    assert out2["ctx"]["client_context"] is None


def test_environment_variables_are_aws_names_and_nothing_inherited(make_env, monkeypatch):
    monkeypatch.setenv("MINILAMBDA_PARENT_SECRET", "leak")
    env = make_env("ctx.handler", environment={"TEST_KEY": "TEST_VAL"}, memory_size=256, version="3")
    env.start()
    out = invoke_json(env)
    e = out["environment"]
    assert "MINILAMBDA_PARENT_SECRET" not in e
    assert "HOME" not in e and "VIRTUAL_ENV" not in e
    expected = {
        "_HANDLER": "ctx.handler", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12", "AWS_LAMBDA_FUNCTION_NAME": "fn",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_FUNCTION_VERSION": "3",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/fn",
        "AWS_LAMBDA_LOG_STREAM_NAME": env.spec.log_stream, "AWS_LAMBDA_RUNTIME_API": env.runtime_api,
        "LAMBDA_TASK_ROOT": FUNCTIONS, "LAMBDA_RUNTIME_DIR": env.spec.runtime_dir, "TZ": ":UTC",
        "LANG": "en_US.UTF-8", "TEST_KEY": "TEST_VAL", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    }
    for key, value in expected.items():
        assert e[key] == value, key
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "PATH", "LD_LIBRARY_PATH",
                "_X_AMZN_TRACE_ID", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "TMPDIR"):
        assert e[key], key
    assert not os.path.exists(e["AWS_CONFIG_FILE"]) and not os.path.exists(e["AWS_SHARED_CREDENTIALS_FILE"])
    assert "AWS_LAMBDA_FUNCTION_TIMEOUT" not in e
    assert env.runtime_api.startswith("127.0.0.1:")


def test_each_environment_has_its_own_runtime_api(make_env):
    a, b = make_env(), make_env()
    assert a.port != b.port
    a.start(), b.start()
    assert a.invoke(rid(), b"{}", ARN).outcome == b.invoke(rid(), b"{}", ARN).outcome == "success"


def test_import_path_is_task_root_stdlib_and_runtime_dir_only(make_env):
    env = make_env("ctx.handler")
    env.start()
    path = invoke_json(env)["path"]
    assert path[0] == FUNCTIONS
    assert path[-1] == env.spec.runtime_dir
    assert not any("site-packages" in p for p in path), path


def test_host_only_package_is_an_import_module_error(make_env):
    __import__("ipywidgets")  # the host has it...
    env = make_env("imports_ipywidgets.handler")
    init = env.start()  # ...the function does not
    assert not init.ok and not env.alive
    assert init.error_type == "Runtime.ImportModuleError"
    payload = json.loads(init.error_payload)
    assert payload == {"errorMessage": "Unable to import module 'imports_ipywidgets': No module named 'ipywidgets'",
                       "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}


def test_boto3_imports_with_fake_credentials_and_loopback_endpoint(make_env):
    env = make_env("uses_boto3.handler", timeout=10.0)
    assert env.start().ok
    out = invoke_json(env)
    import boto3

    assert out["boto3"] == boto3.__version__
    key, secret, token = (env.environment_variables()[k] for k in
                          ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"))
    assert (out["access_key"], out["secret_key"], out["token"]) == (key, secret, token)
    assert out["method"] == "env"
    assert out["endpoint"] == "http://127.0.0.1:4566"
    assert out["region"] == "us-east-1"


def test_layer_python_folder_is_importable(make_env, base_dir):
    layer = os.path.join(base_dir, "layer-" + rid()[:8])
    os.makedirs(os.path.join(layer, "python"))
    with open(os.path.join(layer, "python", "layer_helper.py"), "w") as f:
        f.write("VALUE = 'from the layer'\n")
    task = os.path.join(base_dir, "task-" + rid()[:8])
    os.makedirs(task)
    with open(os.path.join(task, "app.py"), "w") as f:
        f.write("import layer_helper\ndef handler(event, context):\n    return layer_helper.VALUE\n")
    env = make_env("app.handler", task_root=task, layer_root=layer)
    assert env.start().ok
    assert env.invoke(rid(), b"{}", ARN).payload == b'"from the layer"'


def test_private_tmp_is_isolated_between_environments(make_env):
    a, b = make_env("state.handler"), make_env("state.handler")
    a.start(), b.start()
    if not a.private_tmp:
        pytest.skip("no private /tmp here: it needs Linux mount namespaces (root or user namespaces) and code, runtime and interpreter outside /tmp")
    invoke_json(a, {"op": "write", "dir": "/tmp", "name": "mine.txt", "content": "from a"})
    assert invoke_json(a, {"op": "read", "dir": "/tmp", "name": "mine.txt"}) == {"content": "from a"}
    assert invoke_json(b, {"op": "read", "dir": "/tmp", "name": "mine.txt"}) == {"content": None}
    assert os.path.exists(os.path.join(a.spec.tmp_dir, "mine.txt"))
    assert not os.path.exists("/tmp/mine.txt")
    assert invoke_json(a, {"op": "tmpdir"})["gettempdir"] == "/tmp"


def test_tempfile_dir_is_the_environments_tmp_dir(make_env):
    a, b = make_env("state.handler"), make_env("state.handler")
    a.start(), b.start()
    invoke_json(a, {"op": "write", "name": "t.txt", "content": "x"})
    assert invoke_json(b, {"op": "read", "name": "t.txt"}) == {"content": None}
    assert invoke_json(a, {"op": "read", "name": "t.txt"}) == {"content": "x"}


def test_timeout_resets_globals_but_keeps_tmp(make_env):
    env = make_env("state.handler", timeout=1.0)
    env.start()
    tmp_dir = "/tmp" if env.private_tmp else None
    assert env.invoke(rid(), json.dumps({"op": "write", "dir": tmp_dir, "name": "f", "content": "some-content"})
                      .encode(), ARN).payload == b"null"
    assert invoke_json(env, {"op": "read", "dir": tmp_dir, "name": "f"}) == {"content": "some-content"}
    invoke_json(env, {"op": "set", "value": 42})
    assert invoke_json(env, {"op": "get"}) == {"number": 42}
    first_pid = env.pid
    timed_out = env.invoke(rid(), b'{"op": "sleep", "seconds": 5}', ARN)
    assert timed_out.outcome == "timeout" and not env.alive
    assert env.start().ok  # the platform re-inits the same environment
    assert env.pid != first_pid
    assert invoke_json(env, {"op": "read", "dir": tmp_dir, "name": "f"}) == {"content": "some-content"}
    assert invoke_json(env, {"op": "get"}) == {"number": 0}


def test_start_works_repeatedly_after_kill(make_env):
    env = make_env("state.handler")
    pids = []
    for _ in range(3):
        assert env.start().ok
        assert invoke_json(env, {"op": "incr"})["count"] == 1
        pids.append(env.pid)
        env.kill()
        assert not env.alive and env.pid is None
    assert len(set(pids)) == 3
    assert env.starts == 3


def test_marshalling_like_awslambdaric(make_env):
    env = make_env("returns.handler")
    env.start()
    raw = env.invoke(rid(), b'{"kind": "bytes"}', ARN)
    assert raw.payload == b"\x00raw bytes" and raw.content_type == "application/unknown"
    text = env.invoke(rid(), b'{"kind": "unicode"}', ARN)
    assert text.payload == '{"text": "héllo ✓"}'.encode()  # python3.12: ensure_ascii=False
    assert json.loads(env.invoke(rid(), b'{"kind": "decimal"}', ARN).payload) == {"n": 12, "f": 1.5}
    bad = env.invoke(rid(), b'{"kind": "set"}', ARN)
    assert bad.outcome == "error" and bad.error_type == "Runtime.MarshalError"
    assert json.loads(bad.payload)["errorMessage"] == "Unable to marshal response: Object of type set is not JSON serializable"
    assert env.alive


def test_old_python_runtime_escapes_non_ascii(make_env):
    env = make_env("returns.handler", runtime="python3.11")
    env.start()
    assert env.invoke(rid(), b'{"kind": "unicode"}', ARN).payload == b'{"text": "h\\u00e9llo \\u2713"}'


def test_runtime_is_started_with_isolated_interpreter(make_env):
    env = make_env()
    env.start()
    with open(f"/proc/{env.pid}/cmdline", "rb") as f:
        argv = f.read().split(b"\0")
    assert b"-I" in argv and b"-S" in argv
    assert argv[0].decode() == sys.executable


def test_concurrent_cold_starts_from_the_fork_server(make_env):
    """Many environments started at once (one thread each) all get their own runtime."""
    import threading

    envs = [make_env("state.handler") for _ in range(30)]
    barrier = threading.Barrier(len(envs))
    results = {}

    def run(env):
        barrier.wait()
        results[id(env)] = (env.start().ok, invoke_json(env, {"op": "incr"})["pid"])

    threads = [threading.Thread(target=run, args=(env,)) for env in envs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(ok for ok, _ in results.values()) and len(results) == 30
    assert len({pid for _, pid in results.values()}) == 30
