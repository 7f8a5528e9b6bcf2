"""Lambda function URLs: the five control-plane operations (shapes and errors as botocore's model
says), and the data plane over a real loopback socket: auth (NONE needs a public policy, AWS_IAM a
SigV4 signature), payload format 2.0, response inference, CORS, errors and throttles."""

from __future__ import annotations

import json
import re
from unittest import mock

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from minilambda import Cloud
from tests.helpers import make_function

URL_RX = re.compile(r"https://([a-z0-9]{32})\.lambda-url\.us-east-1\.on\.aws/")
TIME_RX = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")

APP = '''
import base64, json
def handler(event, context):
    path = event["rawPath"]
    if path == "/event":
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
    if path == "/plain":
        return "hello"
    if path == "/dict":
        return {"a": 1}
    if path == "/binary":
        return {"statusCode": 200, "headers": {"content-type": "image/png"}, "isBase64Encoded": True,
                "body": base64.b64encode(b"\\x89PNG").decode()}
    if path == "/cookies":
        return {"statusCode": 201, "cookies": ["a=1; Path=/", "b=2"], "headers": {"X-Custom": "yes"}, "body": "made"}
    if path == "/malformed":
        return {"statusCode": "teapot"}
    if path == "/cors":
        return {"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "https://evil.example"}, "body": "x"}
    raise RuntimeError("boom")
'''


def _code(err: pytest.ExceptionInfo) -> tuple[int, str]:
    response = err.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def _shape_keys(lam, operation: str) -> tuple[set[str], set[str]]:
    """(all members, required members) of an operation's output shape in botocore's model."""
    shape = lam.meta.service_model.operation_model(operation).output_shape
    return set(shape.members), set(shape.required_members)


def _check_shape(lam, operation: str, answer: dict) -> None:
    members, required = _shape_keys(lam, operation)
    keys = set(answer) - {"ResponseMetadata"}
    assert required <= keys <= members, (operation, keys, members)


def _make_public(lam, name: str = "app", qualifier: str | None = None) -> None:
    """The two statements AWS requires (since October 2025) for a public (NONE) function URL."""
    extra = {"Qualifier": qualifier} if qualifier else {}
    lam.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                       FunctionUrlAuthType="NONE", **extra)
    lam.add_permission(FunctionName=name, StatementId="invoke", Action="lambda:InvokeFunction", Principal="*",
                       InvokedViaFunctionUrl=True, **extra)


# -- control plane --------------------------------------------------------------------------


def test_create_get_update_list_delete_have_botocores_shapes(vcloud):
    lam = vcloud.client("lambda")
    make_function(lam, "app")
    created = lam.create_function_url_config(FunctionName="app", AuthType="NONE",
                                             Cors={"AllowOrigins": ["https://a.example"], "MaxAge": 60})
    _check_shape(lam, "CreateFunctionUrlConfig", created)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert URL_RX.fullmatch(created["FunctionUrl"]) and TIME_RX.fullmatch(created["CreationTime"])
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:app"
    assert (created["AuthType"], created["InvokeMode"]) == ("NONE", "BUFFERED")
    assert created["Cors"] == {"AllowOrigins": ["https://a.example"], "MaxAge": 60}
    got = lam.get_function_url_config(FunctionName="app")
    _check_shape(lam, "GetFunctionUrlConfig", got)
    assert got["LastModifiedTime"] == got["CreationTime"] == created["CreationTime"]
    vcloud.clock.advance(5)
    updated = lam.update_function_url_config(FunctionName="app", AuthType="AWS_IAM", InvokeMode="RESPONSE_STREAM")
    _check_shape(lam, "UpdateFunctionUrlConfig", updated)
    assert (updated["AuthType"], updated["InvokeMode"], updated["Cors"]) == ("AWS_IAM", "RESPONSE_STREAM",
                                                                             created["Cors"])
    assert updated["FunctionUrl"] == created["FunctionUrl"] and updated["LastModifiedTime"] > updated["CreationTime"]
    listed = lam.list_function_url_configs(FunctionName="app")
    _check_shape(lam, "ListFunctionUrlConfigs", listed)
    assert [c["FunctionUrl"] for c in listed["FunctionUrlConfigs"]] == [created["FunctionUrl"]]
    deleted = lam.delete_function_url_config(FunctionName="app")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as err:
        lam.get_function_url_config(FunctionName="app")
    assert _code(err) == (404, "ResourceNotFoundException")
    assert lam.list_function_url_configs(FunctionName="app")["FunctionUrlConfigs"] == []


def test_errors_are_awss(vcloud):
    lam = vcloud.client("lambda")
    make_function(lam, "app")
    lam.publish_version(FunctionName="app")
    lam.create_function_url_config(FunctionName="app", AuthType="NONE")
    cases = [
        (lambda: lam.create_function_url_config(FunctionName="app", AuthType="NONE"),
         (409, "ResourceConflictException")),
        (lambda: lam.create_function_url_config(FunctionName="ghost", AuthType="NONE"),
         (404, "ResourceNotFoundException")),
        (lambda: lam.create_function_url_config(FunctionName="app", AuthType="OPEN", Qualifier="live"),
         (400, "ValidationException")),
        (lambda: lam.create_function_url_config(FunctionName="app", AuthType="NONE", Qualifier="1"),
         (400, "ValidationException")),  # the model's pattern: a version number is not a URL qualifier
        (lambda: lam.create_function_url_config(FunctionName="app:1", AuthType="NONE"),
         (400, "ValidationException")),
        (lambda: lam.create_function_url_config(FunctionName="app", AuthType="NONE", Qualifier="nope"),
         (404, "ResourceNotFoundException")),
        (lambda: lam.update_function_url_config(FunctionName="app", InvokeMode="FAST"), (400, "ValidationException")),
        (lambda: lam.get_function_url_config(FunctionName="app", Qualifier="nope"), (404, "ResourceNotFoundException")),
        (lambda: lam.delete_function_url_config(FunctionName="ghost"), (404, "ResourceNotFoundException")),
        (lambda: lam.list_function_url_configs(FunctionName="ghost"), (404, "ResourceNotFoundException")),
    ]
    for call, expected in cases:
        with pytest.raises(ClientError) as err:
            call()
        assert _code(err) == expected
    lam.create_alias(FunctionName="app", Name="live", FunctionVersion="1")
    with pytest.raises(ClientError) as err:
        lam.create_function_url_config(FunctionName="app", Qualifier="live", AuthType="NONE",
                                       Cors={"AllowOrigins": ["*"], "AllowCredentials": True})
    assert _code(err) == (400, "InvalidParameterValueException") and "AllowCredentials" in str(err.value)


def test_alias_urls_and_deletion_cascades(vcloud):
    lam = vcloud.client("lambda")
    make_function(lam, "app")
    lam.publish_version(FunctionName="app")
    lam.create_alias(FunctionName="app", Name="live", FunctionVersion="1")
    latest = lam.create_function_url_config(FunctionName="app", AuthType="NONE")
    live = lam.create_function_url_config(FunctionName="app", Qualifier="live", AuthType="AWS_IAM")
    assert live["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:app:live"
    assert live["FunctionUrl"] != latest["FunctionUrl"]
    assert [c["FunctionArn"].rsplit(":", 1)[-1] for c in
            lam.list_function_url_configs(FunctionName="app")["FunctionUrlConfigs"]] == ["app", "live"]
    endpoint = vcloud.function_url_endpoint(live["FunctionUrl"])
    assert endpoint.startswith("http://127.0.0.1:")
    lam.delete_alias(FunctionName="app", Name="live")
    assert len(lam.list_function_url_configs(FunctionName="app")["FunctionUrlConfigs"]) == 1
    with pytest.raises(requests.ConnectionError):  # its front door is closed
        requests.get(endpoint, timeout=5)
    lam.delete_function(FunctionName="app")
    assert vcloud.http("GET", latest["FunctionUrl"]).status == 403
    make_function(lam, "app")
    with pytest.raises(ClientError) as err:
        lam.get_function_url_config(FunctionName="app")
    assert _code(err) == (404, "ResourceNotFoundException")


def test_url_ids_are_seeded():
    def first_url(seed: int) -> str:
        with Cloud(clock="virtual", start=0.0, seed=seed) as cloud:
            lam = cloud.client("lambda")
            make_function(lam, "app")
            return lam.create_function_url_config(FunctionName="app", AuthType="NONE")["FunctionUrl"]

    assert first_url(7) == first_url(7) != first_url(8)


def test_throttled_request_is_429_without_running_anything(vcloud):
    lam = vcloud.client("lambda")
    make_function(lam, "app")
    url = lam.create_function_url_config(FunctionName="app", AuthType="NONE")["FunctionUrl"]
    _make_public(lam)
    lam.put_function_concurrency(FunctionName="app", ReservedConcurrentExecutions=0)
    answer = vcloud.http("GET", url)
    assert (answer.status, answer.json()) == (429, {"Message": "Rate Exceeded."})
    assert answer.header("x-amzn-ErrorType") == "TooManyRequestsException"
    (record,) = vcloud.invocations  # recorded like any throttled invoke
    assert (record.outcome, record.trigger) == ("throttled", "function-url")


def test_oversized_request_is_413_and_unknown_url_403(vcloud):
    lam = vcloud.client("lambda")
    make_function(lam, "app")
    url = lam.create_function_url_config(FunctionName="app", AuthType="NONE")["FunctionUrl"]
    _make_public(lam)
    answer = vcloud.http("POST", url, body=b"x" * (6 * 1024 * 1024 + 1))
    assert answer.status == 413 and answer.header("x-amzn-ErrorType") == "RequestEntityTooLargeException"
    assert vcloud.http("GET", "https://" + "a" * 32 + ".lambda-url.us-east-1.on.aws/").json() == {"Message": "Forbidden"}
    assert vcloud.invocations == []


def test_cors_preflight_is_answered_without_invoking(vcloud):
    lam = vcloud.client("lambda")
    make_function(lam, "app")
    url = lam.create_function_url_config(FunctionName="app", AuthType="AWS_IAM", Cors={
        "AllowOrigins": ["https://a.example"], "AllowMethods": ["POST"], "AllowHeaders": ["content-type"],
        "MaxAge": 300})["FunctionUrl"]
    answer = requests.options(vcloud.function_url_endpoint(url) + "x", timeout=30, headers={
        "Origin": "https://a.example", "Access-Control-Request-Method": "POST"})
    assert answer.status_code == 204 and answer.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert answer.headers["Access-Control-Max-Age"] == "300"
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    assert vcloud.invocations == []


# -- data plane -------------------------------------------------------------------------------


@pytest.mark.process
def test_public_url_needs_both_statements_then_answers_with_a_2_0_event(vcloud):
    lam = vcloud.client("lambda")
    make_function(lam, "app", APP)
    url = lam.create_function_url_config(FunctionName="app", AuthType="NONE")["FunctionUrl"]
    url_id = URL_RX.fullmatch(url).group(1)
    endpoint = vcloud.function_url_endpoint(url)
    denied = requests.get(endpoint + "event", timeout=60)
    assert (denied.status_code, denied.json()) == (403, {"Message": "Forbidden"})
    lam.add_permission(FunctionName="app", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                       FunctionUrlAuthType="NONE")
    assert requests.get(endpoint + "event", timeout=60).status_code == 403  # lambda:InvokeFunction missing
    lam.add_permission(FunctionName="app", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*",
                       InvokedViaFunctionUrl=True)
    answer = requests.post(endpoint + "event?b=2&a=1&a=3", data=b'{"x": 1}', timeout=60, headers={
        "Content-Type": "application/json", "Cookie": "s=1; t=2", "X-Two": "v", "User-Agent": "ua"})
    assert answer.status_code == 200 and answer.headers["x-amzn-RequestId"]
    event = answer.json()
    assert {k: event[k] for k in ("version", "routeKey", "rawPath", "rawQueryString", "cookies", "body",
                                  "isBase64Encoded", "queryStringParameters")} == {
        "version": "2.0", "routeKey": "$default", "rawPath": "/event", "rawQueryString": "b=2&a=1&a=3",
        "cookies": ["s=1", "t=2"], "body": '{"x": 1}', "isBase64Encoded": False,
        "queryStringParameters": {"a": "1,3", "b": "2"}}
    assert event["headers"]["host"] == f"{url_id}.lambda-url.us-east-1.on.aws" and event["headers"]["x-two"] == "v"
    assert event["headers"]["x-forwarded-proto"] == "https" and "cookie" not in event["headers"]
    context = event["requestContext"]
    assert {k: context[k] for k in ("accountId", "apiId", "domainName", "domainPrefix", "stage", "routeKey")} == {
        "accountId": "123456789012", "apiId": url_id, "domainName": f"{url_id}.lambda-url.us-east-1.on.aws",
        "domainPrefix": url_id, "stage": "$default", "routeKey": "$default"}
    assert context["http"] == {"method": "POST", "path": "/event", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                               "userAgent": "ua"}
    assert "authorizer" not in context and isinstance(context["timeEpoch"], int)
    record = vcloud.invocations[-1]
    assert record.trigger == "function-url" and record.request_id == answer.headers["x-amzn-RequestId"]
    lines = vcloud.log_lines("app")
    assert [line.split(" ", 1)[0] for line in lines[-3:]] == ["START", "END", "REPORT"]


@pytest.mark.process
def test_responses_are_mapped_as_function_urls_map_them(vcloud):
    lam = vcloud.client("lambda")
    make_function(lam, "app", APP)
    url = lam.create_function_url_config(FunctionName="app", AuthType="NONE",
                                         Cors={"AllowOrigins": ["https://a.example"]})["FunctionUrl"]
    _make_public(lam)
    endpoint = vcloud.function_url_endpoint(url)

    def get(path: str, **headers: str) -> requests.Response:
        return requests.get(endpoint + path, timeout=60, headers=headers)

    plain, as_dict, binary, cookies = get("plain"), get("dict"), get("binary"), get("cookies")
    assert (plain.status_code, plain.text, plain.headers["Content-Type"]) == (200, "hello", "application/json")
    assert (as_dict.status_code, as_dict.json(), as_dict.headers["Content-Type"]) == (200, {"a": 1},
                                                                                        "application/json")
    assert (binary.status_code, binary.content, binary.headers["Content-Type"]) == (200, b"\x89PNG", "image/png")
    assert (cookies.status_code, cookies.text, cookies.headers["X-Custom"]) == (201, "made", "yes")
    assert cookies.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2"]
    for path in ("malformed", "raise"):
        failed = get(path)
        assert (failed.status_code, failed.json()) == (502, {"Message": "Internal Server Error"}), path
    assert [i.outcome for i in vcloud.invocations[-2:]] == ["success", "error"]
    cors = get("cors", Origin="https://a.example")
    assert cors.headers["Access-Control-Allow-Origin"] == "https://a.example"  # the URL's Cors wins


def _signed(url: str, path: str, secret: str, now: float) -> tuple[str, dict[str, str]]:
    """A GET of *url* + *path* signed by botocore for service ``lambda`` at the Cloud's time."""
    import datetime as dt

    request = AWSRequest(method="GET", url=url + path)
    moment = dt.datetime.fromtimestamp(now, dt.timezone.utc).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
        SigV4Auth(Credentials("minilambda", secret), "lambda", "us-east-1").add_auth(request)
    prepared = request.prepare()
    return prepared.url, dict(prepared.headers.items())


@pytest.mark.process
def test_aws_iam_url_verifies_sigv4_for_service_lambda(vcloud):
    lam = vcloud.client("lambda")
    make_function(lam, "app", APP)
    url = lam.create_function_url_config(FunctionName="app", AuthType="AWS_IAM")["FunctionUrl"]
    endpoint = vcloud.function_url_endpoint(url)
    unsigned = requests.get(endpoint + "event", timeout=60)
    assert (unsigned.status_code, unsigned.json()) == (403, {"Message": "Forbidden"})
    _, wrong = _signed(url, "event", "not-the-secret", vcloud.clock.now())
    refused = requests.get(endpoint + "event", headers=wrong, timeout=60)
    assert refused.status_code == 403 and refused.json()["Message"].startswith("The request signature we calculated")
    _, headers = _signed(url, "event", "minilambda", vcloud.clock.now())  # the Cloud's own key pair
    answer = requests.get(endpoint + "event", headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    iam = answer.json()["requestContext"]["authorizer"]["iam"]
    assert (iam["accessKey"], iam["accountId"], iam["userArn"]) == (
        "minilambda", "123456789012", "arn:aws:iam::123456789012:user/minilambda")
    assert len(vcloud.invocations) == 1


@pytest.mark.process
def test_alias_url_runs_the_alias_version(vcloud):
    lam = vcloud.client("lambda")
    make_function(lam, "app", APP)
    lam.publish_version(FunctionName="app")
    lam.create_alias(FunctionName="app", Name="live", FunctionVersion="1")
    url = lam.create_function_url_config(FunctionName="app", Qualifier="live", AuthType="NONE")["FunctionUrl"]
    _make_public(lam)  # on the function, not the alias: AWS's policy is per qualifier
    assert vcloud.http("GET", url + "dict").status == 403
    _make_public(lam, qualifier="live")
    answer = vcloud.http("GET", url + "dict")
    assert (answer.status, answer.json()) == (200, {"a": 1})
    record = vcloud.invocations[-1]
    assert (record.qualifier, record.version) == ("live", "1")
