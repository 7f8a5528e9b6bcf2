"""The 12 API Gateway responses recorded from real AWS (tests/data/aws-recorded/apigateway.json),
reproduced over real loopback HTTP and in-process."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from minilambda import Cloud

from .apigw_helpers import (ECHO_EVENT, RETURN_BODY, ROLE, lambda_uri, make_function, matches_recorded, raw_request,
                            recorded, rest_proxy_api)

pytestmark = pytest.mark.process


@pytest.fixture(scope="module")
def echo_api():
    """The recorded API: ``/{proxy+}`` ANY and ``/hardcoded`` → a function returning its event."""
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=1) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        api, _ = rest_proxy_api(cloud, arn, hardcoded=True)
        yield cloud, api, cloud.api_url(api, "stage")


HEADERS = {"User-Agent": "python-requests/testing", "tEsT-HEADeR": "aValUE", "authorization": "random-value"}


def _event(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def test_rest_proxy_event_get(echo_api):
    _, _, url = echo_api
    event = _event(requests.get(url + "/proxy-value", headers=HEADERS, timeout=30))
    expected = recorded("rest_proxy_event_get")["response"]["invocation-payload-without-trailing-slash"]
    assert matches_recorded(event, expected) == []
    assert event["headers"]["Authorization"] == "random-value"  # normalised casing
    assert event["headers"]["tEsT-HEADeR"] == "aValUE"  # the client's casing
    assert event["multiValueHeaders"]["X-Forwarded-For"] == ["127.0.0.1"]  # lists on AWS (masked in the recording)


def test_rest_proxy_event_query_strings(echo_api):
    _, _, url = echo_api
    case = recorded("rest_proxy_event_query_strings")["response"]
    event = _event(requests.get(url + "/proxy-value/?urlparam=test", headers=HEADERS, timeout=30))
    assert matches_recorded(event, case["invocation-payload-with-trailing-slash-and-query-params"]) == []
    target = ("/stage/proxy-value/api?dateTimeOffset=2023-06-12T18:05:10.123456+00:00&email=test%2Balias@gmail.com"
              "&plus=test+alias@gmail.com&url=https://www.google.com/&whitespace=foo%20bar&zhash=abort/")
    status, _, body = raw_request(url, "GET", target, dict(HEADERS, Accept="*/*", **{"Accept-Encoding": "gzip, deflate"}))
    assert status == 200
    assert matches_recorded(json.loads(body), case["invocation-payload-with-params-encoding"]) == []


def test_rest_proxy_event_post_multivalue(echo_api):
    _, _, url = echo_api
    case = recorded("rest_proxy_event_post_multivalue")["response"]["invocation-payload-with-params-encoding-multi"]
    headers = {"User-Agent": "python-requests/testing", "aUThorization": "Bearer token123;API key456",
               "Content-Type": "application/json;charset=utf-8"}
    response = requests.post(url + "/proxy-value?category=electronics&category=books&price=10&price=20&price=30",
                             data=json.dumps({"message": "hello world"}), headers=headers, timeout=30)
    event = _event(response)
    assert isinstance(event["body"], str)  # a string on AWS; the recording tool decoded it
    event["body"] = json.loads(event["body"])
    assert matches_recorded(event, case) == []


@pytest.mark.parametrize("key,target", [
    ("invocation-payload-with-double-slash", "/stage/proxy-value//double-slash"),
    ("invocation-payload-with-prepended-slash-to-stage", "//stage/proxy-value"),
    ("invocation-payload-with-prepended-slash", "/stage//proxy-value"),
    ("invocation-payload-with-path-encoded-email", "/stage/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com"),
    ("invocation-hardcoded", "/stage//hardcoded"),
])
def test_rest_proxy_event_path_edge_cases(echo_api, key, target):
    _, _, url = echo_api
    expected = recorded("rest_proxy_event_path_edge_cases")["response"][key]
    headers = dict(HEADERS, Accept="*/*", **{"Accept-Encoding": "gzip, deflate"})
    status, _, body = raw_request(url, "GET", target, headers)
    assert status == 200, body
    assert matches_recorded(json.loads(body), expected) == []


@pytest.fixture(scope="module")
def return_body_api():
    """POST /test/test: the function returns json.loads(event['body'])."""
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=1) as cloud:
        arn = make_function(cloud, "returns", RETURN_BODY)
        api, _ = rest_proxy_api(cloud, arn, stage="test")
        yield cloud, cloud.api_url(api, "test")


def _post(url: str, result: object) -> requests.Response:
    return requests.post(url + "/test", data=json.dumps(result), timeout=30)


def test_proxy_response_valid_shapes(return_body_api):
    _, url = return_body_api
    case = recorded("proxy_response_valid_shapes")["response"]
    shapes = {
        "invoke-api-no-body": ({"statusCode": 200}, 200),
        "invoke-api-with-headers": ({"statusCode": 200, "headers": {"test-header": "value", "header-bool": True}}, 200),
        "invoke-api-with-headers-null": ({"statusCode": 200, "headers": None}, 200),
        "invoke-api-b64-encoded-true": ({"statusCode": 200, "body": base64.b64encode(b"test-data").decode(),
                                         "isBase64Encoded": True}, 200),
        "invoke-api-b64-encoded-false": ({"statusCode": 200, "body": base64.b64encode(b"test-data").decode()}, 200),
        "invoke-api-multi-headers-valid": ({"statusCode": 200, "multiValueHeaders": {"test-multi": ["value1", "value2"]}}, 200),
        "invoke-api-multi-headers-overwrite": ({"statusCode": 200, "multiValueHeaders": {"test-multi": ["value-multi"]},
                                                "headers": {"test-multi": "value-solo"}}, 200),
        "invoke-api-multi-headers-overwrite-casing": ({"statusCode": 200, "multiValueHeaders": {"tesT-Multi": ["value-multi"]},
                                                       "headers": {"test-multi": "value-solo"}}, 200),
        "invoke-api-status-code-str": ({"statusCode": "201"}, 201),
        "invoke-api-only-headers": ({"headers": {"test-header": "value"}}, 200),
    }
    for key, (result, status) in shapes.items():
        response = _post(url, result)
        assert response.status_code == status, key
        assert response.text == case[key]["content"], key
        for name, value in case[key].get("headers", {}).items():
            if not value.startswith("<"):
                assert response.headers.get(name) == value, (key, name)
            assert name in response.headers or name.startswith(("Via", "X-Amz-Cf", "X-Cache")), (key, name)
    casing = _post(url, shapes["invoke-api-multi-headers-overwrite-casing"][0])
    assert "tesT-Multi" in [k for k in casing.raw.headers.keys()]


def test_proxy_response_malformed_502(return_body_api):
    _, url = return_body_api
    case = recorded("proxy_response_malformed_502")["response"]
    shapes = {"invoke-api-wrong-format": {"statusCode": 200, "wrongValue": "value"},
              "invoke-api-empty-response": {},
              "invoke-api-multi-headers-invalid": {"statusCode": 200, "multiValueHeaders": {"test-multi-invalid": "value1"}},
              "invoke-api-invalid-status-code": {"statusCode": "test"},
              "invoke-api-just-string": "justAString"}
    for key, result in shapes.items():
        response = _post(url, result)
        assert response.status_code == 502, key
        assert response.text == '{"message": "Internal server error"}'  # with a space, 36 bytes
        assert response.json() == case[key]["content"]
        assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"


def test_proxy_integration_wrong_http_method():
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "f", ECHO_EVENT)
        ag = cloud.client("apigateway")
        api = ag.create_rest_api(name="wrong")["id"]
        root = ag.get_resources(restApiId=api)["items"][0]["id"]
        res = ag.create_resource(restApiId=api, parentId=root, pathPart="test-path")["id"]
        ag.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="NONE")
        ag.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="GET",
                           uri=lambda_uri(arn), credentials=ROLE)
        ag.put_gateway_response(restApiId=api, responseType="INTEGRATION_FAILURE")
        ag.create_deployment(restApiId=api, stageName="dev")
        response = requests.get(cloud.api_url(api, "dev") + "/test-path", timeout=30)
        assert response.status_code == 500
        assert response.json() == recorded("proxy_integration_wrong_http_method")["response"][
            "invocation-payload-with-get-proxy-method"]


def _mock_api(cloud) -> str:
    ag = cloud.client("apigateway")
    api = ag.create_rest_api(name="mock")["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    res = ag.create_resource(restApiId=api, parentId=root, pathPart="existing")["id"]
    ag.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="NONE")
    ag.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type="MOCK",
                       requestTemplates={"application/json": '{"statusCode": 200}'})
    ag.put_method_response(restApiId=api, resourceId=res, httpMethod="GET", statusCode="200")
    ag.put_integration_response(restApiId=api, resourceId=res, httpMethod="GET", statusCode="200",
                                responseTemplates={"application/json": '{"statusCode": 200, "message": "exists"}'})
    ag.create_deployment(restApiId=api, stageName="dev")
    return api


def test_missing_route_and_wrong_method():
    case = recorded("missing_route_and_wrong_method")["response"]
    with Cloud(clock="virtual", seed=1) as cloud:
        url = cloud.api_url(_mock_api(cloud), "dev")
        ok = requests.get(url + "/existing", timeout=30)
        assert ok.status_code == 200 and ok.json() == case["working-route"]
        for key, method, path in (("not-found", "GET", "/random-non-existing"), ("wrong-method", "POST", "/existing")):
            response = requests.request(method, url + path, timeout=30)
            assert response.status_code == 403
            assert response.json() == case[key]["content"]
            assert response.text == '{"message":"Missing Authentication Token"}'  # no space: a gateway response
            assert response.headers["x-amzn-ErrorType"] == case[key]["errorType"]


def test_default_gateway_responses():
    case = recorded("default_gateway_responses")["response"]
    with Cloud(clock="virtual", seed=1) as cloud:
        ag = cloud.client("apigateway")
        api = ag.create_rest_api(name="gr")["id"]
        one = ag.get_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN")
        one.pop("ResponseMetadata")
        expected = dict(case["get-gateway-response-default"])
        expected.pop("ResponseMetadata")
        assert one == expected
        custom = next(i for i in case["get-gateway-responses"]["items"] if i["responseType"] == "MISSING_AUTHENTICATION_TOKEN")
        ag.put_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN",
                                statusCode=custom.get("statusCode", "404"),
                                responseParameters=custom.get("responseParameters", {}),
                                responseTemplates=custom.get("responseTemplates", {}))
        items = ag.get_gateway_responses(restApiId=api)["items"]
        by_type = {i["responseType"]: i for i in items}
        for wanted in case["get-gateway-responses"]["items"]:
            got = by_type[wanted["responseType"]]
            for key, value in wanted.items():
                if not (isinstance(value, str) and value.startswith("<")):
                    assert got.get(key) == value, (wanted["responseType"], key)


def test_customised_gateway_response_is_served():
    with Cloud(clock="virtual", seed=1) as cloud:
        ag = cloud.client("apigateway")
        api = _mock_api(cloud)
        ag.put_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN", statusCode="404",
                                responseParameters={"gatewayresponse.header.x-why": "'no-such-route'"},
                                responseTemplates={"application/json": '{"error": $context.error.messageString, "type": "$context.error.responseType"}'})
        response = cloud.http("GET", cloud.api_url(api, "dev") + "/nope")
        assert response.status == 404
        assert response.json() == {"error": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN"}
        assert response.header("x-why") == "no-such-route"


def test_api_key_required():
    case = recorded("api_key_required")["response"]
    with Cloud(clock="virtual", seed=1) as cloud:
        ag = cloud.client("apigateway")
        api = ag.create_rest_api(name="keys", apiKeySource="HEADER")["id"]
        root = ag.get_resources(restApiId=api)["items"][0]["id"]
        res = ag.create_resource(restApiId=api, parentId=root, pathPart="test")["id"]
        ag.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True)
        ag.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type="MOCK",
                           requestTemplates={"application/json": '{"statusCode": 200}'})
        ag.put_integration_response(restApiId=api, resourceId=res, httpMethod="GET", statusCode="200",
                                    responseTemplates={"application/json": '{"ok": true}'})
        ag.create_deployment(restApiId=api, stageName="dev")
        plan = ag.create_usage_plan(name="p", description="Test Usage Plan for API key",
                                    apiStages=[{"apiId": api, "stage": "dev"}], quota={"limit": 10, "offset": 0, "period": "DAY"},
                                    throttle={"burstLimit": 1, "rateLimit": 2.0}, tags={"tag_key": "tag_value"})
        expected = case["create-usage-plan"]
        assert plan["ResponseMetadata"]["HTTPStatusCode"] == 201
        assert plan["throttle"] == expected["throttle"] and isinstance(plan["throttle"]["rateLimit"], float)
        assert plan["quota"] == expected["quota"] and plan["apiStages"] == [{"apiId": api, "stage": "dev"}]
        key = ag.create_api_key(name="k", enabled=True)
        assert key["ResponseMetadata"]["HTTPStatusCode"] == 201
        assert {k for k in case["create-api-key"] if k != "ResponseMetadata"} <= set(key)
        link = ag.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
        assert link["ResponseMetadata"]["HTTPStatusCode"] == 201
        assert {k: link[k] for k in ("id", "type", "value")} == {"id": key["id"], "type": "API_KEY", "value": key["value"]}
        url = cloud.api_url(api, "dev") + "/test"
        refused = requests.get(url, timeout=30)
        assert (refused.status_code, refused.text) == (403, '{"message":"Forbidden"}')
        assert requests.get(url, headers={"x-api-key": "wrong"}, timeout=30).status_code == 403
        assert requests.get(url, headers={"x-api-key": key["value"]}, timeout=30).status_code == 200
        disabled = ag.update_api_key(apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}])
        assert disabled["enabled"] is False
        assert requests.get(url, headers={"x-api-key": key["value"]}, timeout=30).status_code == 403


def test_request_validator_messages():
    case = recorded("request_validator_messages")["response"]
    with Cloud(clock="virtual", seed=1) as cloud:
        ag = cloud.client("apigateway")
        api = ag.create_rest_api(name="validate")["id"]
        root = ag.get_resources(restApiId=api)["items"][0]["id"]
        nested = ag.create_resource(restApiId=api, parentId=root, pathPart="nested")["id"]
        res = ag.create_resource(restApiId=api, parentId=nested, pathPart="{test}")["id"]
        validator = ag.create_request_validator(restApiId=api, name="all", validateRequestBody=True,
                                                validateRequestParameters=True)["id"]
        ag.create_model(restApiId=api, name="AB", contentType="application/json", schema=json.dumps(
            {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
             "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}))
        params = {"method.request.header.x-header-param": True, "method.request.path.issuer": True,
                  "method.request.querystring.qs1": True}
        for method in ("GET", "POST"):
            ag.put_method(restApiId=api, resourceId=res, httpMethod=method, authorizationType="NONE",
                          requestValidatorId=validator, requestParameters=params,
                          requestModels={"application/json": "AB"} if method == "POST" else {})
            ag.put_integration(restApiId=api, resourceId=res, httpMethod=method, type="MOCK",
                               requestTemplates={"application/json": '{"statusCode": 200}'})
            ag.put_integration_response(restApiId=api, resourceId=res, httpMethod=method, statusCode="200",
                                        responseTemplates={"application/json": "{}"})
        ag.create_deployment(restApiId=api, stageName="dev")
        url = cloud.api_url(api, "dev") + "/nested/value"
        post = requests.post(url, json={"a": 1, "b": 2}, timeout=30)
        assert (post.status_code, post.json()) == (400, case["missing-all-required-request-params-post"])
        get = requests.get(url + "?qs1=1", timeout=30)
        assert (get.status_code, get.json()) == (400, {"message": "Missing required request parameters: [x-header-param, issuer]"})
        ag.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="NONE",
                      requestValidatorId=validator, requestParameters={
                          "method.request.header.x-header-param": True, "method.request.path.test": True,
                          "method.request.querystring.qs1": True})
        ag.put_method(restApiId=api, resourceId=res, httpMethod="POST", authorizationType="NONE",
                      requestValidatorId=validator, requestParameters={"method.request.path.test": True},
                      requestModels={"application/json": "AB"})
        for method in ("GET", "POST"):
            ag.put_integration(restApiId=api, resourceId=res, httpMethod=method, type="MOCK",
                               requestTemplates={"application/json": '{"statusCode": 200}'})
            ag.put_integration_response(restApiId=api, resourceId=res, httpMethod=method, statusCode="200",
                                        responseTemplates={"application/json": "{}"})
        ag.create_deployment(restApiId=api, stageName="dev")
        missing_header = requests.get(url + "?qs1=1", timeout=30)
        assert missing_header.json() == case["missing-required-headers-request-params-get"]
        missing_qs = requests.get(url, headers={"x-header-param": "x"}, timeout=30)
        assert missing_qs.json() == case["missing-required-qs-request-params-get"]
        bad_body = requests.post(url, json={"test": "test"}, timeout=30)
        assert (bad_body.status_code, bad_body.json()) == (400, case["invalid-request-body"])
        assert requests.post(url, json={"a": 1, "b": 2}, timeout=30).status_code == 200


def test_token_authorizer_config():
    case = recorded("token_authorizer_config")["response"]
    with Cloud(clock="virtual", seed=1) as cloud:
        arn = make_function(cloud, "auth", "def handler(e, c):\n    return {}\n")
        ag = cloud.client("apigateway")
        api = ag.create_rest_api(name="auth")["id"]
        root = ag.get_resources(restApiId=api)["items"][0]["id"]
        authorizer = ag.create_authorizer(restApiId=api, name="lambda_authorizer", type="TOKEN",
                                          identitySource="method.request.header.Auth", authorizerUri=lambda_uri(arn))
        assert authorizer["ResponseMetadata"]["HTTPStatusCode"] == 201
        for key in ("authType", "identitySource", "name", "type"):
            assert authorizer[key] == case["authorizer"][key]
        method = ag.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="CUSTOM",
                               authorizerId=authorizer["id"], apiKeyRequired=True)
        assert method["ResponseMetadata"]["HTTPStatusCode"] == 201
        for key in ("apiKeyRequired", "authorizationType", "httpMethod"):
            assert method[key] == case["put-method-response"][key]
        assert method["authorizerId"] == authorizer["id"]
