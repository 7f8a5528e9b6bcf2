"""External extensions (Extensions API) and the Telemetry API, as aws-facts-2 §3–4 describe them."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest
from conftest import ARN, rid

pytestmark = [pytest.mark.process, pytest.mark.timeout(60)]

EXTENSION = '''#!{python}
import http.server, json, os, threading, time, urllib.request
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
base = "http://" + api
out = os.environ["TMPDIR"]
def note(kind, value):
    with open(os.path.join(out, kind + ".jsonl"), "a") as f:
        f.write(json.dumps(value) + "\\n")
req = urllib.request.Request(base + "/2020-01-01/extension/register", method="POST",
                             data=json.dumps({{"events": ["INVOKE", "SHUTDOWN"]}}).encode(),
                             headers={{"Lambda-Extension-Name": "my-ext"}})
with urllib.request.urlopen(req) as resp:
    ident = resp.headers["Lambda-Extension-Identifier"]
    note("register", json.loads(resp.read()))
note("env", sorted(os.environ))
class Listener(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        batch = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        note("telemetry", [event["type"] for event in batch])
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Listener)
threading.Thread(target=server.serve_forever, daemon=True).start()
sub = {{"schemaVersion": "2022-07-01", "types": ["platform", "function"],
        "buffering": {{"maxItems": 1000, "maxBytes": 262144, "timeoutMs": 100}},
        "destination": {{"protocol": "HTTP", "URI": "http://sandbox.localdomain:%d/" % server.server_address[1]}}}}
req = urllib.request.Request(base + "/2022-07-01/telemetry", method="PUT", data=json.dumps(sub).encode(),
                             headers={{"Lambda-Extension-Identifier": ident}})
with urllib.request.urlopen(req) as resp:
    note("subscribe", [resp.status, json.loads(resp.read())])
while True:
    req = urllib.request.Request(base + "/2020-01-01/extension/event/next",
                                 headers={{"Lambda-Extension-Identifier": ident}})
    with urllib.request.urlopen(req) as resp:
        event = json.loads(resp.read())
    note("events", event)
    if event["eventType"] == "SHUTDOWN":
        break
    time.sleep(0.2)  # work after the runtime answered: the invocation lasts until this is done
'''
HANDLER = '''import json, os
def handler(event, context):
    out = os.environ["TMPDIR"]
    def read(kind):
        try:
            with open(os.path.join(out, kind + ".jsonl")) as f:
                return [json.loads(line) for line in f]
        except FileNotFoundError:
            return []
    return {kind: read(kind) for kind in ("register", "env", "subscribe", "events", "telemetry")}
'''


@pytest.fixture
def extension_env(make_env, base_dir):
    root = os.path.join(base_dir, "ext-" + rid()[:8])
    layer, task = os.path.join(root, "layer"), os.path.join(root, "task")
    os.makedirs(os.path.join(layer, "extensions"))
    os.makedirs(task)
    path = os.path.join(layer, "extensions", "my-ext")
    with open(path, "w") as f:
        f.write(EXTENSION.format(python=sys.executable))
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    with open(os.path.join(task, "app.py"), "w") as f:
        f.write(HANDLER)
    return make_env("app.handler", task_root=task, layer_root=layer, timeout=10.0)


def test_extension_registers_before_the_runtime_and_is_logged(extension_env):
    init = extension_env.start()
    assert init.ok, init
    assert "EXTENSION\tName: my-ext\tState: Ready\tEvents: [INVOKE, SHUTDOWN]" in init.log_lines
    assert "TELEMETRY\tName: my-ext\tState: Subscribed\tTypes: [Platform, Function]" in init.log_lines
    out = json.loads(extension_env.invoke(rid(), b"{}", ARN).payload)
    assert out["register"] == [{"functionName": "fn", "functionVersion": "$LATEST", "handler": "app.handler"}]
    assert out["subscribe"] == [[200, "OK"]]
    hidden = {"_HANDLER", "LAMBDA_TASK_ROOT", "AWS_EXECUTION_ENV", "AWS_LAMBDA_LOG_GROUP_NAME"}
    assert not hidden & set(out["env"][0]) and "AWS_LAMBDA_RUNTIME_API" in out["env"][0]


def test_invocation_lasts_until_extensions_are_done_and_they_get_invoke_and_shutdown(extension_env):
    extension_env.start()
    first_id = rid()
    first = extension_env.invoke(first_id, b"{}", ARN)
    assert first.outcome == "success" and first.duration_ms >= 200  # the extension's 0.2 s counts
    out = json.loads(extension_env.invoke(rid(), b"{}", ARN).payload)
    invoke = out["events"][0]
    assert list(invoke) == ["eventType", "deadlineMs", "requestId", "invokedFunctionArn", "tracing"]
    assert invoke["eventType"] == "INVOKE" and invoke["requestId"] == first_id and invoke["invokedFunctionArn"] == ARN
    delivered = [t for batch in out["telemetry"] for t in batch]
    for kind in ("platform.initStart", "platform.extension", "platform.telemetrySubscription",
                 "platform.initReport", "platform.start", "platform.runtimeDone", "platform.report"):
        assert kind in delivered, (kind, delivered)
    tmp = extension_env.spec.tmp_dir
    extension_env.kill()
    with open(os.path.join(tmp, "events.jsonl")) as f:
        last = [json.loads(line) for line in f][-1]
    assert last["eventType"] == "SHUTDOWN" and last["shutdownReason"] == "spindown"


INTERNAL = '''import json, os, threading, urllib.request
base = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2020-01-01/extension"
seen = []
req = urllib.request.Request(base + "/register", method="POST", data=b'{"events": ["INVOKE"]}',
                             headers={"Lambda-Extension-Name": "in-process"})
ident = urllib.request.urlopen(req).headers["Lambda-Extension-Identifier"]  # during INIT, as AWS requires
def loop():
    while True:
        req = urllib.request.Request(base + "/event/next", headers={"Lambda-Extension-Identifier": ident})
        seen.append(json.loads(urllib.request.urlopen(req).read())["requestId"])
threading.Thread(target=loop, daemon=True).start()
def handler(event, context):
    return seen
'''


def test_internal_extension_in_the_runtime_process(make_env, base_dir):
    task = os.path.join(base_dir, "internal-" + rid()[:8])
    os.makedirs(task)
    with open(os.path.join(task, "app.py"), "w") as f:
        f.write(INTERNAL)
    env = make_env("app.handler", task_root=task)
    assert env.start().ok
    first = rid()
    assert env.invoke(first, b"{}", ARN).outcome == "success"
    assert json.loads(env.invoke(rid(), b"{}", ARN).payload)[0] == first


def test_layer_extension_through_a_cloud():
    from minilambda import Cloud, zip_files

    with Cloud(clock="virtual", seed=3) as cloud:
        lam = cloud.client("lambda")
        layer = lam.publish_layer_version(LayerName="ext", Content={"ZipFile": zip_files(
            {"extensions/my-ext": EXTENSION.format(python=sys.executable)})})["LayerVersionArn"]
        lam.create_function(FunctionName="f", Runtime="python3.12", Handler="app.handler", Timeout=10,
                            Role="arn:aws:iam::123456789012:role/r", Layers=[layer],
                            Code={"ZipFile": zip_files({"app.py": HANDLER})})
        lam.invoke(FunctionName="f")
        lines = cloud.log_lines("f")
        assert "EXTENSION\tName: my-ext\tState: Ready\tEvents: [INVOKE, SHUTDOWN]\n" in lines
        report = [line for line in lines if line.startswith("REPORT")][-1]
        assert cloud.invocations[-1].duration_ms >= 200  # billed until the extension is done
        assert f"Duration: {cloud.invocations[-1].duration_ms:.2f} ms" in report
