"""HTTP APIs (apigatewayv2): routes, payload 2.0 events and inferred responses, errors, quick create,
CORS, and the same answers over a real socket and in-process."""

from __future__ import annotations

import json

import pytest
import requests

from minilambda import Cloud

from .apigw_helpers import ECHO_EVENT, allow_apigateway, make_function

pytestmark = pytest.mark.process

RETURNS = "import json\ndef handler(event, context):\n    return json.loads(event['body']) if event.get('body') else 'Hello from Lambda!'\n"


def http_api(cloud, function_arn, routes=("GET /items/{id}", "ANY /{proxy+}"), version="2.0", stage="$default",
             **api_kwargs):
    v2 = cloud.client("apigatewayv2")
    api = v2.create_api(Name="h", ProtocolType="HTTP", **api_kwargs)["ApiId"]
    integration = v2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=function_arn,
                                        PayloadFormatVersion=version)["IntegrationId"]
    for key in routes:
        v2.create_route(ApiId=api, RouteKey=key, Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api, StageName=stage, AutoDeploy=True)
    allow_apigateway(cloud, function_arn.rsplit(":", 1)[1], api, sid=f"apigw-{api}")
    return api


@pytest.fixture(scope="module")
def echo():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=1) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        api = http_api(cloud, arn, routes=("GET /items/{id}", "ANY /{proxy+}", "$default", "GET /pets/dog/1",
                                           "GET /pets/{proxy+}"))
        yield cloud, api


def _event(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def test_payload_2_event_shape(echo):
    cloud, api = echo
    url = cloud.api_url(api)
    response = requests.get(url + "/items/42?a=1&a=2&b=x", headers={"X-Multi": "1", "Cookie": "c1=v1; c2=v2"},
                            timeout=30)
    event = _event(response)
    assert event["version"] == "2.0" and event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/42" and event["rawQueryString"] == "a=1&a=2&b=x"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x"}
    assert event["pathParameters"] == {"id": "42"}
    assert event["cookies"] == ["c1=v1", "c2=v2"] and "cookie" not in event["headers"]
    assert all(k == k.lower() for k in event["headers"]) and event["headers"]["x-multi"] == "1"
    assert event["isBase64Encoded"] is False
    for absent in ("body", "stageVariables", "multiValueHeaders"):
        assert absent not in event
    ctx = event["requestContext"]
    assert ctx["http"]["method"] == "GET" and ctx["http"]["path"] == "/items/42" and ctx["stage"] == "$default"
    assert ctx["routeKey"] == "GET /items/{id}" and ctx["accountId"] == "123456789012" and ctx["apiId"] == api
    assert ctx["requestId"] == response.headers["apigw-requestid"]
    assert "x-amzn-RequestId" not in response.headers


@pytest.mark.parametrize("method,path,route", [
    ("GET", "/pets/dog/1", "GET /pets/dog/1"), ("GET", "/pets/dog/2", "GET /pets/{proxy+}"),
    ("POST", "/pets/dog/1", "ANY /{proxy+}"), ("GET", "/", "$default"), ("DELETE", "/items/1", "ANY /{proxy+}")])
def test_route_priority(echo, method, path, route):
    cloud, api = echo
    response = cloud.http(method, cloud.api_url(api) + path)
    assert response.status == 200
    assert response.json()["routeKey"] == route
    assert cloud.api_requests[-1].route == route


def test_no_route_is_404_not_found():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        api = http_api(cloud, arn, routes=("GET /items",))
        response = requests.post(cloud.api_url(api) + "/items", timeout=30)
        assert (response.status_code, response.text) == (404, '{"message":"Not Found"}')
        assert response.headers["apigw-requestid"].endswith("=")


def test_inferred_responses_and_cookies():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "ret", RETURNS)
        api = http_api(cloud, arn, routes=("$default",))
        url = cloud.api_url(api)
        plain = requests.get(url, timeout=30)
        assert (plain.status_code, plain.text, plain.headers["content-type"]) == (200, "Hello from Lambda!", "application/json")
        obj = requests.post(url, json={"message": "x"}, timeout=30)
        assert (obj.status_code, obj.json(), obj.headers["content-type"]) == (200, {"message": "x"}, "application/json")
        structured = requests.post(url, json={"statusCode": 201, "cookies": ["a=1", "b=2"], "body": "made",
                                              "headers": {"x-y": "z"}}, timeout=30)
        assert (structured.status_code, structured.text, structured.headers["x-y"]) == (201, "made", "z")
        assert structured.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]


def test_payload_1_0_on_http_api():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        api = http_api(cloud, arn, routes=("GET /v1/{x}",), version="1.0")
        event = json.loads(requests.get(cloud.api_url(api) + "/v1/abc?q=1", timeout=30).text)
        assert event["version"] == "1.0" and event["resource"] == "/v1/{x}" and event["pathParameters"] == {"x": "abc"}
        assert event["multiValueQueryStringParameters"] == {"q": ["1"]}


def test_named_stage_and_stage_variables():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        v2 = cloud.client("apigatewayv2")
        api = http_api(cloud, arn, routes=("GET /hello",), stage="dev")
        v2.update_stage(ApiId=api, StageName="dev", StageVariables={"color": "blue"})
        assert cloud.api_url(api, "dev").endswith("/dev")
        event = cloud.http("GET", cloud.api_url(api, "dev") + "/hello").json()
        assert event["stageVariables"] == {"color": "blue"} and event["requestContext"]["stage"] == "dev"
        assert event["rawPath"] == "/dev/hello"
        assert cloud.http("GET", cloud.api_url(api) + "/hello").status == 404  # no $default stage


def test_function_error_and_missing_permission_are_500():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "boom", "def handler(e, c):\n    raise ValueError('boom')\n")
        api = http_api(cloud, arn, routes=("$default",))
        response = cloud.http("GET", cloud.api_url(api) + "/x")
        assert (response.status, response.text) == (500, '{"message":"Internal Server Error"}')
        cloud.client("lambda").remove_permission(FunctionName="boom", StatementId=f"apigw-{api}")
        denied = cloud.http("GET", cloud.api_url(api) + "/x")
        assert (denied.status, denied.text) == (500, '{"message":"Internal Server Error"}')
        assert "Invalid permissions on Lambda function" in cloud.api_requests[-1].error


def test_integration_timeout_is_503_on_the_virtual_clock_without_waiting():
    with Cloud(clock="virtual", start=1_000.0, seed=1) as cloud:
        arn = make_function(cloud, "slow", "def handler(e, c):\n    return 'late'\n", Timeout=120)
        cloud.declare_duration("slow", 45.0)
        v2 = cloud.client("apigatewayv2")
        api = http_api(cloud, arn, routes=("$default",))
        integration = v2.get_integrations(ApiId=api)["Items"][0]["IntegrationId"]
        v2.update_integration(ApiId=api, IntegrationId=integration, TimeoutInMillis=30000)
        before = cloud.clock.now()
        response = cloud.http("GET", cloud.api_url(api))
        assert (response.status, response.text) == (503, '{"message":"Service Unavailable"}')
        assert cloud.clock.now() - before == pytest.approx(30.0)
        record = cloud.api_requests[-1]
        assert record.latency_ms == pytest.approx(30_000.0) and record.integration_latency_ms == pytest.approx(30_000.0)


def test_quick_create_with_target_and_api_endpoint_is_the_local_url():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        v2 = cloud.client("apigatewayv2")
        created = v2.create_api(Name="quick", ProtocolType="HTTP", Target=arn)
        api = created["ApiId"]
        assert created["ApiEndpoint"] == cloud.api_url(api) == v2.get_api(ApiId=api)["ApiEndpoint"]
        assert [r["RouteKey"] for r in v2.get_routes(ApiId=api)["Items"]] == ["$default"]
        stage = v2.get_stages(ApiId=api)["Items"][0]
        assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True
        integration = v2.get_integrations(ApiId=api)["Items"][0]
        assert (integration["IntegrationType"], integration["PayloadFormatVersion"]) == ("AWS_PROXY", "2.0")
        allow_apigateway(cloud, "echo", api)
        response = requests.get(created["ApiEndpoint"] + "/anything", timeout=30)
        assert response.status_code == 200 and response.json()["rawPath"] == "/anything"


def test_cors_configuration_answers_preflight_itself():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "cors", "def handler(e, c):\n    return {'statusCode': 200, 'headers': "
                                         "{'Access-Control-Allow-Origin': 'http://evil'}, 'body': 'ok'}\n")
        api = http_api(cloud, arn, routes=("GET /items",),
                       CorsConfiguration={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET"],
                                          "AllowHeaders": ["authorization"], "MaxAge": 300})
        url = cloud.api_url(api) + "/items"
        pre = requests.options(url, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
                               timeout=30)
        assert pre.status_code == 204
        assert pre.headers["access-control-allow-origin"] == "https://app.example"
        assert cloud.invocations == []  # no route, no Lambda: the gateway answered
        got = requests.get(url, headers={"Origin": "https://app.example"}, timeout=30)
        assert got.headers["access-control-allow-origin"] == "https://app.example"  # the backend's value ignored


def test_same_answer_in_process_and_over_a_socket(echo):
    cloud, api = echo
    url = cloud.api_url(api) + "/items/7?x=1"
    over_socket = requests.get(url, headers={"User-Agent": "t"}, timeout=30)
    in_process = cloud.http("GET", url, headers={"User-Agent": "t"})
    a, b = over_socket.json(), in_process.json()
    for event in (a, b):
        event["requestContext"].pop("requestId"), event["requestContext"].pop("time"), event["requestContext"].pop("timeEpoch")
        for k in ("x-amzn-trace-id", "x-forwarded-port", "accept", "accept-encoding", "connection", "content-length"):
            event["headers"].pop(k, None)
    assert a == b


def test_control_planes_through_the_loopback_endpoint_like_a_handler_or_the_cli():
    """Signed boto3 clients on ``cloud.endpoint_url`` (what handlers, ``serve`` and the AWS CLI use)."""
    import boto3
    from botocore.config import Config

    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        session = boto3.session.Session(aws_access_key_id="minilambda", aws_secret_access_key="minilambda",
                                        region_name="us-east-1")
        config = Config(retries={"total_max_attempts": 1})
        v2 = session.client("apigatewayv2", endpoint_url=cloud.endpoint_url, config=config)
        rest = session.client("apigateway", endpoint_url=cloud.endpoint_url, config=config)
        lam = session.client("lambda", endpoint_url=cloud.endpoint_url, config=config)
        api = v2.create_api(Name="via-gateway", ProtocolType="HTTP", Target=arn)
        lam.add_permission(FunctionName="echo", StatementId="apigw", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com")
        assert requests.get(api["ApiEndpoint"] + "/hi", timeout=30).json()["rawPath"] == "/hi"
        assert rest.create_rest_api(name="r")["name"] == "r"
        assert [a["name"] for a in cloud.client("apigateway").get_rest_apis()["items"]] == ["r"]


def test_http_api_access_log_and_record():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        api = http_api(cloud, arn, routes=("GET /items/{id}",))
        cloud.client("apigatewayv2").update_stage(ApiId=api, StageName="$default", AccessLogSettings={
            "DestinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:http-access",
            "Format": '{"id":"$context.requestId","route":"$context.routeKey","status":"$context.status"}'})
        response = cloud.http("GET", cloud.api_url(api) + "/items/9")
        line = json.loads(cloud.logs.lines("http-access")[-1])
        assert line == {"id": response.header("apigw-requestid"), "route": "GET /items/{id}", "status": "200"}
        record = cloud.api_requests[-1]
        assert (record.api_type, record.stage, record.route, record.status) == ("HTTP", "$default", "GET /items/{id}", 200)
        assert record.request_id == response.header("apigw-requestid")
