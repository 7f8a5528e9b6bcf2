"""REST APIs beyond the recordings: timeouts, throttling, quotas, sizes, permissions, authorizers,
IAM, caching, canaries, logs, records, TestInvokeMethod and deployments as snapshots."""

from __future__ import annotations

import json

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from minilambda import Cloud

from .apigw_helpers import (ECHO_EVENT, NOOP, allow_apigateway, enable_execution_logs, lambda_uri, make_function,
                            rest_proxy_api)

pytestmark = pytest.mark.process


@pytest.fixture
def noop_api():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=1) as cloud:
        arn = make_function(cloud, "noop", NOOP, Timeout=120)
        api, resource = rest_proxy_api(cloud, arn, stage="dev", credentials=None)
        allow_apigateway(cloud, "noop", api)
        yield cloud, api, resource


def test_integration_timeout_504_after_29s_on_the_virtual_clock(noop_api):
    cloud, api, _ = noop_api
    cloud.declare_duration("noop", 40.0)
    before = cloud.clock.now()
    response = cloud.http("GET", cloud.api_url(api, "dev") + "/slow")
    assert (response.status, response.text) == (504, '{"message": "Endpoint request timed out"}')
    assert cloud.clock.now() - before == pytest.approx(29.0)
    assert cloud.api_requests[-1].error_type == "INTEGRATION_TIMEOUT"
    cloud.declare_duration("noop", 0.1)
    assert cloud.http("GET", cloud.api_url(api, "dev") + "/fast").status == 200


def test_raised_integration_timeout(noop_api):
    cloud, api, resource = noop_api
    ag = cloud.client("apigateway")
    ag.update_integration(restApiId=api, resourceId=resource, httpMethod="ANY",
                          patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": "60000"}])
    ag.create_deployment(restApiId=api, stageName="dev")
    cloud.declare_duration("noop", 40.0)
    assert cloud.http("GET", cloud.api_url(api, "dev") + "/slow").status == 200


def test_missing_permission_is_500_with_the_reason_in_the_execution_log():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "noop", NOOP)
        api, _ = rest_proxy_api(cloud, arn, stage="dev", credentials=None)
        enable_execution_logs(cloud, api, "dev", "ERROR")
        response = requests.get(cloud.api_url(api, "dev") + "/x", timeout=30)
        assert (response.status_code, response.text) == (500, '{"message": "Internal server error"}')
        log = "".join(cloud.logs.lines(f"API-Gateway-Execution-Logs_{api}/dev"))
        assert "Execution failed due to configuration error: Invalid permissions on Lambda function" in log
        assert "Method completed with status: 500" in log
        lam = cloud.client("lambda")
        lam.add_permission(FunctionName="noop", StatementId="other-api", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com",
                           SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:otherapi/*/GET/*")
        assert requests.get(cloud.api_url(api, "dev") + "/x", timeout=30).status_code == 500  # wrong SourceArn
        lam.add_permission(FunctionName="noop", StatementId="this-api", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com",
                           SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{api}/dev/GET/*")
        assert requests.get(cloud.api_url(api, "dev") + "/x", timeout=30).status_code == 200
        assert requests.post(cloud.api_url(api, "dev") + "/x", timeout=30).status_code == 500  # GET only


def test_lambda_policy_api():
    with Cloud(clock="virtual", seed=1) as cloud:
        make_function(cloud, "f", NOOP)
        lam = cloud.client("lambda")
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            lam.get_policy(FunctionName="f")
        added = lam.add_permission(FunctionName="f", StatementId="s1", Action="lambda:InvokeFunction",
                                   Principal="apigateway.amazonaws.com", SourceArn="arn:aws:execute-api:us-east-1:123456789012:a/*")
        statement = json.loads(added["Statement"])
        assert statement == {"Sid": "s1", "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                             "Action": "lambda:InvokeFunction",
                             "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                             "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:a/*"}}}
        with pytest.raises(lam.exceptions.ResourceConflictException):
            lam.add_permission(FunctionName="f", StatementId="s1", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
        policy = json.loads(lam.get_policy(FunctionName="f")["Policy"])
        assert policy["Version"] == "2012-10-17" and [s["Sid"] for s in policy["Statement"]] == ["s1"]
        lam.remove_permission(FunctionName="f", StatementId="s1")
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            lam.remove_permission(FunctionName="f", StatementId="s1")


def test_stage_throttling_429_with_exact_token_bucket(noop_api):
    cloud, api, _ = noop_api
    ag = cloud.client("apigateway")
    ag.update_stage(restApiId=api, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"}])
    url = cloud.api_url(api, "dev") + "/t"
    statuses = [cloud.http("GET", url).status for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    refused = cloud.http("GET", url)
    assert (refused.text, refused.header("x-amzn-ErrorType")) == ('{"message":"Too Many Requests"}', "TooManyRequestsException")
    assert cloud.api_requests[-1].throttled
    cloud.clock.advance(1.0)
    assert cloud.http("GET", url).status == 200


def test_usage_plan_quota_and_get_usage():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=1) as cloud:
        arn = make_function(cloud, "noop", NOOP)
        api, _ = rest_proxy_api(cloud, arn, stage="dev", apiKeyRequired=True)
        ag = cloud.client("apigateway")
        plan = ag.create_usage_plan(name="p", apiStages=[{"apiId": api, "stage": "dev"}],
                                    quota={"limit": 3, "period": "DAY"}, throttle={"rateLimit": 100.0, "burstLimit": 100})
        key = ag.create_api_key(name="k", enabled=True)
        ag.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
        enable_execution_logs(cloud, api, "dev")
        url = cloud.api_url(api, "dev") + "/q"
        statuses = [cloud.http("GET", url, headers={"x-api-key": key["value"]}).status for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        log = "".join(cloud.logs.lines(f"API-Gateway-Execution-Logs_{api}/dev"))
        assert "Key quota exhausted for Usage Plan ID" in log
        over = cloud.http("GET", url, headers={"x-api-key": key["value"]})
        assert (over.text, over.header("x-amzn-ErrorType")) == ('{"message":"Limit Exceeded"}', "LimitExceededException")
        assert over.header("Retry-After") is None
        usage = ag.get_usage(usagePlanId=plan["id"], startDate="2023-11-14", endDate="2023-11-14")
        assert usage["items"][key["id"]] == [[3, 0]]


def test_payload_over_10_mb_is_413(noop_api):
    cloud, api, _ = noop_api
    response = cloud.http("POST", cloud.api_url(api, "dev") + "/big", body=b"x" * (10 * 1024 * 1024 + 1))
    assert response.status == 413
    assert cloud.invocations == []


def _authorizer_api(cloud, source: str, *, ttl: int = 300) -> str:
    auth_arn = make_function(cloud, "auth", source)
    target_arn = make_function(cloud, "echo", ECHO_EVENT)
    ag = cloud.client("apigateway")
    api, resource = rest_proxy_api(cloud, target_arn, stage="dev")
    authorizer = ag.create_authorizer(restApiId=api, name="tok", type="TOKEN", identitySource="method.request.header.Auth",
                                      authorizerUri=lambda_uri(auth_arn), authorizerResultTtlInSeconds=ttl)["id"]
    ag.update_method(restApiId=api, resourceId=resource, httpMethod="ANY", patchOperations=[
        {"op": "replace", "path": "/authorizationType", "value": "CUSTOM"},
        {"op": "replace", "path": "/authorizerId", "value": authorizer}])
    ag.create_deployment(restApiId=api, stageName="dev")
    allow_apigateway(cloud, "auth", api)
    return api


TOKEN_AUTH = '''
def handler(event, context):
    token = event["authorizationToken"]
    if token == "bad":
        raise Exception("Unauthorized")
    effect = "Allow" if token == "allow" else "Deny"
    return {"principalId": "user-1", "context": {"tier": "gold", "n": 1},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
'''


def test_token_authorizer_allow_deny_unauthorized_and_cache():
    with Cloud(clock="virtual", seed=1) as cloud:
        api = _authorizer_api(cloud, TOKEN_AUTH)
        url = cloud.api_url(api, "dev") + "/x"
        missing = requests.get(url, timeout=30)
        assert (missing.status_code, missing.text) == (401, '{"message":"Unauthorized"}')
        denied = requests.get(url, headers={"Auth": "deny"}, timeout=30)
        assert (denied.status_code, denied.text) == (
            403, '{"Message":"User is not authorized to access this resource with an explicit deny"}')
        bad = requests.get(url, headers={"Auth": "bad"}, timeout=30)
        assert bad.status_code == 401
        ok = requests.get(url, headers={"Auth": "allow"}, timeout=30)
        assert ok.status_code == 200
        authorizer = ok.json()["requestContext"]["authorizer"]
        assert authorizer["principalId"] == "user-1" and authorizer["tier"] == "gold" and authorizer["n"] == "1"
        calls = sum(1 for i in cloud.invocations if i.function_name == "auth")
        requests.get(url, headers={"Auth": "allow"}, timeout=30)
        assert sum(1 for i in cloud.invocations if i.function_name == "auth") == calls  # cached for 300 s
        cloud.clock.advance(301)
        requests.get(url, headers={"Auth": "allow"}, timeout=30)
        assert sum(1 for i in cloud.invocations if i.function_name == "auth") == calls + 1
        assert cloud.api_requests[-1].authorized is True


def test_aws_iam_verifies_the_sigv4_signature():
    with Cloud(clock="wall", seed=1) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        api, resource = rest_proxy_api(cloud, arn, stage="dev")
        ag = cloud.client("apigateway")
        ag.update_method(restApiId=api, resourceId=resource, httpMethod="ANY", patchOperations=[
            {"op": "replace", "path": "/authorizationType", "value": "AWS_IAM"}])
        ag.create_deployment(restApiId=api, stageName="dev")
        url = cloud.api_url(api, "dev") + "/signed?x=1"
        unsigned = requests.get(url, timeout=30)
        assert (unsigned.status_code, unsigned.text) == (403, '{"message":"Missing Authentication Token"}')

        def signed(secret: str) -> requests.Response:
            request = AWSRequest("GET", url, headers={"Host": url.split("/")[2]})
            SigV4Auth(Credentials("minilambda", secret), "execute-api", "us-east-1").add_auth(request)
            return requests.get(url, headers=dict(request.headers), timeout=30)

        assert signed("wrong").status_code == 403
        good = signed("minilambda")
        assert good.status_code == 200
        assert good.json()["requestContext"]["identity"]["accessKey"] == "minilambda"


def test_deployments_are_snapshots(noop_api):
    cloud, api, _ = noop_api
    ag = cloud.client("apigateway")
    root = next(r["id"] for r in ag.get_resources(restApiId=api)["items"] if r["path"] == "/")
    res = ag.create_resource(restApiId=api, parentId=root, pathPart="mocked")["id"]
    ag.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="NONE")
    ag.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type="MOCK",
                       requestTemplates={"application/json": '{"statusCode": 200}'})
    ag.put_integration_response(restApiId=api, resourceId=res, httpMethod="GET", statusCode="200",
                                responseTemplates={"application/json": '{"mock": true}'})
    url = cloud.api_url(api, "dev") + "/mocked"
    assert cloud.http("GET", url).text == "ok"  # still the old deployment: {proxy+} answers
    ag.create_deployment(restApiId=api, stageName="dev")
    assert cloud.http("GET", url).json() == {"mock": True}


def test_canary_sends_its_percentage_to_the_canary_deployment(noop_api):
    cloud, api, resource = noop_api
    ag = cloud.client("apigateway")
    ag.put_integration(restApiId=api, resourceId=resource, httpMethod="ANY", type="MOCK",
                       requestTemplates={"application/json": '{"statusCode": 200}'})
    ag.put_integration_response(restApiId=api, resourceId=resource, httpMethod="ANY", statusCode="200",
                                responseTemplates={"application/json": '{"v": 2}'})
    canary = ag.create_deployment(restApiId=api, stageName="canary-holder")["id"]
    ag.update_stage(restApiId=api, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/canarySettings/deploymentId", "value": canary},
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "25"}])
    stage = ag.get_stage(restApiId=api, stageName="dev")
    assert stage["canarySettings"] == {"deploymentId": canary, "percentTraffic": 25.0}
    bodies = [cloud.http("GET", cloud.api_url(api, "dev") + "/c").text for _ in range(400)]
    share = bodies.count('{"v": 2}') / 400
    assert 0.18 < share < 0.32
    assert sum(r.canary for r in cloud.api_requests) == bodies.count('{"v": 2}')


def test_access_log_with_context_variables(noop_api):
    cloud, api, _ = noop_api
    ag = cloud.client("apigateway")
    ag.update_stage(restApiId=api, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn",
         "value": "arn:aws:logs:us-east-1:123456789012:log-group:api-access"},
        {"op": "replace", "path": "/accessLogSettings/format",
         "value": "$context.requestId $context.httpMethod $context.resourcePath $context.status $context.nope"}])
    response = cloud.http("GET", cloud.api_url(api, "dev") + "/logged")
    lines = cloud.logs.lines("api-access")
    assert lines == [f"{response.header('x-amzn-RequestId')} GET /{{proxy+}} 200 -\n"]


def test_record_of_every_request(noop_api):
    cloud, api, _ = noop_api
    cloud.http("GET", cloud.api_url(api, "dev") + "/r")
    cloud.http("GET", cloud.api_url(api, "nostage") + "/r")
    ok, missing = cloud.api_requests[-2:]
    assert (ok.api_id, ok.api_type, ok.stage, ok.route, ok.status, ok.function_name) == (
        api, "REST", "dev", "/{proxy+} ANY", 200, "noop")
    assert ok.integration_latency_ms is not None and ok.latency_ms >= ok.integration_latency_ms
    assert (missing.status, missing.error_type) == (403, "MISSING_AUTHENTICATION_TOKEN")


def test_stage_cache_serves_hits_without_the_integration(noop_api):
    cloud, api, _ = noop_api
    ag = cloud.client("apigateway")
    ag.update_stage(restApiId=api, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "60"}])
    url = cloud.api_url(api, "dev") + "/cached"
    before = len(cloud.invocations)
    assert [cloud.http("GET", url).status for _ in range(3)] == [200, 200, 200]
    assert len(cloud.invocations) == before + 1
    assert [r.cache_hit for r in cloud.api_requests[-3:]] == [False, True, True]
    cloud.clock.advance(61)
    cloud.http("GET", url)
    assert len(cloud.invocations) == before + 2


def test_test_invoke_method(noop_api):
    cloud, api, resource = noop_api
    result = cloud.client("apigateway").test_invoke_method(restApiId=api, resourceId=resource, httpMethod="ANY",
                                                           pathWithQueryString="/anything?a=1")
    assert result["status"] == 200 and result["body"] == "ok"
    assert "Endpoint request URI" in result["log"]


def test_openapi_import_round_trip():
    spec = {"openapi": "3.0.1", "info": {"title": "pets", "version": "1"},
            "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok"}},
                                        "x-amazon-apigateway-integration": {
                                            "type": "mock", "httpMethod": "POST", "uri": "", "requestTemplates": {"application/json": '{"statusCode": 200}'},
                                            "responses": {"default": {"statusCode": "200"}}}}}}}
    with Cloud(clock="virtual", seed=1) as cloud:
        ag = cloud.client("apigateway")
        api = ag.import_rest_api(body=json.dumps(spec).encode())
        paths = sorted(r["path"] for r in ag.get_resources(restApiId=api["id"])["items"])
        assert api["name"] == "pets" and "/pets" in paths
        ag.create_deployment(restApiId=api["id"], stageName="x")
        assert cloud.http("GET", cloud.api_url(api["id"], "x") + "/pets").status == 200
        exported = json.loads(ag.get_export(restApiId=api["id"], stageName="x", exportType="oas30")["body"].read())
        assert "/pets" in exported["paths"] and exported["info"]["title"] == "pets"


def test_throttled_function_is_rest_500_and_http_503():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "noop", NOOP)
        rest_api, _ = rest_proxy_api(cloud, arn, stage="dev")
        http_api = cloud.client("apigatewayv2").create_api(Name="h", ProtocolType="HTTP", Target=arn)["ApiId"]
        allow_apigateway(cloud, "noop", http_api)
        cloud.client("lambda").put_function_concurrency(FunctionName="noop", ReservedConcurrentExecutions=0)
        rest = cloud.http("GET", cloud.api_url(rest_api, "dev") + "/x")
        assert (rest.status, rest.text) == (500, '{"message": "Internal server error"}')
        http = cloud.http("GET", cloud.api_url(http_api) + "/x")
        assert (http.status, http.text) == (503, '{"message":"Service Unavailable"}')
        assert "429" in cloud.api_requests[-1].error


def test_api_key_reaches_the_event_identity():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        api, _ = rest_proxy_api(cloud, arn, stage="dev", apiKeyRequired=True)
        ag = cloud.client("apigateway")
        plan = ag.create_usage_plan(name="p", apiStages=[{"apiId": api, "stage": "dev"}])
        key = ag.create_api_key(name="k", enabled=True)
        ag.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
        event = cloud.http("GET", cloud.api_url(api, "dev") + "/k", headers={"x-api-key": key["value"]}).json()
        identity = event["requestContext"]["identity"]
        assert (identity["apiKey"], identity["apiKeyId"]) == (key["value"], key["id"])
