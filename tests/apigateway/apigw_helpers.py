"""Helpers for the API Gateway core tests: functions, REST and HTTP APIs built through boto3."""

from __future__ import annotations

import http.client
import json
import pathlib
from typing import Any
from urllib.parse import urlsplit

from minilambda import zip_files

ROLE = "arn:aws:iam::123456789012:role/lambda-role"
RECORDED = json.loads((pathlib.Path(__file__).parents[1] / "data" / "aws-recorded" / "apigateway.json").read_text())

ECHO_EVENT = "import json\ndef handler(event, context):\n    return {'statusCode': 200, 'body': json.dumps(event)}\n"
RETURN_BODY = "import json\ndef handler(event, context):\n    return json.loads(event['body'])\n"
NOOP = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


def recorded(name: str) -> dict[str, Any]:
    """One recorded AWS case from tests/data/aws-recorded/apigateway.json."""
    return next(case for case in RECORDED if case["name"] == name)


def make_function(cloud: Any, name: str, source: str, **config: Any) -> str:
    """Create a python3.12 function and return its ARN."""
    lam = cloud.client("lambda")
    return lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                               Code={"ZipFile": zip_files({"app.py": source})}, **config)["FunctionArn"]


def lambda_uri(function_arn: str, region: str = "us-east-1") -> str:
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def allow_apigateway(cloud: Any, function_name: str, api_id: str, sid: str = "apigw") -> None:
    cloud.client("lambda").add_permission(
        FunctionName=function_name, StatementId=sid, Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{cloud.region}:{cloud.account_id}:{api_id}/*")


def rest_proxy_api(cloud: Any, function_arn: str, *, stage: str = "stage", path_part: str = "{proxy+}",
                   method: str = "ANY", credentials: str | None = ROLE, hardcoded: bool = False,
                   **method_kwargs: Any) -> tuple[str, str]:
    """A REST API: ``/{path_part}`` ``method`` → AWS_PROXY to *function_arn*, deployed. Returns (api id, resource id)."""
    ag = cloud.client("apigateway")
    api = ag.create_rest_api(name="proxy-api")["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    parts = [path_part] + (["hardcoded"] if hardcoded else [])
    first = None
    for part in parts:
        resource = ag.create_resource(restApiId=api, parentId=root, pathPart=part)["id"]
        first = first or resource
        ag.put_method(restApiId=api, resourceId=resource, httpMethod=method, authorizationType="NONE", **method_kwargs)
        extra = {"credentials": credentials} if credentials else {}
        ag.put_integration(restApiId=api, resourceId=resource, httpMethod=method, type="AWS_PROXY",
                           integrationHttpMethod="POST", uri=lambda_uri(function_arn), **extra)
    ag.create_deployment(restApiId=api, stageName=stage)
    return api, first


def enable_execution_logs(cloud: Any, api_id: str, stage: str, level: str = "INFO", *,
                          data_trace: bool = False) -> None:
    """Turn on a REST stage's execution logs for every method, as a student does on AWS."""
    cloud.client("apigateway").update_stage(restApiId=api_id, stageName=stage, patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": level},
        {"op": "replace", "path": "/*/*/logging/dataTrace", "value": "true" if data_trace else "false"}])


def raw_request(url: str, method: str, target: str, headers: dict[str, str] | None = None,
                body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """A request with the path sent exactly as given (``//`` and all), over a real socket."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k: v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


LOCAL = {"accountId": "123456789012", "CloudFront-Forwarded-Proto": "http"}  # the Cloud's account; plain HTTP


def matches_recorded(actual: Any, expected: Any, path: str = "") -> list[str]:
    """Differences between an event and a recording; ``<placeholder>`` strings match any value."""
    if isinstance(expected, str) and expected.startswith("<") and expected.endswith(">"):
        return [] if actual is not None else [f"{path}: missing"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: {actual!r} is not an object"]
        problems = [f"{path}.{k}: missing" for k in expected if k not in actual]
        problems += [f"{path}.{k}: unexpected" for k in actual if k not in expected]
        for key in expected:
            if key in actual:
                wanted = LOCAL.get(key, expected[key]) if isinstance(expected[key], str) else expected[key]
                if key == "CloudFront-Forwarded-Proto" and isinstance(expected[key], list):
                    wanted = ["http"]
                problems += matches_recorded(actual[key], wanted, f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: {actual!r} != {expected!r}"]
        return [p for a, e in zip(actual, expected) for p in matches_recorded(a, e, path)]
    return [] if actual == expected else [f"{path}: {actual!r} != {expected!r}"]
