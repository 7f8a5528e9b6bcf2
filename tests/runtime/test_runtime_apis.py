"""The Extensions and Telemetry APIs' validation and answers, without processes (aws-facts-2 §3–4)."""

from __future__ import annotations

import json

from minilambda.runtime import log_lines, telemetry
from minilambda.runtime.extensions import ExtensionsHub


class FakeConn:
    """Stands in for a connection: the hub only passes it back to ``reply``."""


def answers():
    got = []

    def reply(conn, status, body, close=False, headers=None):
        got.append((status, json.loads(body), headers or {}))

    return got, reply


def register(hub, reply, name, events, extra=None):
    headers = {"lambda-extension-name": name, **(extra or {})}
    hub.handle(FakeConn(), "POST", "/2020-01-01/extension/register", headers, json.dumps({"events": events}).encode(),
               reply)


def test_register_answers_and_refusals():
    hub = ExtensionsHub({"accountId": "123456789012", "functionName": "f", "functionVersion": "$LATEST",
                         "handler": "app.handler"}, ["/opt/extensions/ext-a"])
    got, reply = answers()
    register(hub, reply, "ext-a", ["INVOKE", "SHUTDOWN"], {"lambda-extension-accept-feature": "accountId"})
    status, body, headers = got[-1]
    assert status == 200 and list(body) == ["accountId", "functionName", "functionVersion", "handler"]
    assert headers["Lambda-Extension-Identifier"]
    register(hub, reply, "ext-a", ["INVOKE"])
    assert got[-1][:2] == (403, {"errorMessage": "Extension with this name already registered",
                                 "errorType": "Extension.InvalidExtensionState"})
    register(hub, reply, "", ["INVOKE"])
    assert got[-1][1]["errorType"] == "Extension.InvalidExtensionName"
    register(hub, reply, "internal", ["SHUTDOWN"])
    assert got[-1][1]["errorType"] == "Extension.InvalidEventType"
    for i in range(9):
        register(hub, reply, f"internal-{i}", ["INVOKE"])
    register(hub, reply, "one-too-many", ["INVOKE"])
    assert got[-1][1] == {"errorMessage": "Extension limit (10) reached", "errorType": "Extension.TooManyExtensions"}
    hub.registration_open = False
    register(hub, reply, "late", [])
    assert got[-1][1]["errorType"] == "Extension.RegistrationClosed"
    hub.handle(FakeConn(), "GET", "/2020-01-01/extension/event/next", {}, b"", reply)
    assert got[-1][1]["errorType"] == "Extension.MissingExtensionIdentifier"


def test_invoke_event_shape_and_extension_line():
    hub = ExtensionsHub({"functionName": "f", "functionVersion": "1", "handler": "h"}, ["/opt/extensions/x"])
    got, reply = answers()
    register(hub, reply, "x", ["INVOKE"])
    ident = got[-1][2]["Lambda-Extension-Identifier"]
    hub.handle(FakeConn(), "GET", "/2020-01-01/extension/event/next", {"lambda-extension-identifier": ident}, b"",
               reply)
    assert hub.all_waiting() and hub.all_external_registered()
    hub.send_invoke(reply, "rid", 1000, "arn:aws:lambda:us-east-1:123456789012:function:f", "Root=1-a-b")
    assert list(got[-1][1]) == ["eventType", "deadlineMs", "requestId", "invokedFunctionArn", "tracing"]
    assert not hub.all_waiting()
    assert hub.log_lines() == ["EXTENSION\tName: x\tState: Ready\tEvents: [INVOKE]"]
    assert hub.shutdown_limit() == 2.0


def test_telemetry_subscription_validation():
    ok = telemetry.parse_subscription("ext", json.dumps({
        "schemaVersion": "2022-07-01", "types": ["platform", "function"],
        "buffering": {"maxItems": 1000, "maxBytes": 262144, "timeoutMs": 100},
        "destination": {"protocol": "HTTP", "URI": "http://sandbox.localdomain:8080/logs"}}).encode())
    assert isinstance(ok, telemetry.Subscription) and (ok.port, ok.path) == (8080, "/logs")
    assert telemetry.subscribed_line(ok) == "TELEMETRY\tName: ext\tState: Subscribed\tTypes: [Platform, Function]"
    bad = telemetry.parse_subscription("ext", json.dumps({
        "types": [], "destination": {"protocol": "HTTP", "URI": "http://sandbox.localdomain"}}).encode())
    assert bad == "URI port is not provided; types should not be empty"


def test_text_and_json_platform_lines():
    assert log_lines.init_report_line(9999.791, "init", "timeout") == (
        "INIT_REPORT Init Duration: 9999.79 ms\tPhase: init\tStatus: timeout")
    assert log_lines.init_report_line(4.87, "invoke", "error", "Runtime.ExitError") == (
        "INIT_REPORT Init Duration: 4.87 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError")
    assert log_lines.report_line("id", 5000, 5000, 128, 94, None, "timeout").endswith(
        "Max Memory Used: 94 MB\tStatus: timeout")
    assert log_lines.runtime_exit_line("id", "Runtime exited with error: signal: killed") == (
        "RequestId: id Error: Runtime exited with error: signal: killed\nRuntime.ExitError")
    assert log_lines.timed_out_line(0.0, "id", 3.014) == "1970-01-01T00:00:00.000Z id Task timed out after 3.01 seconds"
    done, report = (json.loads(r) for r in log_lines.json_end_records(0.0, "id", "timeout", 5001.1823, 5002, 128,
                                                                        94))
    assert done["type"] == "platform.runtimeDone" and done["record"]["metrics"]["durationMs"] == 5001.182
    assert report["record"] == {"requestId": "id", "status": "timeout", "metrics": {
        "durationMs": 5001.182, "billedDurationMs": 5002, "memorySizeMB": 128, "maxMemoryUsedMB": 94}}
