"""REST API resource policies: ``execute-api:Invoke`` Allow/Deny by principal and source IP,
explicit Deny wins, applied to a stage by its deployment; AWS's 403 bodies."""

from __future__ import annotations

import json

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from minilambda import Cloud
from minilambda.apigateway.resource_policy import Caller, decide, evaluate, parse

from .apigw_helpers import ECHO_EVENT, allow_apigateway, make_function, rest_proxy_api

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/1"
ANONYMOUS = Caller("203.0.113.7")
ALLOW_ALL = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}


def _policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _deny(**extra) -> dict:
    return {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
            "Resource": "arn:aws:execute-api:us-east-1:123456789012:abc123/*", **extra}


# -- the rules (pure) ---------------------------------------------------------------------------

def test_explicit_deny_wins_and_no_allow_is_an_implicit_deny():
    assert evaluate(_policy(ALLOW_ALL), ANONYMOUS, ARN) == "Allow"
    assert evaluate(_policy(ALLOW_ALL, _deny()), ANONYMOUS, ARN) == "Deny"
    assert evaluate(_policy(_deny(Resource="arn:aws:execute-api:us-east-1:123456789012:abc123/*/POST/*")),
                    ANONYMOUS, ARN) == "NotAllowed"


def test_source_ip_conditions():
    only_office = _deny(Condition={"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.9"]}})
    assert evaluate(_policy(ALLOW_ALL, only_office), Caller("203.0.113.7"), ARN) == "Allow"
    assert evaluate(_policy(ALLOW_ALL, only_office), Caller("192.0.2.1"), ARN) == "Deny"
    allow_range = {**ALLOW_ALL, "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}
    assert evaluate(_policy(allow_range), Caller("192.0.2.200"), ARN) == "Allow"
    assert evaluate(_policy(allow_range), Caller("10.0.0.1"), ARN) == "NotAllowed"


def test_vpc_endpoint_keys_are_absent_as_on_a_public_endpoint():
    only_vpce = _deny(Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})
    assert evaluate(_policy(ALLOW_ALL, only_vpce), ANONYMOUS, ARN) == "Deny"
    from_vpce = {**ALLOW_ALL, "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}
    assert evaluate(_policy(from_vpce), ANONYMOUS, ARN) == "NotAllowed"


def test_principals_and_authorization_types():
    user = Caller("192.0.2.1", "arn:aws:iam::123456789012:user/alice", "123456789012")
    stranger = Caller("192.0.2.1", "arn:aws:iam::999999999999:user/eve", "999999999999")
    for_alice = _policy({**ALLOW_ALL, "Principal": {"AWS": "arn:aws:iam::123456789012:user/alice"}})
    assert evaluate(for_alice, user, ARN) == "Allow" and evaluate(for_alice, ANONYMOUS, ARN) == "NotAllowed"
    by_account = _policy({**ALLOW_ALL, "Principal": {"AWS": ["999999999999"]}})
    assert evaluate(by_account, stranger, ARN) == "Allow" and evaluate(by_account, user, ARN) == "NotAllowed"
    nothing = _policy(_deny(Resource="arn:aws:execute-api:us-east-1:123456789012:other/*"))
    assert decide(nothing, user, ARN, "AWS_IAM").allowed  # same account: IAM may allow
    assert not decide(nothing, stranger, ARN, "AWS_IAM").allowed  # another account: needs an Allow
    assert decide(by_account, stranger, ARN, "AWS_IAM").allowed
    assert not decide(nothing, ANONYMOUS, ARN, "NONE").allowed
    assert decide(nothing, ANONYMOUS, ARN, "CUSTOM").allowed  # the authorizer decides
    assert not decide(_policy(_deny()), ANONYMOUS, ARN, "CUSTOM").allowed
    assert parse(json.dumps(json.dumps(nothing))) == nothing and parse(None) is None


def test_refusal_bodies():
    denied = decide(_policy(ALLOW_ALL, _deny()), ANONYMOUS, ARN, "NONE")
    assert denied.body == ('{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on '
                           f'resource: {ARN} with an explicit deny"}}')
    implicit = decide(_policy(), ANONYMOUS, ARN, "NONE")
    assert implicit.body == ('{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on '
                             f'resource: {ARN}"}}')


# -- through the data plane ---------------------------------------------------------------------

@pytest.mark.process
def test_policy_applies_to_a_stage_after_a_deployment():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=7) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        api, _ = rest_proxy_api(cloud, arn, stage="prod", credentials=None)
        allow_apigateway(cloud, "echo", api)
        ag = cloud.client("apigateway")
        admin = _deny(Resource="execute-api:/*/*/admin*")
        ag.update_rest_api(restApiId=api, patchOperations=[
            {"op": "replace", "path": "/policy", "value": json.dumps(_policy(ALLOW_ALL, admin))}])
        url = cloud.api_url(api, "prod")
        assert cloud.http("GET", url + "/admin").status == 200  # not deployed yet
        ag.create_deployment(restApiId=api, stageName="prod")
        denied = cloud.http("GET", url + "/admin/users")
        resource = f"arn:aws:execute-api:us-east-1:{cloud.account_id}:{api}/prod/GET/admin/users"
        assert (denied.status, denied.header("x-amzn-ErrorType")) == (403, "AccessDeniedException")
        assert denied.text == ('{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on '
                               f'resource: {resource} with an explicit deny"}}')
        assert cloud.http("GET", url + "/pets").status == 200
        assert cloud.api_requests[-2].authorized is False and cloud.api_requests[-1].function_name == "echo"
        ag.update_rest_api(restApiId=api, patchOperations=[
            {"op": "replace", "path": "/policy", "value": json.dumps(_policy(admin))}])  # no Allow left
        ag.create_deployment(restApiId=api, stageName="prod")
        implicit = cloud.http("GET", url + "/pets")
        assert implicit.status == 403 and not implicit.text.endswith('explicit deny"}')


@pytest.mark.process
def test_iam_callers_are_checked_by_principal():
    with Cloud(clock="virtual", seed=7) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        api, resource = rest_proxy_api(cloud, arn, stage="dev", credentials=None)
        allow_apigateway(cloud, "echo", api)
        cloud.apigateway.add_credentials("EVE", "eve-secret", arn="arn:aws:iam::999999999999:user/eve")
        deny_bob = _deny(Principal={"AWS": f"arn:aws:iam::{cloud.account_id}:user/minilambda"},
                         Resource="execute-api:/*/*/bob*")
        ag = cloud.client("apigateway")
        ag.update_method(restApiId=api, resourceId=resource, httpMethod="ANY", patchOperations=[
            {"op": "replace", "path": "/authorizationType", "value": "AWS_IAM"}])
        ag.update_rest_api(restApiId=api, patchOperations=[
            {"op": "replace", "path": "/policy", "value": json.dumps(_policy(deny_bob))}])
        ag.create_deployment(restApiId=api, stageName="dev")

        def signed(path: str, key: str, secret: str) -> requests.Response:
            url = cloud.api_url(api, "dev") + path
            request = AWSRequest("GET", url, headers={"Host": url.split("/")[2]})
            SigV4Auth(Credentials(key, secret), "execute-api", "us-east-1").add_auth(request)
            return requests.get(url, headers=dict(request.headers), timeout=30)

        assert signed("/alice", "minilambda", "minilambda").status_code == 200  # same account, not denied
        refused = signed("/bob", "minilambda", "minilambda")
        assert refused.status_code == 403
        assert refused.json()["Message"].startswith(
            f"User: arn:aws:iam::{cloud.account_id}:user/minilambda is not authorized to perform: execute-api:Invoke")
        assert signed("/alice", "EVE", "eve-secret").status_code == 403  # another account: no Allow for eve


@pytest.mark.process
def test_cloudformation_policy_and_method_settings():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=7) as cloud:
        arn = make_function(cloud, "echo", ECHO_EVENT)
        uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
        api_ref = {"Ref": "Api"}
        template = {"Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {
                "Name": "guarded", "Policy": _policy(ALLOW_ALL, _deny(Resource="execute-api:/*/*/admin"))}},
            "Admin": {"Type": "AWS::ApiGateway::Resource", "Properties": {
                "RestApiId": api_ref, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "PathPart": "{proxy+}"}},
            "Method": {"Type": "AWS::ApiGateway::Method", "Properties": {
                "RestApiId": api_ref, "ResourceId": {"Ref": "Admin"}, "HttpMethod": "ANY", "AuthorizationType": "NONE",
                "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": uri}}},
            "Deployment": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": ["Method"],
                           "Properties": {"RestApiId": api_ref}},
            "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
                "RestApiId": api_ref, "StageName": "prod", "DeploymentId": {"Ref": "Deployment"},
                "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "LoggingLevel": "ERROR"}]}}}}
        cfn = cloud.client("cloudformation")
        cfn.create_stack(StackName="s", TemplateBody=json.dumps(template))
        api = cfn.describe_stack_resource(StackName="s", LogicalResourceId="Api")["StackResourceDetail"][
            "PhysicalResourceId"]
        allow_apigateway(cloud, "echo", api)
        assert cloud.http("GET", cloud.api_url(api, "prod") + "/pets").status == 200
        assert cloud.http("GET", cloud.api_url(api, "prod") + "/admin").status == 403
        log = cloud.logs.lines(f"API-Gateway-Execution-Logs_{api}/prod")
        assert any("with an explicit deny" in line for line in log) and len(log) == 2  # ERROR: the refusal only


SAM_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(e, c):\\n    return {'statusCode': 200, 'body': 'ok'}\\n"
      Events:
        Get:
          Type: Api
          Properties: {Path: /pets, Method: get, RestApiId: !Ref Api}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      MethodSettings: [{ResourcePath: "/*", HttpMethod: "*", LoggingLevel: INFO}]
      Auth:
        ResourcePolicy:
          IpRangeBlacklist: ["127.0.0.1/32"]
"""


@pytest.mark.process
def test_sam_resource_policy_and_method_settings():
    with Cloud(clock="virtual", start=1_700_000_000.0, seed=7) as cloud:
        cfn = cloud.client("cloudformation")
        cfn.create_stack(StackName="s", TemplateBody=SAM_TEMPLATE, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
        api = cfn.describe_stack_resource(StackName="s", LogicalResourceId="Api")["StackResourceDetail"][
            "PhysicalResourceId"]
        refused = cloud.http("GET", cloud.api_url(api, "Prod") + "/pets")  # cloud.http calls from 127.0.0.1
        assert refused.status == 403 and refused.text.endswith('with an explicit deny"}')
        assert any("Starting execution" in line for line in cloud.logs.lines(f"API-Gateway-Execution-Logs_{api}/Prod"))


def test_cloudformation_updates_a_policy_in_place():
    def template(effect: str) -> str:
        statement = {**ALLOW_ALL, "Effect": effect}
        return json.dumps({"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi",
                                                 "Properties": {"Name": "a", "Policy": _policy(statement)}}}})

    with Cloud(clock="virtual", start=1_700_000_000.0, seed=7) as cloud:
        cfn = cloud.client("cloudformation")
        cfn.create_stack(StackName="s", TemplateBody=template("Allow"))
        before = cfn.describe_stack_resource(StackName="s", LogicalResourceId="Api")["StackResourceDetail"]
        cfn.update_stack(StackName="s", TemplateBody=template("Deny"))
        after = cfn.describe_stack_resource(StackName="s", LogicalResourceId="Api")["StackResourceDetail"]
        assert after["PhysicalResourceId"] == before["PhysicalResourceId"]  # the same API, not a replacement
        stored = cloud.client("apigateway").get_rest_api(restApiId=after["PhysicalResourceId"])["policy"]
        assert parse(stored)["Statement"][0]["Effect"] == "Deny"
