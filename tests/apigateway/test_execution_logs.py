"""Execution logs as AWS writes them: REST stages only, only once a logging level is set
(``*/*/logging/loglevel``); ERROR keeps errors only, data trace adds bodies; HTTP APIs have none."""

from __future__ import annotations

import pytest

from minilambda import Cloud
from minilambda.apigateway.logging import MAX_EVENT_BYTES, execution_log_lines, method_log_settings

from .apigw_helpers import ECHO_EVENT, NOOP, allow_apigateway, enable_execution_logs, make_function, rest_proxy_api

pytestmark = pytest.mark.process


def _groups(cloud) -> list[str]:
    return [g["logGroupName"] for g in cloud.client("logs").describe_log_groups()["logGroups"]]


@pytest.fixture
def rest_api():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=3) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        api, _ = rest_proxy_api(cloud, arn, stage="dev", credentials=None)
        allow_apigateway(cloud, "echo", api)
        yield cloud, api


def test_no_execution_log_until_a_logging_level_is_set(rest_api):
    cloud, api = rest_api
    assert cloud.http("GET", cloud.api_url(api, "dev") + "/x").status == 200
    assert not [g for g in _groups(cloud) if g.startswith("API-Gateway-Execution-Logs_")]
    enable_execution_logs(cloud, api, "dev", "INFO")
    assert cloud.http("POST", cloud.api_url(api, "dev") + "/x", body=b'{"secret":1}').status == 200
    log = cloud.logs.lines(f"API-Gateway-Execution-Logs_{api}/dev")
    assert any("Starting execution for request:" in line for line in log)
    assert any("Method completed with status: 200" in line for line in log)
    assert not any("body before transformations" in line for line in log)  # no data trace


def test_data_trace_adds_request_and_response_bodies(rest_api):
    cloud, api = rest_api
    enable_execution_logs(cloud, api, "dev", "INFO", data_trace=True)
    assert cloud.http("POST", cloud.api_url(api, "dev") + "/x", body=b'{"secret":1}').status == 200
    log = cloud.logs.lines(f"API-Gateway-Execution-Logs_{api}/dev")
    assert any('Method request body before transformations: {"secret":1}' in line for line in log)
    assert any("Endpoint response body before transformations:" in line for line in log)
    assert all(len(line.rstrip("\n").encode()) <= MAX_EVENT_BYTES for line in log)


def test_error_level_logs_only_failed_requests():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=3) as cloud:
        arn = make_function(cloud, "noop", NOOP)
        api, _ = rest_proxy_api(cloud, arn, stage="dev", credentials=None)  # no permission yet: 500
        enable_execution_logs(cloud, api, "dev", "ERROR")
        group = f"API-Gateway-Execution-Logs_{api}/dev"
        assert cloud.http("GET", cloud.api_url(api, "dev") + "/x").status == 500
        failed = cloud.logs.lines(group)
        assert any("Invalid permissions on Lambda function" in line for line in failed)
        assert any("Method completed with status: 500" in line for line in failed)
        assert not any("Starting execution" in line for line in failed)
        allow_apigateway(cloud, "noop", api)
        assert cloud.http("GET", cloud.api_url(api, "dev") + "/x").status == 200
        assert cloud.logs.lines(group) == failed


def test_http_apis_write_access_logs_only_when_configured():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=3) as cloud:
        arn = make_function(cloud, "noop", NOOP)
        v2 = cloud.client("apigatewayv2")
        api = v2.create_api(Name="h", ProtocolType="HTTP", Target=arn)["ApiId"]
        allow_apigateway(cloud, "noop", api)
        assert cloud.http("GET", cloud.api_url(api) + "/x").status == 200
        assert _groups(cloud) == ["/aws/lambda/noop"]  # no execution logs, no access logs
        v2.update_stage(ApiId=api, StageName="$default", AccessLogSettings={
            "DestinationArn": f"arn:aws:logs:us-east-1:{cloud.account_id}:log-group:access", "Format": "$context.status"})
        assert cloud.http("GET", cloud.api_url(api) + "/x").status == 200
        assert cloud.logs.lines("access") == ["200\n"]
        assert not [g for g in _groups(cloud) if g.startswith("API-Gateway-Execution-Logs_")]


def test_method_settings_resolution():
    settings = {"*/*": {"loggingLevel": "ERROR", "dataTraceEnabled": False},
                "~1items/GET": {"loggingLevel": "INFO", "dataTraceEnabled": True}}
    assert method_log_settings(settings, "/items", "GET") == ("INFO", True)
    assert method_log_settings(settings, "/items", "POST") == ("ERROR", False)
    assert method_log_settings(None, "/items", "GET") == ("OFF", False)
    assert method_log_settings({"*/*": {"throttlingRateLimit": 5.0}}, "/", "GET") == ("OFF", False)


def test_execution_log_line_filter():
    lines, levels = ["a", "b", "c"], ["INFO", "ERROR", "DATA"]
    assert execution_log_lines(lines, levels, "OFF", True) == []
    assert execution_log_lines(lines, levels, "ERROR", True) == ["b"]
    assert execution_log_lines(lines, levels, "INFO", False) == ["a", "b"]
    assert execution_log_lines(lines, levels, "INFO", True) == ["a", "b", "c"]
    assert len(execution_log_lines(["é" * 1000], ["INFO"], "INFO", False)[0].encode()) <= MAX_EVENT_BYTES
