"""Invoking real handlers through the public API, on both clocks."""

from __future__ import annotations

import base64
import os
import json
import re
import threading

import botocore.exceptions
import pytest

from helpers import ECHO, make_function
from golden import assert_matches, load_case
from minilambda import Cloud, Outcome

RAISES = '''
def handler(event, context):
    raise Exception("Handler fails")
'''
COUNTER = '''
import os
count = 0
def handler(event, context):
    global count
    count += 1
    return {"count": count, "pid": os.getpid()}
'''
BLOCKED = '''
def handler(event, context):
    with open(event["fifo"]) as barrier:  # blocks until the test opens the FIFO for writing
        return {"released": barrier.read()}
'''

SLEEPY = '''
import time
def handler(event, context):
    time.sleep(event.get("wait", 0))
    return {"slept": event.get("wait", 0)}
'''


def payload(resp):
    return json.loads(resp["Payload"].read())


@pytest.mark.process
def test_invoke_types_match_aws(lam):
    rec = load_case("invoke_request_response_event_dryrun")
    make_function(lam, "echo")
    assert_matches(_plain(lam.invoke(FunctionName="echo", Payload=b"{}")), rec["RequestResponse:invoke-result"])
    assert_matches(_plain(lam.invoke(FunctionName="echo", Payload=b"{}", InvocationType="Event")), rec["Event:invoke-result"])
    assert_matches(_plain(lam.invoke(FunctionName="echo", Payload=b"{}", InvocationType="DryRun")), rec["DryRun:invoke-result"])
    make_function(lam, "none", "def handler(e, c):\n    return None\n")
    assert_matches(_plain(lam.invoke(FunctionName="none", Payload=b"{}")), rec["ReturnsNone-RequestResponse:invoke-result"])


def _plain(resp):
    out = dict(resp)
    out["Payload"] = resp["Payload"].read().decode()
    out["ResponseMetadata"] = {"HTTPStatusCode": resp["ResponseMetadata"]["HTTPStatusCode"]}
    return out


@pytest.mark.process
def test_log_tail_has_aws_lines_and_cold_init_duration(lam):
    make_function(lam, "echo")
    resp = lam.invoke(FunctionName="echo", Payload=b"{}", LogType="Tail")
    lines = base64.b64decode(resp["LogResult"]).decode().splitlines(keepends=True)
    expected = load_case("invoke_log_type_tail")["logs"]["logs"]
    assert len(lines) == 4
    assert_matches(lines, expected)
    warm = base64.b64decode(lam.invoke(FunctionName="echo", Payload=b"{}", LogType="Tail")["LogResult"]).decode()
    assert "Init Duration" not in warm and warm.rstrip("\n").endswith("\t")


@pytest.mark.process
def test_handler_exception_payload(lam, cloud):
    rec = load_case("invoke_handler_exception")
    make_function(lam, "boom", handler="lambda_handler_error.handler", files={"lambda_handler_error.py": RAISES.lstrip()})
    resp = lam.invoke(FunctionName="boom")
    body = json.loads(resp["Payload"].read())
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    # Code lives in a temp folder, not /var/task (README, "What differs from AWS"): compare the rest.
    task_root = re.match(r'  File "(.*)/lambda_handler_error.py"', body["stackTrace"][0]).group(1)
    body["stackTrace"] = [line.replace(task_root, "/var/task") for line in body["stackTrace"]]
    ours = {**resp, "Payload": body}
    assert_matches(ours, rec["invocation_error"])
    assert body["requestId"] == cloud.invocations[-1].request_id


@pytest.mark.process
def test_warm_reuse_keeps_module_state_and_process(lam, cloud):
    make_function(lam, "counter", COUNTER)
    first, second = payload(lam.invoke(FunctionName="counter")), payload(lam.invoke(FunctionName="counter"))
    assert (first["count"], second["count"]) == (1, 2) and first["pid"] == second["pid"]
    cold = [r.cold for r in cloud.invocations]
    assert cold == [True, False]
    assert cloud.invocations[0].environment_id == cloud.invocations[1].environment_id


@pytest.mark.process
def test_code_update_starts_fresh_environments(lam, cloud):
    make_function(lam, "counter", COUNTER)
    lam.invoke(FunctionName="counter")
    from minilambda import zip_files
    lam.update_function_code(FunctionName="counter", ZipFile=zip_files({"app.py": COUNTER + "\n# v2\n"}))
    assert payload(lam.invoke(FunctionName="counter"))["count"] == 1
    assert cloud.invocations[-1].cold


@pytest.mark.process
def test_concurrent_invocations_get_separate_environments(cloud):
    """A barrier across processes: each handler leaves its pid in a folder and returns only when
    all n are there, so no environment can be free for reuse while another request waits."""
    lam = cloud.client("lambda")
    barrier_src = '''
import os, time
def handler(event, context):
    open(os.path.join(event["dir"], str(os.getpid())), "w").close()
    while len(os.listdir(event["dir"])) < event["n"]:  # a barrier: pytest-timeout bounds a hang
        time.sleep(0.005)
    return os.getpid()
'''
    make_function(lam, "par", barrier_src)
    n = 8
    folder = os.path.join(cloud.workdir, "barrier")
    os.mkdir(folder)
    event = json.dumps({"dir": folder, "n": n}).encode()
    start = threading.Barrier(n)
    pids, errors = [], []

    def call():
        client = cloud.client("lambda")
        start.wait()
        try:
            pids.append(json.loads(client.invoke(FunctionName="par", Payload=event)["Payload"].read()))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(set(pids)) == n, "each concurrent request must run in its own environment"


@pytest.mark.process
def test_process_cap_throttles_like_the_account_limit():
    """Barriers, not timing: the test waits until the platform admits the first request, and the
    first handler blocks on a FIFO until the second request has been refused."""
    with Cloud(seed=1, max_environments=1) as cloud:
        lam = cloud.client("lambda")
        make_function(lam, "blocked", BLOCKED)
        fifo = os.path.join(cloud.workdir, "release")
        os.mkfifo(fifo)
        admitted = threading.Event()
        acquire = cloud.platform.acquire

        def observed_acquire(*args, **kwargs):
            decision = acquire(*args, **kwargs)
            admitted.set()
            return decision

        cloud.platform.acquire = observed_acquire
        result = {}
        t = threading.Thread(target=lambda: result.update(r=cloud.client("lambda").invoke(
            FunctionName="blocked", Payload=json.dumps({"fifo": fifo}).encode())))
        t.start()
        assert admitted.wait(30)
        with pytest.raises(lam.exceptions.TooManyRequestsException) as e:
            lam.invoke(FunctionName="blocked", Payload=b"{}")
        with open(fifo, "w") as release:
            release.write("go")
        t.join(30)
        assert e.value.response["Reason"] == "ConcurrentInvocationLimitExceeded"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert json.loads(result["r"]["Payload"].read()) == {"released": "go"}


def test_reserved_zero_throttles_with_aws_shape(lam, cloud):
    rec = load_case("reserved_concurrency_zero_throttles")
    make_function(lam, "zero")
    lam.put_function_concurrency(FunctionName="zero", ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as e:
        lam.invoke(FunctionName="zero")
    assert_matches(e.value.response, rec["exc_no_cap_requestresponse"])
    assert cloud.invocations[-1].outcome is Outcome.THROTTLED


def test_oversized_payload_is_413(lam):
    make_function(lam, "echo")
    # AWS sends code RequestEntityTooLargeException, which botocore's model calls RequestTooLargeException:
    # so only the generic ClientError catches it, with real AWS as here.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="echo", Payload=b'"' + b"a" * 6_291_457 + b'"')
    assert e.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "6291456 bytes for the InvokeFunction operation" in e.value.response["Error"]["Message"]


def test_invalid_json_payload_is_rejected(lam):
    make_function(lam, "echo")
    with pytest.raises(lam.exceptions.InvalidRequestContentException) as e:
        lam.invoke(FunctionName="echo", Payload=b"{not json")
    assert e.value.response["Error"]["Message"].startswith("Could not parse request body into json")


@pytest.mark.process
def test_timeout_then_reset_keeps_tmp_but_not_globals(vcloud):
    lam = vcloud.client("lambda")
    src = '''
import os, time
number = 0
def handler(event, context):
    global number
    path = os.path.join(os.environ["TMPDIR"], "kept.txt")
    if event["action"] == "write":
        open(path, "w").write("hello")
    if event["action"] == "set":
        number = 42
    if event["action"] == "sleep":
        time.sleep(5)
    return {"file": os.path.exists(path), "number": number}
'''
    make_function(lam, "reset", src, Timeout=1)
    lam.invoke(FunctionName="reset", Payload=b'{"action": "write"}')
    assert payload(lam.invoke(FunctionName="reset", Payload=b'{"action": "set"}'))["number"] == 42
    resp = lam.invoke(FunctionName="reset", Payload=b'{"action": "sleep"}')
    body = json.loads(resp["Payload"].read())
    assert resp["FunctionError"] == "Unhandled"
    assert list(body) == ["errorType", "errorMessage"] and body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    after = payload(lam.invoke(FunctionName="reset", Payload=b'{"action": "read"}'))
    assert after == {"file": True, "number": 0}
    outcomes = [r.outcome for r in vcloud.invocations]
    assert outcomes[2] is Outcome.TIMEOUT and vcloud.invocations[3].cold


@pytest.mark.process
def test_virtual_clock_moves_by_duration_and_keep_alive_reclaims(vcloud):
    lam = vcloud.client("lambda")
    make_function(lam, "echo")
    vcloud.declare_duration("echo", 0.250)
    t0 = vcloud.clock.now()
    lam.invoke(FunctionName="echo", Payload=b"{}")
    first = vcloud.invocations[-1]
    assert first.cold and vcloud.clock.now() == pytest.approx(t0 + (first.init_ms + 250.0) / 1000)
    vcloud.clock.advance(599)
    lam.invoke(FunctionName="echo", Payload=b"{}")
    assert not vcloud.invocations[-1].cold
    vcloud.clock.advance(601)
    assert vcloud.platform.live == 0, "the idle environment is reclaimed 600 s after its last request"
    lam.invoke(FunctionName="echo", Payload=b"{}")
    assert vcloud.invocations[-1].cold
    assert [e.event for e in vcloud.records.environments].count("reclaimed") == 1


@pytest.mark.process
def test_alias_routes_by_weight_with_seeded_choice():
    with Cloud(clock="virtual", seed=7) as cloud:
        lam = cloud.client("lambda")
        make_function(lam, "canary", "def handler(e, c):\n    return c.function_version\n")
        lam.publish_version(FunctionName="canary")
        lam.update_function_configuration(FunctionName="canary", Description="v2")
        lam.publish_version(FunctionName="canary")
        lam.create_alias(FunctionName="canary", Name="live", FunctionVersion="1",
                         RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
        versions = [lam.invoke(FunctionName="canary", Qualifier="live")["ExecutedVersion"] for _ in range(200)]
        share = versions.count("2") / len(versions)
        assert 0.04 < share < 0.17, f"about 10 % should go to version 2, got {share:.0%}"


@pytest.mark.process
def test_logs_client_reads_function_log_group(lam, cloud):
    make_function(lam, "echo")
    lam.invoke(FunctionName="echo", Payload=b'{"x": 1}')
    logs = cloud.client("logs")
    group = "/aws/lambda/echo"
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 1 and "[$LATEST]" in streams[0]["logStreamName"]
    events = logs.get_log_events(logGroupName=group, logStreamName=streams[0]["logStreamName"], startFromHead=True)["events"]
    messages = [e["message"] for e in events]
    assert messages[0].startswith("INIT_START") and messages[1].startswith("START RequestId:")
    assert '{"x": 1}\n' in messages
    found = logs.filter_log_events(logGroupName=group, filterPattern="REPORT")["events"]
    assert len(found) == 1 and "Billed Duration" in found[0]["message"]
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.get_log_events(logGroupName="/aws/lambda/none", logStreamName="x")


@pytest.mark.process
def test_handler_can_call_lambda_with_plain_boto3(lam):
    make_function(lam, "echo")
    caller = '''
import json, os, boto3
def handler(event, context):
    client = boto3.client("lambda")
    out = client.invoke(FunctionName="echo", Payload=json.dumps({"from": "caller"}))
    return {"endpoint": os.environ["AWS_ENDPOINT_URL"], "echo": json.loads(out["Payload"].read())}
'''
    make_function(lam, "caller", caller, Timeout=30)
    body = payload(lam.invoke(FunctionName="caller"))
    assert body["echo"] == {"from": "caller"}
    assert body["endpoint"].startswith("http://127.0.0.1:")


@pytest.mark.process
def test_no_processes_left_after_close():
    import os
    import signal
    cloud = Cloud(seed=1)
    lam = cloud.client("lambda")
    make_function(lam, "echo")
    lam.invoke(FunctionName="echo", Payload=b"{}")
    pids = [env.handle.pid for env in cloud.platform.environments()]
    assert pids and all(pids)
    cloud.close()
    import contextlib
    for pid in pids:
        with contextlib.suppress(ChildProcessError):  # already reaped by close()
            os.waitpid(pid, os.WNOHANG)
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    _ = (signal, ECHO)


@pytest.mark.process
def test_functions_never_share_tmp_or_environment_variables(lam, cloud):
    import uuid
    secret = f"secret-{uuid.uuid4().hex}.txt"
    writer = '''
import os
def handler(event, context):
    open(os.path.join("/tmp", "SECRET_NAME"), "w").write("mine")
    open(os.path.join(os.environ["TMPDIR"], "also.txt"), "w").write("mine")
    return sorted(k for k in os.environ if k.startswith("SECRET"))
'''
    reader = '''
import os
def handler(event, context):
    return {"tmp": sorted(os.listdir("/tmp")), "tmpdir": sorted(os.listdir(os.environ["TMPDIR"])),
            "env": sorted(k for k in os.environ if k.startswith("SECRET"))}
'''
    make_function(lam, "writer", writer.replace("SECRET_NAME", secret), Environment={"Variables": {"SECRET_A": "a"}})
    make_function(lam, "reader", reader)
    assert payload(lam.invoke(FunctionName="writer")) == ["SECRET_A"]
    seen = payload(lam.invoke(FunctionName="reader"))
    assert seen["env"] == [] and "also.txt" not in seen["tmpdir"]
    private = all(env.handle.private_tmp for env in cloud.platform.environments())
    if not private:
        pytest.skip("this OS gives no private /tmp (needs root or user namespaces); TMPDIR is still private")
    assert secret not in seen["tmp"], "one function must never see another's /tmp"
    import os
    assert not os.path.exists(os.path.join("/tmp", secret)), "a handler's /tmp must not be the host's /tmp"


@pytest.mark.process
def test_context_and_environment_match_aws(cloud):
    lam = cloud.client("lambda")
    src = '''
import os
def handler(event, context):
    ctx = {k: getattr(context, k) for k in ("aws_request_id", "function_name", "function_version",
           "invoked_function_arn", "log_group_name", "log_stream_name", "memory_limit_in_mb")}
    ctx["remaining_time_in_millis"] = context.get_remaining_time_in_millis()
    return {"ctx": ctx, "environment": dict(os.environ), "packages": []}
'''
    make_function(lam, "ctxfn", src, handler="handler.handler", files={"handler.py": src}, MemorySize=1024,
                  Environment={"Variables": {"TEST_KEY": "TEST_VAL"}})
    rec = load_case("runtime_context_and_environment_python312")
    for qualifier, key in ((None, "invocation_result_payload"), ("$LATEST", "invocation_result_payload_qualified")):
        kwargs = {"Qualifier": qualifier} if qualifier else {}
        got = payload(lam.invoke(FunctionName="ctxfn", **kwargs))
        expected = rec[key]
        assert got["ctx"]["memory_limit_in_mb"] == "1024", "memory_limit_in_mb is a string, as in AWS's runtime"
        assert got["ctx"]["invoked_function_arn"].endswith(":ctxfn" if qualifier is None else ":ctxfn:$LATEST")
        assert set(got["ctx"]) == set(expected["ctx"])
        # Paths and addresses differ by design (README: code lives in a temp folder); names and fixed values do not.
        env = got["environment"]
        for name in expected["environment"]:
            assert name in env, f"AWS sets {name}"
        for name in ("AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
                     "AWS_LAMBDA_INITIALIZATION_TYPE", "TZ", "LANG", "TEST_KEY", "_HANDLER", "AWS_XRAY_CONTEXT_MISSING"):
            assert env[name] == expected["environment"][name], name
        assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/ctxfn"
        assert env["AWS_ACCESS_KEY_ID"] != "" and env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")


@pytest.mark.process
def test_layer_is_on_the_import_path(lam):
    from minilambda import zip_files
    layer = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": zip_files({"python/shared_helper.py": "VALUE = 'from a layer'\n"})})
    make_function(lam, "uses-layer", "import shared_helper\ndef handler(e, c):\n    return shared_helper.VALUE\n",
                  Layers=[layer["LayerVersionArn"]])
    assert payload(lam.invoke(FunctionName="uses-layer")) == "from a layer"


@pytest.mark.process
def test_import_outside_package_fails_like_aws(lam):
    make_function(lam, "needs-widgets", "import ipywidgets\ndef handler(e, c):\n    return 1\n")
    resp = lam.invoke(FunctionName="needs-widgets")
    body = json.loads(resp["Payload"].read())
    assert resp["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"].startswith("Unable to import module 'app': No module named 'ipywidgets'")


@pytest.mark.process
def test_provisioned_concurrency_counts_against_reservation(cloud):
    lam = cloud.client("lambda")
    rec = load_case("reserved_equals_provisioned_blocks_latest")
    make_function(lam, "pc")
    lam.publish_version(FunctionName="pc")
    lam.put_function_concurrency(FunctionName="pc", ReservedConcurrentExecutions=1)
    assert payload(lam.invoke(FunctionName="pc", Payload=b'{"hello": "world"}')) == {"hello": "world"}
    put = lam.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="1", ProvisionedConcurrentExecutions=1)
    assert_matches(put, rec["provisioned_concurrency_result"])
    status = lam.get_provisioned_concurrency_config(FunctionName="pc", Qualifier="1")
    assert status["Status"] == "READY" and status["AvailableProvisionedConcurrentExecutions"] == 1
    with pytest.raises(lam.exceptions.TooManyRequestsException) as e:
        lam.invoke(FunctionName="pc", Payload=b'{"hello": "world"}')
    assert_matches(e.value.response, rec["invoke_latest_first_exc"])
    ok = lam.invoke(FunctionName="pc", Qualifier="1", Payload=b'{"hello": "world"}')
    assert ok["ExecutedVersion"] == "1"
    last = cloud.invocations[-1]
    assert last.initialization_type == "provisioned-concurrency" and not last.cold
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1)


@pytest.mark.process
def test_overlapping_work_in_virtual_time_uses_separate_environments(vcloud):
    lam = vcloud.client("lambda")
    make_function(lam, "echo")
    vcloud.declare_duration("echo", 2.0)
    for _ in range(3):  # three events at the same virtual instant
        lam.invoke(FunctionName="echo", InvocationType="Event", Payload=b"{}")
    vcloud.clock.advance(1)
    runs = [r for r in vcloud.invocations if r.function_name == "echo"]
    assert len(runs) == 3 and len({r.environment_id for r in runs}) == 3 and all(r.cold for r in runs)
    vcloud.clock.advance(5)
    lam.invoke(FunctionName="echo", Payload=b"{}")
    assert not vcloud.invocations[-1].cold, "after they finish, a later request reuses one of them"


@pytest.mark.process
def test_reclaimed_environments_release_their_sockets(vcloud):
    """Keep-alive reclaims must free each environment's Runtime API socket (no descriptor leak)."""
    import os
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc to count open descriptors")
    lam = vcloud.client("lambda")
    make_function(lam, "echo")

    def cycle():
        lam.invoke(FunctionName="echo", Payload=b"{}")
        vcloud.clock.advance(601)

    cycle()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        cycle()
    assert len(os.listdir("/proc/self/fd")) <= before + 1
    assert sum(1 for r in vcloud.invocations if r.cold) == 6
